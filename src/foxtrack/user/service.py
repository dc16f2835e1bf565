"""The caller's own area: context, to-do lists, notifications, saved filters, time sheet."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import (
    NOT_FOUND_TEXT,
    BadRequest,
    Forbidden,
    MalformedId,
    NotFound,
    validation_error,
)
from foxtrack.core.jsonutil import is_uuid, normalize_date, now
from foxtrack.core.models import (
    ASSET_TYPE,
    ENTITY,
    ENTITY_TYPE,
    MODELS,
    PERSON,
    TEMPORAL_TYPES,
    Model,
)
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.persons.service import minimal
from foxtrack.projects import service as projects
from foxtrack.user import queries as q

Row = dict[str, Any]

NOT_PERSON = ("You don't have the permission to access the requested resource. It is either read-protected or "
              "not readable by the server.")
NON_ASSET_TYPES = (*TEMPORAL_TYPES, "ConceptFolder")
# Zou's wording when a row of the caller's own area is missing
ROUTE_404 = "404 Not Found: " + NOT_FOUND_TEXT


def require_person(ctx: RequestContext) -> None:
    """The user area is for real persons; bot tokens get 403."""
    if ctx.is_bot:
        raise Forbidden(NOT_PERSON)


@functools.cache
def _all_statement(path: str, order: str | None) -> Any:
    """Every row of a model, in ``order``: built once (a statement costs more to build than a small
    table takes to read)."""
    model = MODELS[path]
    stmt = model.select()
    return stmt.order_by(model.table.c[order]) if order else stmt


def _all(conn: Connection, path: str, order: str | None = "name") -> list[Row]:
    return MODELS[path].to_dicts(conn.execute(_all_statement(path, order)))


# ----------------------------------------------------------------------------- context

_ASSET_TYPES = (ASSET_TYPE.select().where(s.entity_type.c.name.not_in(NON_ASSET_TYPES))
                .order_by(s.entity_type.c.name))
_PERSONS = PERSON.select().order_by(s.person.c.first_name, s.person.c.last_name)
_ROLES = sa.select(s.project_person_link.c.project_id, s.project_person_link.c.role).where(
    s.project_person_link.c.person_id == sa.bindparam("person_id"), s.project_person_link.c.role.is_not(None))
_UNREAD = sa.select(sa.func.count()).select_from(s.notification).where(
    s.notification.c.person_id == sa.bindparam("person_id"), s.notification.c.read.is_not(True))


def asset_types(conn: Connection) -> list[Row]:
    rows = ASSET_TYPE.to_dicts(conn.execute(_ASSET_TYPES))
    ENTITY_TYPE.add_relations(conn, rows)
    return rows


def persons_for(ctx: RequestContext, conn: Connection) -> list[Row]:
    rows = PERSON.to_dicts(conn.execute(_PERSONS))
    PERSON.add_relations(conn, rows)
    return rows if ctx.is_manager else [minimal(r) for r in rows]


def project_roles(ctx: RequestContext, conn: Connection) -> dict[str, str]:
    return {pid: role for pid, role in conn.execute(_ROLES, {"person_id": ctx.person_id})}


def notification_count(ctx: RequestContext, conn: Connection) -> int:
    return conn.execute(_UNREAD, {"person_id": ctx.person_id}).scalar() or 0


def context(ctx: RequestContext) -> Row:
    require_person(ctx)
    with ctx.read() as conn:
        out: Row = {
            "asset_types": asset_types(conn),
            "custom_actions": _all(conn, "custom-actions"),
            "status_automations": _all(conn, "status-automations", order="created_at"),
            "departments": _all(conn, "departments"),
            "studios": _all(conn, "studios"),
            "notification_count": notification_count(ctx, conn),
            "persons": persons_for(ctx, conn),
            "project_status": _all(conn, "project-status", order="created_at"),
            "project_roles": project_roles(ctx, conn),
            "projects": projects.open_projects(ctx, conn, mine_only=not ctx.is_admin),
            "task_types": _all(conn, "task-types", order=None),
            "task_status": _all(conn, "task-status", order=None),
            "search_filters": grouped_filters(conn, s.search_filter, ctx.person_id),
            "search_filter_groups": grouped_filters(conn, s.search_filter_group, ctx.person_id),
            "preview_background_files": _all(conn, "preview-background-files"),
            "plugins": [],
        }
        if ctx.is_admin:
            out["user_limit"] = getattr(ctx.state.settings, "user_limit", 100)
    return out


def open_projects(ctx: RequestContext) -> list[Row]:
    require_person(ctx)
    with ctx.read() as conn:
        return projects.open_projects(ctx, conn, mine_only=True)


# ----------------------------------------------------------------------------- tasks

def _done() -> sa.ColumnElement[bool]:
    return s.task.c.task_status_id.in_(sa.select(s.task_status.c.id).where(s.task_status.c.is_done.is_(True)))


# the caller's to-do and done lists (the Kitsu UI's first calls): built once, the caller bound at execution
_TO_DO = q.task_rows_statement([q.assigned_to(sa.bindparam("person_id")), q.in_open_projects(), sa.not_(_done()),
                                s.entity.c.canceled.is_not(True)])
_DONE = q.task_rows_statement([q.assigned_to(sa.bindparam("person_id")), q.in_open_projects(), _done()])


def tasks_to_do(ctx: RequestContext) -> list[Row]:
    require_person(ctx)
    with ctx.read() as conn:
        return q.read_task_rows(conn, _TO_DO, {"person_id": ctx.person_id})


def done_tasks(ctx: RequestContext) -> list[Row]:
    require_person(ctx)
    with ctx.read() as conn:
        return q.read_task_rows(conn, _DONE, {"person_id": ctx.person_id})


def tasks_to_check(ctx: RequestContext) -> list[Row]:
    """Tasks waiting for feedback in the caller's projects (supervisors: their departments' task types)."""
    require_person(ctx)
    if ctx.role not in (perm.ADMIN, perm.MANAGER, perm.SUPERVISOR):
        return []
    feedback = s.task.c.task_status_id.in_(
        sa.select(s.task_status.c.id).where(s.task_status.c.is_feedback_request.is_(True)))
    where = [feedback, q.in_open_projects(), q.in_projects_of(ctx.person_id)]
    if ctx.role == perm.SUPERVISOR:
        departments = sa.select(s.department_link.c.department_id).where(
            s.department_link.c.person_id == ctx.person_id)
        where.append(s.task.c.task_type_id.in_(
            sa.select(s.task_type.c.id).where(s.task_type.c.department_id.in_(departments))))
    with ctx.read() as conn:
        return q.task_rows(conn, where)


def tasks_for_entity(ctx: RequestContext, entity_id: str) -> list[Row]:
    require_person(ctx)
    _uuid(entity_id)
    with ctx.read() as conn:
        crud.load(conn, ENTITY, entity_id)
        return q.task_rows(conn, [s.task.c.entity_id == entity_id, q.assigned_to(ctx.person_id)])


def task_types_for_entity(ctx: RequestContext, entity_id: str) -> list[Row]:
    require_person(ctx)
    _uuid(entity_id)
    model = MODELS["task-types"]
    t = s.task
    with ctx.read() as conn:
        crud.load(conn, ENTITY, entity_id)
        ids = sa.select(t.c.task_type_id).where(t.c.entity_id == entity_id, q.assigned_to(ctx.person_id))
        return model.to_dicts(conn.execute(model.select().where(s.task_type.c.id.in_(ids))
                                           .order_by(s.task_type.c.priority, s.task_type.c.name)))


def _entities(conn: Connection, where: list[sa.ColumnElement[bool]], type_name: str | None) -> list[Row]:
    rows = ENTITY.to_dicts(conn.execute(ENTITY.select().where(*where).order_by(s.entity.c.name)))
    if type_name:
        for r in rows:
            r["type"] = type_name
    return rows


def _assigned_entities(person_id: str) -> sa.Select[Any]:
    return sa.select(s.task.c.entity_id).where(q.assigned_to(person_id))


def _type_id(conn: Connection, name: str) -> str | None:
    return conn.execute(sa.select(s.entity_type.c.id).where(s.entity_type.c.name == name)).scalar()


def project_entities(ctx: RequestContext, project_id: str, kind: str) -> list[Row]:
    """Sequences or episodes of a project holding tasks assigned to the caller."""
    require_person(ctx)
    _uuid(project_id)
    e = s.entity
    with ctx.read() as conn:
        shots = sa.select(e.c.parent_id).where(e.c.id.in_(_assigned_entities(ctx.person_id)))
        if kind == "Sequence":
            ids = shots
        else:
            ids = sa.select(e.c.parent_id).where(e.c.id.in_(shots))
        where = [e.c.project_id == project_id, e.c.entity_type_id == _type_id(conn, kind),
                 sa.or_(e.c.id.in_(ids), e.c.id.in_(_assigned_entities(ctx.person_id)))]
        return _entities(conn, where, kind)


def project_asset_types(ctx: RequestContext, project_id: str) -> list[Row]:
    require_person(ctx)
    _uuid(project_id)
    e = s.entity
    with ctx.read() as conn:
        ids = sa.select(e.c.entity_type_id).where(e.c.project_id == project_id,
                                                  e.c.id.in_(_assigned_entities(ctx.person_id)))
        et = s.entity_type
        return ASSET_TYPE.to_dicts(conn.execute(ASSET_TYPE.select().where(
            et.c.id.in_(ids), et.c.name.not_in(NON_ASSET_TYPES)).order_by(et.c.name)))


def project_assets(ctx: RequestContext, project_id: str, asset_type_id: str) -> list[Row]:
    require_person(ctx)
    _uuid(project_id)
    _uuid(asset_type_id)
    e = s.entity
    with ctx.read() as conn:
        where = [e.c.project_id == project_id, e.c.entity_type_id == asset_type_id,
                 e.c.id.in_(_assigned_entities(ctx.person_id))]
        return _entities(conn, where, "Asset")


def sequence_children(ctx: RequestContext, sequence_id: str, kind: str) -> list[Row]:
    require_person(ctx)
    _uuid(sequence_id)
    e = s.entity
    with ctx.read() as conn:
        crud.load(conn, ENTITY, sequence_id)
        where = [e.c.parent_id == sequence_id, e.c.entity_type_id == _type_id(conn, kind),
                 e.c.id.in_(_assigned_entities(ctx.person_id))]
        return _entities(conn, where, kind)


# ----------------------------------------------------------------------------- notifications

def notifications(ctx: RequestContext, params: dict[str, str]) -> list[Row]:
    require_person(ctx)
    n = s.notification
    where: list[sa.ColumnElement[bool]] = []
    if params.get("after"):
        where.append(n.c.created_at > params["after"])
    if params.get("before"):
        where.append(n.c.created_at < params["before"])
    if params.get("task_type_id"):
        where.append(s.task.c.task_type_id == _uuid(params["task_type_id"]))
    if params.get("task_status_id"):
        where.append(s.comment.c.task_status_id == _uuid(params["task_status_id"]))
    if params.get("type"):
        where.append(n.c.type == params["type"])
    if params.get("read") is not None:
        from foxtrack.core.filters import parse_bool

        where.append(n.c.read.is_(True) if parse_bool(params["read"]) else n.c.read.is_not(True))
    with ctx.read() as conn:
        return q.notifications(conn, ctx.person_id, where)


def notification(ctx: RequestContext, notification_id: str) -> Row:
    require_person(ctx)
    _uuid(notification_id)
    with ctx.read() as conn:
        rows = q.notifications(conn, ctx.person_id, [s.notification.c.id == notification_id])
    if not rows:
        raise NotFound(ROUTE_404)
    return rows[0]


def _notification_row(conn: Connection, notification_id: str) -> Row:
    model = MODELS["notifications"]
    row = conn.execute(sa.select(s.notification).where(s.notification.c.id == notification_id)).mappings().first()
    if row is None:
        raise NotFound(ROUTE_404)
    out = dict(row)
    for key in ("created_at", "updated_at"):
        out[key] = (out[key] or "")[:19]
    out["notification_type"] = out.pop("type")
    out["type"] = model.type_name
    return out


def update_notification(ctx: RequestContext, notification_id: str, body: Row) -> Row:
    require_person(ctx)
    _uuid(notification_id)
    with ctx.write() as tx:
        current = _notification_row(tx.conn, notification_id)
        if current["person_id"] != ctx.person_id:
            raise Forbidden()
        if "read" in body:
            crud.update_row(tx, MODELS["notifications"], notification_id, {"read": bool(body["read"])})
        row = _notification_row(tx.conn, notification_id)
    return row


def mark_all_read(ctx: RequestContext) -> Row:
    require_person(ctx)
    n = s.notification
    with ctx.write() as tx:
        tx.update(n, {"read": True, "updated_at": now()}, n.c.person_id == ctx.person_id, n.c.read.is_not(True))
    return {"success": True}


# ----------------------------------------------------------------------------- saved filters

FILTER_TABLES = {"filters": (s.search_filter, "search-filters"),
                 "filter-groups": (s.search_filter_group, "search-filter-groups")}


@functools.cache
def _filters_statement(table: sa.Table) -> Any:
    model = MODELS["search-filters" if table is s.search_filter else "search-filter-groups"]
    where = [table.c.person_id == sa.bindparam("person_id")]
    if table is s.search_filter:
        # filters of a deleted group are gone with it
        where.append(sa.or_(table.c.search_filter_group_id.is_(None), table.c.search_filter_group_id.in_(
            sa.select(s.search_filter_group.c.id))))
    return model.select().where(*where).order_by(table.c.name)


def grouped_filters(conn: Connection, table: sa.Table, person_id: str) -> dict[str, dict[str, list[Row]]]:
    """``{list_type: {project_id or "all": [filters]}}``, as Kitsu stores them."""
    model = MODELS["search-filters" if table is s.search_filter else "search-filter-groups"]
    out: dict[str, dict[str, list[Row]]] = {}
    rows = conn.execute(_filters_statement(table), {"person_id": person_id})
    for row in model.to_dicts(rows):
        out.setdefault(row["list_type"] or "", {}).setdefault(row["project_id"] or "all", []).append(row)
    return out


def list_filters(ctx: RequestContext, kind: str) -> Row:
    require_person(ctx)
    table, _ = FILTER_TABLES[kind]
    with ctx.read() as conn:
        return grouped_filters(conn, table, ctx.person_id)


def create_filter(ctx: RequestContext, kind: str, body: Row) -> Row:
    require_person(ctx)
    _, path = FILTER_TABLES[kind]
    model = MODELS[path]
    required = ("list_type", "name", "query") if kind == "filters" else ("name",)
    missing = {k: "Field required" for k in required if body.get(k) in (None, "")}
    if missing:
        raise validation_error(missing, message="Validation error.")
    source = dict(body)
    if kind == "filters":
        source["search_query"] = source.pop("query")
    values, _ = crud.split_body(model, source, ignore=frozenset({"person_id"}))
    values["person_id"] = ctx.person_id
    with ctx.write() as tx:
        if values.get("project_id") and not perm.can_read_project(ctx, tx.conn, str(values["project_id"])):
            values["project_id"] = None  # Zou keeps it: a filter of a project the caller cannot read is global
        row = crud.insert(tx, model, values)
    return row


def _own_filter(conn: Connection, model: Model, ctx: RequestContext, filter_id: str) -> Row:
    _uuid(filter_id)
    row = model.get(conn, filter_id)
    if row is None or row.get("person_id") != ctx.person_id:
        raise NotFound(ROUTE_404)
    return row


def get_filter(ctx: RequestContext, kind: str, filter_id: str) -> Row:
    require_person(ctx)
    _, path = FILTER_TABLES[kind]
    with ctx.read() as conn:
        return _own_filter(conn, MODELS[path], ctx, filter_id)


def update_filter(ctx: RequestContext, kind: str, filter_id: str, body: Row) -> Row:
    require_person(ctx)
    _, path = FILTER_TABLES[kind]
    model = MODELS[path]
    source = dict(body)
    if kind == "filters" and "query" in source and "search_query" not in source:
        source["search_query"] = source.pop("query")
    values, _ = crud.split_body(model, source, ignore=frozenset({"person_id"}))
    with ctx.write() as tx:
        _own_filter(tx.conn, model, ctx, filter_id)
        if values:
            crud.update_row(tx, model, filter_id, values)
        return _own_filter(tx.conn, model, ctx, filter_id)


def delete_filter(ctx: RequestContext, kind: str, filter_id: str) -> None:
    require_person(ctx)
    table, path = FILTER_TABLES[kind]
    with ctx.write() as tx:
        _own_filter(tx.conn, MODELS[path], ctx, filter_id)
        if kind == "filter-groups":
            tx.delete(s.search_filter, s.search_filter.c.search_filter_group_id == filter_id)
        tx.delete(table, table.c.id == filter_id)


# ----------------------------------------------------------------------------- time sheet

def _uuid(value: str) -> str:
    if not is_uuid(value):
        raise MalformedId()
    return value


def _date(value: str) -> str:
    try:
        out = normalize_date(value)
    except ValueError as exc:
        raise BadRequest(f"Wrong date format for {value}") from exc
    if out is None:
        raise BadRequest(f"Wrong date format for {value}")
    return out


def time_spents(ctx: RequestContext, date: str | None = None, task_id: str | None = None,
                start: str | None = None, end: str | None = None) -> list[Row]:
    require_person(ctx)
    model = MODELS["time-spents"]
    ts = s.time_spent
    where = [ts.c.person_id == ctx.person_id]
    if date is not None:
        where.append(ts.c.date == _date(date))
    if task_id is not None:
        where.append(ts.c.task_id == _uuid(task_id))
    if start:
        where.append(ts.c.date >= _date(start))
    if end:
        where.append(ts.c.date <= _date(end))
    with ctx.read() as conn:
        return model.to_dicts(conn.execute(model.select().where(*where).order_by(ts.c.date, ts.c.created_at)))


def day_off(ctx: RequestContext, date: str) -> Row:
    require_person(ctx)
    day = _date(date)
    model = MODELS["day-offs"]
    d = s.day_off
    with ctx.read() as conn:
        row = conn.execute(model.select().where(
            d.c.person_id == ctx.person_id, d.c.date <= day,
            sa.func.coalesce(d.c.end_date, d.c.date) >= day)).first()
    return model.to_dict(row) if row is not None else {}


# ----------------------------------------------------------------------------- task subscriptions

def _task_for_subscription(conn: Connection, ctx: RequestContext, task_id: str, team: bool = True) -> Row:
    """The task; following it needs its team, asking or stopping is about the caller's own rows (Zou)."""
    task = crud.load(conn, MODELS["tasks"], _uuid(task_id))
    if team:
        perm.check_project_access(ctx, conn, task["project_id"])
    return task


def is_subscribed(ctx: RequestContext, task_id: str) -> bool:
    require_person(ctx)
    sub = s.subscription
    with ctx.read() as conn:
        _task_for_subscription(conn, ctx, task_id, team=False)
        return conn.execute(sa.select(sub.c.id).where(sub.c.person_id == ctx.person_id,
                                                      sub.c.task_id == task_id)).first() is not None


def subscribe(ctx: RequestContext, task_id: str) -> Row:
    require_person(ctx)
    model, sub = MODELS["subscriptions"], s.subscription
    with ctx.write() as tx:
        _task_for_subscription(tx.conn, ctx, task_id)
        row = tx.conn.execute(model.select().where(sub.c.person_id == ctx.person_id, sub.c.task_id == task_id)).first()
        if row is not None:
            return model.to_dict(row)
        return crud.insert(tx, model, {"person_id": ctx.person_id, "task_id": task_id})


def unsubscribe(ctx: RequestContext, task_id: str) -> None:
    require_person(ctx)
    sub = s.subscription
    with ctx.write() as tx:
        _task_for_subscription(tx.conn, ctx, task_id, team=False)
        tx.delete(sub, sub.c.person_id == ctx.person_id, sub.c.task_id == task_id)
