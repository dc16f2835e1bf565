"""The caller's subscriptions in bulk (tasks) and per sequence and task type (a sequence
subscription notifies the caller of the comments on its shots' tasks of that type)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import MalformedId, validation_error
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import ENTITY, MODELS, TASK
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.user.service import require_person

Row = dict[str, Any]
SUBSCRIPTION = MODELS["subscriptions"]
_SUB = s.subscription.c


def _ids(value: str) -> str:
    if not is_uuid(value):
        raise MalformedId()
    return value


def _task_ids(body: Row) -> list[str]:
    ids = body.get("task_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise validation_error({"task_ids": "List should have at least 1 item"}, "Validation error.")
    return [_ids(i) for i in dict.fromkeys(ids)]


def _check_task(ctx: RequestContext, conn: Connection, task_id: str) -> None:
    perm.check_project_access(ctx, conn, crud.load(conn, TASK, task_id)["project_id"])


def subscribe_tasks(ctx: RequestContext, body: Row) -> list[Row]:
    """Follow every task listed; answers the subscriptions (existing ones as they are)."""
    require_person(ctx)
    out = []
    with ctx.write() as tx:
        for task_id in _task_ids(body):
            _check_task(ctx, tx.conn, task_id)
            row = tx.execute(SUBSCRIPTION.select().where(_SUB.person_id == ctx.person_id, _SUB.task_id == task_id)).first()
            if row is not None:
                out.append(SUBSCRIPTION.to_dict(row))
                continue
            made = crud.insert(tx, SUBSCRIPTION, {"person_id": ctx.person_id, "task_id": task_id})
            tx.emit("subscription:new", {"subscription_id": made["id"]})
            out.append(made)
    return out


def unsubscribe_tasks(ctx: RequestContext, body: Row) -> list[str]:
    """Stop following every task listed; answers the task ids."""
    require_person(ctx)
    ids = _task_ids(body)
    with ctx.write() as tx:
        for task_id in ids:
            _check_task(ctx, tx.conn, task_id)
            tx.delete(s.subscription, _SUB.person_id == ctx.person_id, _SUB.task_id == task_id)
    return ids


def _sequence_clause(ctx: RequestContext, sequence_id: str, task_type_id: str) -> list[sa.ColumnElement[bool]]:
    return [_SUB.person_id == ctx.person_id, _SUB.entity_id == _ids(sequence_id), _SUB.task_type_id == _ids(task_type_id)]


def _check_entity(ctx: RequestContext, conn: Connection, entity_id: str) -> None:
    perm.check_project_access(ctx, conn, crud.load(conn, ENTITY, entity_id)["project_id"])


def has_sequence_subscription(ctx: RequestContext, sequence_id: str, task_type_id: str) -> bool:
    require_person(ctx)
    where = _sequence_clause(ctx, sequence_id, task_type_id)
    with ctx.read() as conn:
        _check_entity(ctx, conn, sequence_id)
        return conn.execute(sa.select(_SUB.id).where(*where).limit(1)).first() is not None


def subscribe_sequence(ctx: RequestContext, sequence_id: str, task_type_id: str) -> Row:
    require_person(ctx)
    where = _sequence_clause(ctx, sequence_id, task_type_id)
    with ctx.write() as tx:
        _check_entity(ctx, tx.conn, sequence_id)
        crud.load(tx.conn, MODELS["task-types"], task_type_id)
        row = tx.execute(SUBSCRIPTION.select().where(*where)).first()
        if row is not None:
            return SUBSCRIPTION.to_dict(row)
        made = crud.insert(tx, SUBSCRIPTION, {"person_id": ctx.person_id, "entity_id": sequence_id,
                                              "task_type_id": task_type_id})
        tx.emit("subscription:new", {"subscription_id": made["id"]})
        return made


def unsubscribe_sequence(ctx: RequestContext, sequence_id: str, task_type_id: str) -> None:
    require_person(ctx)
    where = _sequence_clause(ctx, sequence_id, task_type_id)
    with ctx.write() as tx:
        for (subscription_id,) in tx.execute(sa.select(_SUB.id).where(*where)).all():
            tx.delete(s.subscription, _SUB.id == subscription_id)
            tx.emit("subscription:delete", {"subscription_id": subscription_id})
