"""SQL of the tasks feature: task rows joined with their names, batched relations."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core.errors import MalformedId, NotFound
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import ENTITY, MODELS, PERSON, PROJECT, TASK, Model
from foxtrack.core.rawsql import in_ids
from foxtrack.db import schema as s

Row = dict[str, Any]
__all__ = [
    "ENTITY_TYPE",
    "MODELS",
    "PROJECT",
    "TASK_STATUS",
    "TASK_TYPE",
    "TIME_SPENT",
    "assignee_ids",
    "default_task_status_id",
    "entity_dict",
    "is_subscribed",
    "load",
    "load_task",
    "persons",
    "project_dict",
    "tasks_with_names",
    "time_spent_total",
    "with_type_and_status",
]

TASK_TYPE = MODELS["task-types"]
TASK_STATUS = MODELS["task-status"]
ENTITY_TYPE = MODELS["entity-types"]
TIME_SPENT = MODELS["time-spents"]

t, e, et, p = s.task, s.entity, s.entity_type, s.project
tt, ts = s.task_type, s.task_status


def load(conn: Connection, model: Model, item_id: str) -> Row:
    """One row of ``model`` or 400 (malformed id) / 404."""
    if not is_uuid(item_id):
        raise MalformedId()
    row = model.get(conn, item_id)
    if row is None:
        raise NotFound()
    return row


def load_task(conn: Connection, task_id: str) -> Row:
    return load(conn, TASK, task_id)


def tasks_with_names(conn: Connection, *where: sa.ColumnElement[bool]) -> list[Row]:
    """Tasks plus project/type/status/entity names (Zou's ``data/shots/{id}/tasks`` rows)."""
    stmt = (
        sa.select(*TASK.columns, p.c.name, tt.c.name, ts.c.name, et.c.name, e.c.name)
        .select_from(t.join(p, p.c.id == t.c.project_id).join(tt, tt.c.id == t.c.task_type_id)
                     .join(ts, ts.c.id == t.c.task_status_id).join(e, e.c.id == t.c.entity_id)
                     .join(et, et.c.id == e.c.entity_type_id))
        .where(*where)
        .order_by(tt.c.priority, tt.c.name, t.c.name)
    )
    n = len(TASK.keys)
    out = []
    for row in conn.execute(stmt):
        d = TASK.to_dict(row[:n])
        d.update(project_name=row[n], task_type_name=row[n + 1], task_status_name=row[n + 2],
                 entity_type_name=row[n + 3], entity_name=row[n + 4])
        out.append(d)
    return out


def with_type_and_status(conn: Connection, tasks: list[Row]) -> list[Row]:
    """Add ``task_type_*`` and ``task_status_*`` display fields (bulk creation answers)."""
    type_ids = {x["task_type_id"] for x in tasks}
    status_ids = {x["task_status_id"] for x in tasks}
    types = {r.id: r for r in conn.execute(sa.select(tt.c.id, tt.c.name, tt.c.color, tt.c.priority)
                                           .where(in_ids(tt.c.id, list(type_ids))))}
    statuses = {r.id: r for r in conn.execute(sa.select(ts.c.id, ts.c.name, ts.c.short_name, ts.c.color)
                                              .where(in_ids(ts.c.id, list(status_ids))))}
    for x in tasks:
        ty, st = types.get(x["task_type_id"]), statuses.get(x["task_status_id"])
        if ty is not None:
            x.update(task_type_name=ty.name, task_type_color=ty.color, task_type_priority=ty.priority)
        if st is not None:
            x.update(task_status_name=st.name, task_status_short_name=st.short_name, task_status_color=st.color)
    return tasks


def persons(conn: Connection, person_ids: list[str]) -> list[Row]:
    if not person_ids:
        return []
    rows = PERSON.to_dicts(conn.execute(PERSON.select().where(in_ids(s.person.c.id, person_ids))))
    PERSON.add_relations(conn, rows)
    order = {pid: i for i, pid in enumerate(person_ids)}
    return sorted(rows, key=lambda r: order.get(r["id"], 0))


def assignee_ids(conn: Connection, task_id: str) -> list[str]:
    link = s.task_person_link
    return [r[0] for r in conn.execute(sa.select(link.c.person_id).where(link.c.task_id == task_id))]


def entity_dict(conn: Connection, state_type_name: Any, entity_id: str | None) -> Row | None:
    if not entity_id:
        return None
    row = ENTITY.get(conn, entity_id)
    if row is not None:
        row["type"] = state_type_name(conn, row["entity_type_id"])
    return row


def is_subscribed(conn: Connection, person_id: str, task_id: str) -> bool:
    sub = s.subscription
    return conn.execute(
        sa.select(sa.literal(1)).where(sub.c.person_id == person_id, sub.c.task_id == task_id)
    ).first() is not None


def default_task_status_id(conn: Connection) -> str | None:
    return conn.execute(
        sa.select(ts.c.id).where(ts.c.is_default.is_(True)).order_by(ts.c.created_at).limit(1)
    ).scalar()


def project_dict(conn: Connection, project_id: str) -> Row | None:
    return PROJECT.get(conn, project_id)


def time_spent_total(conn: Connection, task_id: str) -> float:
    tsp = s.time_spent
    return float(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(tsp.c.duration), 0))
                            .where(tsp.c.task_id == task_id)).scalar() or 0)
