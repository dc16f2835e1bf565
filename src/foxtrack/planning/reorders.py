"""Priorities set by order: the studio's task types, and a project template's task types and statuses."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import wrong_parameter
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import MODELS
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.planning.models import TEMPLATE_TASK_STATUS_LINK, TEMPLATE_TASK_TYPE_LINK
from foxtrack.planning.templates import DEFAULT_BOARD_ROLES, _template_or_404, _touch

Row = dict[str, Any]
TASK_TYPE = MODELS["task-types"]


def _ordered_ids(body: Any, key: str) -> list[str]:
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        raise wrong_parameter(f"Request body must be a JSON object with a '{key}' list.")
    return [i for i in body[key] if isinstance(i, str) and is_uuid(i)]


def reorder_task_types(ctx: RequestContext, body: Any) -> list[Row]:
    """Give the task types priorities 1, 2, 3... in the order listed (admins); unknown ids are skipped."""
    perm.require_admin(ctx)
    ids = _ordered_ids(body, "task_type_ids")
    out = []
    with ctx.write() as tx:
        for priority, task_type_id in enumerate(ids, start=1):
            if TASK_TYPE.get(tx.conn, task_type_id) is None:
                continue
            crud.update_row(tx, TASK_TYPE, task_type_id, {"priority": priority})
            tx.emit("task-type:update", {"task_type_id": task_type_id})
            out.append(crud.load(tx.conn, TASK_TYPE, task_type_id))
    return out


def _set_link(tx: Tx, link: sa.Table, column: str, template_id: str, item_id: str, priority: int,
              defaults: Row) -> Row:
    model = TEMPLATE_TASK_TYPE_LINK if link is s.project_template_task_type_link else TEMPLATE_TASK_STATUS_LINK
    current = tx.execute(sa.select(link.c.id).where(link.c.project_template_id == template_id,
                                                    link.c[column] == item_id)).scalar()
    if current is None:
        return crud.insert(tx, model, {"project_template_id": template_id, column: item_id, "priority": priority,
                                       **defaults})
    crud.update_row(tx, model, current, {"priority": priority})
    return crud.load(tx.conn, model, current)


def reorder_template(ctx: RequestContext, template_id: str, kind: str, body: Any) -> list[Row]:
    """Set the template's task types (``kind`` "task-types") or task statuses ("task-statuses") in
    the order listed, adding those it lacks (admins)."""
    perm.require_admin(ctx)
    if kind == "task-types":
        link, column, target, key, defaults = (s.project_template_task_type_link, "task_type_id", s.task_type,
                                               "task_type_ids", {})
    else:
        link, column, target, key, defaults = (s.project_template_task_status_link, "task_status_id",
                                               s.task_status, "task_status_ids",
                                               {"roles_for_board": DEFAULT_BOARD_ROLES})
    ids = _ordered_ids(body, key)
    with ctx.write() as tx:
        _template_or_404(tx.conn, template_id)
        known = set(tx.execute(sa.select(target.c.id).where(target.c.id.in_(ids))).scalars()) if ids else set()
        out = [_set_link(tx, link, column, template_id, item_id, priority, defaults)
               for priority, item_id in enumerate(ids, start=1) if item_id in known]
        _touch(tx, template_id)
        tx.emit("project-template:update", {"project_template_id": template_id})
    return out
