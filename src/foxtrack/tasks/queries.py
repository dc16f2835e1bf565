"""SQL of the tasks feature: task rows joined with their names, batched relations."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core.errors import MalformedId, NotFound
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import ENTITY, MODELS, PERSON, PROJECT, TASK, Model
from foxtrack.core.rawsql import ForIds, in_ids
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
    "default_task_status",
    "default_task_status_id",
    "full_task_parts",
    "is_subscribed",
    "load",
    "load_task",
    "persons",
    "tasks_with_names",
    "time_spent_sum",
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


_WITH_NAMES = (
    sa.select(*TASK.columns, p.c.name, tt.c.name, ts.c.name, et.c.name, e.c.name)
    .select_from(t.join(p, p.c.id == t.c.project_id).join(tt, tt.c.id == t.c.task_type_id)
                 .join(ts, ts.c.id == t.c.task_status_id).join(e, e.c.id == t.c.entity_id)
                 .join(et, et.c.id == e.c.entity_type_id))
    .where(t.c.entity_id == sa.bindparam("entity_id"))
    .order_by(tt.c.priority, tt.c.name, t.c.name)
)


def tasks_with_names(conn: Connection, entity_id: str) -> list[Row]:
    """The tasks of an entity plus project/type/status/entity names (Zou's ``data/shots/{id}/tasks``
    rows), from a statement built once."""
    n = len(TASK.keys)
    out = []
    for row in conn.execute(_WITH_NAMES, {"entity_id": entity_id}):
        d = TASK.to_dict(row[:n])
        d.update(project_name=row[n], task_type_name=row[n + 1], task_status_name=row[n + 2],
                 entity_type_name=row[n + 3], entity_name=row[n + 4])
        out.append(d)
    return out


TYPE_DISPLAY = (tt.c.id, tt.c.name, tt.c.color, tt.c.priority)
STATUS_DISPLAY = (ts.c.id, ts.c.name, ts.c.short_name, ts.c.color)


def with_type_and_status(conn: Connection, tasks: list[Row], types: dict[str, Any] | None = None,
                         statuses: dict[str, Any] | None = None) -> list[Row]:
    """Add ``task_type_*`` and ``task_status_*`` display fields (bulk creation answers); ``types``
    and ``statuses`` (id: row of ``TYPE_DISPLAY``/``STATUS_DISPLAY``), when the caller has them
    already, save their lookups."""
    type_ids = {x["task_type_id"] for x in tasks}
    status_ids = {x["task_status_id"] for x in tasks}
    if types is None or not type_ids <= types.keys():
        types = {r.id: r for r in conn.execute(sa.select(*TYPE_DISPLAY).where(in_ids(tt.c.id, list(type_ids))))}
    if statuses is None or not status_ids <= statuses.keys():
        statuses = {r.id: r for r in conn.execute(sa.select(*STATUS_DISPLAY)
                                                  .where(in_ids(ts.c.id, list(status_ids))))}
    for x in tasks:
        ty, st = types.get(x["task_type_id"]), statuses.get(x["task_status_id"])
        if ty is not None:
            x.update(task_type_name=ty.name, task_type_color=ty.color, task_type_priority=ty.priority)
        if st is not None:
            x.update(task_status_name=st.name, task_status_short_name=st.short_name, task_status_color=st.color)
    return tasks


_PERSONS = ForIds(lambda pick: PERSON.select().where(pick(s.person.c.id)))


def persons(conn: Connection, person_ids: list[str]) -> list[Row]:
    if not person_ids:
        return []
    rows = PERSON.to_dicts(_PERSONS.execute(conn, person_ids))
    PERSON.add_relations(conn, rows)
    order = {pid: i for i, pid in enumerate(person_ids)}
    return sorted(rows, key=lambda r: order.get(r["id"], 0))


def assignee_ids(conn: Connection, task_id: str) -> list[str]:
    link = s.task_person_link
    return [r[0] for r in conn.execute(sa.select(link.c.person_id).where(link.c.task_id == task_id))]


# ``data/tasks/{id}/full`` in one statement: the task with its entity, the entity's type, parent and
# grandparent (sequence and episode) and source (an episode), the project, the task's type and status,
# and whether the caller follows it. Built once; the ids are bound at execution.
_parent, _grandparent, _source = e.alias("parent"), e.alias("grandparent"), e.alias("source")
_FULL_PARTS: list[tuple[str, Model, Any]] = [
    ("task", TASK, t), ("entity", ENTITY, e), ("entity_type", ENTITY_TYPE, et), ("parent", ENTITY, _parent),
    ("grandparent", ENTITY, _grandparent), ("source", ENTITY, _source), ("project", PROJECT, p),
    ("task_type", TASK_TYPE, tt), ("task_status", TASK_STATUS, ts),
]
_FULL_SLICES: list[tuple[str, Model, int, int]] = []
_full_columns: list[Any] = []
for _name, _model, _table in _FULL_PARTS:
    _FULL_SLICES.append((_name, _model, len(_full_columns), len(_full_columns) + len(_model.keys)))
    _full_columns.extend(_table.c[k] for k in _model.keys)
_FULL_TASK = (
    sa.select(*_full_columns, sa.exists().where(s.subscription.c.person_id == sa.bindparam("person_id"),
                                                s.subscription.c.task_id == t.c.id).label("is_subscribed"))
    .select_from(
        t.outerjoin(e, e.c.id == t.c.entity_id).outerjoin(et, et.c.id == e.c.entity_type_id)
        .outerjoin(_parent, _parent.c.id == e.c.parent_id)
        .outerjoin(_grandparent, _grandparent.c.id == _parent.c.parent_id)
        .outerjoin(_source, _source.c.id == e.c.source_id)
        .outerjoin(p, p.c.id == t.c.project_id).outerjoin(tt, tt.c.id == t.c.task_type_id)
        .outerjoin(ts, ts.c.id == t.c.task_status_id))
    .where(t.c.id == sa.bindparam("task_id"))
)


def full_task_parts(conn: Connection, task_id: str, person_id: str) -> dict[str, Any]:
    """The rows ``data/tasks/{id}/full`` embeds, from one statement: ``task``, ``entity``,
    ``entity_type``, ``parent``, ``grandparent``, ``source``, ``project``, ``task_type``,
    ``task_status`` (each a serialised row, or None when absent) and ``is_subscribed``. 400 for a
    malformed id, 404 for an unknown task."""
    if not is_uuid(task_id):
        raise MalformedId()
    row = conn.execute(_FULL_TASK, {"task_id": task_id, "person_id": person_id}).first()
    if row is None:
        raise NotFound()
    parts: dict[str, Any] = {}
    for name, model, start, end in _FULL_SLICES:
        values = row[start:end]
        parts[name] = model.to_dict(values) if values[0] is not None else None  # ids come first
    parts["is_subscribed"] = bool(row[-1])
    return parts


def is_subscribed(conn: Connection, person_id: str, task_id: str) -> bool:
    sub = s.subscription
    return conn.execute(
        sa.select(sa.literal(1)).where(sub.c.person_id == person_id, sub.c.task_id == task_id)
    ).first() is not None


def default_task_status_id(conn: Connection) -> str | None:
    return next(iter(default_task_status(conn)), None)


def default_task_status(conn: Connection) -> dict[str, Any]:
    """The default task status as ``{id: row of STATUS_DISPLAY}`` (empty when there is none)."""
    row = conn.execute(sa.select(*STATUS_DISPLAY).where(ts.c.is_default.is_(True)).order_by(ts.c.created_at)
                       .limit(1)).first()
    return {row.id: row} if row is not None else {}


def time_spent_sum(task_id: str) -> Any:
    """The minutes spent on a task, as a subquery: ``task.duration`` set from it in its UPDATE."""
    tsp = s.time_spent
    return (sa.select(sa.func.coalesce(sa.func.sum(tsp.c.duration), 0)).where(tsp.c.task_id == task_id)
            .scalar_subquery())
