"""Project settings in one call, metadata descriptors across every open production, and the time
spent on a production's tasks."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import BadRequest, validation_error, wrong_parameter
from foxtrack.core.jsonutil import is_uuid, normalize_date, now
from foxtrack.core.models import METADATA_DESCRIPTOR, MODELS, PROJECT
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.projects.service import DATA_TYPES, check_id, field_name_of, load_project

Row = dict[str, Any]

METADATA_ENTITY_TYPES = ("Asset", "Shot", "Sequence", "Episode", "Edit", "Project")
TIME_SPENT = MODELS["time-spents"]


def _id_list(body: Row, key: str) -> list[str]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise validation_error({key: "Input should be a valid list"}, "Validation error.")
    return [v for v in value if is_uuid(v)]


# ----------------------------------------------------------------------------- settings in one call

def update_settings(ctx: RequestContext, project_id: str, body: Row) -> Row:
    """Add task types (with their priority), task statuses and asset types to a production; with
    ``replace_task_types``, the task types not listed leave it."""
    check_id(project_id)
    entries = body.get("task_types", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("task_type_id"), str)
                                                for e in entries):
        raise validation_error({"task_types": "Input should be a list of {task_type_id, priority}"},
                               "Validation error.")
    priorities: dict[str, int | None] = {}
    for entry in entries:
        priority = entry.get("priority")
        if priority is not None and (not isinstance(priority, int) or isinstance(priority, bool)):
            raise validation_error({"task_types.priority": "Input should be a valid integer"}, "Validation error.")
        if is_uuid(entry["task_type_id"]):
            priorities[entry["task_type_id"]] = priority
    status_ids, asset_type_ids = _id_list(body, "task_status_ids"), _id_list(body, "asset_type_ids")
    replace = body.get("replace_task_types", False)
    if not isinstance(replace, bool):
        raise validation_error({"replace_task_types": "Input should be a valid boolean"}, "Validation error.")
    with ctx.write() as tx:
        load_project(tx.conn, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        _set_task_types(tx, project_id, priorities, replace)
        _add_links(tx, s.project_task_status_link, "task_status_id", s.task_status, project_id, status_ids)
        _add_links(tx, s.project_asset_type_link, "asset_type_id", s.entity_type, project_id, asset_type_ids)
        crud.update_row(tx, PROJECT, project_id, {})
        tx.emit("project:update", {"project_id": project_id}, project_id=project_id)
        return crud.load(tx.conn, PROJECT, project_id)


def _existing(tx: Tx, table: sa.Table, ids: list[str]) -> set[str]:
    return set(tx.execute(sa.select(table.c.id).where(table.c.id.in_(ids))).scalars()) if ids else set()


def _set_task_types(tx: Tx, project_id: str, priorities: dict[str, int | None], replace: bool) -> None:
    link = s.project_task_type_link
    current = dict(tx.execute(sa.select(link.c.task_type_id, link.c.priority).where(link.c.project_id == project_id))
                   .tuples().all())
    known = _existing(tx, s.task_type, list(priorities))
    for task_type_id, priority in priorities.items():
        if task_type_id not in current:
            if task_type_id in known:
                tx.insert(link, {"project_id": project_id, "task_type_id": task_type_id, "priority": priority})
        elif priority is not None and current[task_type_id] != priority:
            tx.update(link, {"priority": priority}, link.c.project_id == project_id, link.c.task_type_id == task_type_id)
    if replace:
        gone = [tid for tid in current if tid not in priorities]
        if gone:
            tx.delete(link, link.c.project_id == project_id, link.c.task_type_id.in_(gone))


def _add_links(tx: Tx, link: sa.Table, column: str, target: sa.Table, project_id: str, ids: list[str]) -> None:
    present = set(tx.execute(sa.select(link.c[column]).where(link.c.project_id == project_id)).scalars())
    known = _existing(tx, target, ids)
    rows = [{"project_id": project_id, column: i} for i in dict.fromkeys(ids) if i in known and i not in present]
    tx.insert(link, rows)


# ----------------------------------------------------------------------------- descriptors on every production

def _check_entity_type(entity_type: Any) -> str:
    if entity_type not in METADATA_ENTITY_TYPES:
        raise wrong_parameter("Wrong entity type. Please select Asset, Shot, Sequence, Episode, Edit, or Project.")
    return str(entity_type)


def _check_data_type(data_type: Any) -> str:
    if data_type not in DATA_TYPES:
        raise wrong_parameter("Invalid data_type")
    return str(data_type)


def _string_list(body: Row, key: str) -> list[str]:
    value = body.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise validation_error({key: "Input should be a valid list"}, "Validation error.")
    return value


def managed_open_projects(ctx: RequestContext, conn: Connection) -> list[str]:
    """The open productions the caller manages: all of them for an admin; for a manager, those of
    their teams where their role is (or defaults to) manager."""
    p, ps = s.project, s.project_status
    open_ids = sa.select(p.c.id).join(ps, ps.c.id == p.c.project_status_id).where(ps.c.name == "Open")
    if ctx.is_admin:
        return list(conn.execute(open_ids.order_by(p.c.name)).scalars())
    link = s.project_person_link
    rows = conn.execute(sa.select(link.c.project_id, link.c.role).where(
        link.c.person_id == ctx.person_id, link.c.project_id.in_(open_ids)))
    return [pid for pid, role in rows if (role or ctx.role) == "manager"]


def _descriptors_by_field(conn: Connection, project_ids: list[str], entity_type: str, field_name: str) -> list[Row]:
    md = s.metadata_descriptor.c
    if not project_ids:
        return []
    return METADATA_DESCRIPTOR.to_dicts(conn.execute(METADATA_DESCRIPTOR.select().where(
        md.project_id.in_(project_ids), md.entity_type == entity_type, md.field_name == field_name)))


def _with_departments(conn: Connection, rows: list[Row]) -> list[Row]:
    METADATA_DESCRIPTOR.add_relations(conn, rows)
    return rows


def add_descriptor_everywhere(ctx: RequestContext, body: Row) -> list[Row]:
    """Add a metadata descriptor to every open production the caller manages that lacks it."""
    perm.require_manager(ctx)
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise validation_error({"name": "Field required"}, "Validation error.")
    entity_type = _check_entity_type(body.get("entity_type", "Asset"))
    data_type = _check_data_type(body.get("data_type", "string"))
    choices, departments = _string_list(body, "choices"), _string_list(body, "departments")
    for_client = bool(body.get("for_client") or False)
    field_name = field_name_of(name)
    created = []
    with ctx.write() as tx:
        project_ids = managed_open_projects(ctx, tx.conn)
        having = {d["project_id"] for d in _descriptors_by_field(tx.conn, project_ids, entity_type, field_name)}
        for project_id in project_ids:
            if project_id in having:
                continue
            values = {"project_id": project_id, "entity_type": entity_type, "name": name, "field_name": field_name,
                      "data_type": data_type, "choices": choices, "for_client": for_client}
            row = crud.insert(tx, METADATA_DESCRIPTOR, values, {"departments": departments})
            tx.emit("metadata-descriptor:new", {"metadata_descriptor_id": row["id"]}, project_id=project_id)
            created.append(row)
    return created


def update_descriptor_everywhere(ctx: RequestContext, field_name: str, body: Row) -> list[Row]:
    """Change the descriptor ``field_name`` of ``entity_type`` in every open production the caller manages."""
    perm.require_manager(ctx)
    entity_type = _check_entity_type(body.get("entity_type"))
    changes: Row = {"for_client": bool(body.get("for_client") or False),
                    "data_type": _check_data_type(body.get("data_type", "string")),
                    "choices": _string_list(body, "choices")}
    departments = _string_list(body, "departments")
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise validation_error({"name": "Input should be a valid string"}, "Validation error.")
    if name:
        changes.update({"name": name, "field_name": field_name_of(name)})
    link = s.department_metadata_descriptor_link
    with ctx.write() as tx:
        rows = _descriptors_by_field(tx.conn, managed_open_projects(ctx, tx.conn), entity_type, field_name)
        for row in rows:
            crud.update_row(tx, METADATA_DESCRIPTOR, row["id"], changes)
            tx.delete(link, link.c.metadata_descriptor_id == row["id"])
            tx.insert(link, [{"metadata_descriptor_id": row["id"], "department_id": d}
                             for d in dict.fromkeys(departments)])
            tx.emit("metadata-descriptor:update", {"metadata_descriptor_id": row["id"]}, project_id=row["project_id"])
        ids = [row["id"] for row in rows]
        md = s.metadata_descriptor.c
        return _with_departments(tx.conn, METADATA_DESCRIPTOR.to_dicts(tx.conn.execute(
            METADATA_DESCRIPTOR.select().where(md.id.in_(ids)).order_by(md.project_id)))) if ids else []


def remove_descriptor_everywhere(ctx: RequestContext, field_name: str, entity_type: Any) -> list[str]:
    """Remove the descriptor from every open production the caller manages; the ids removed."""
    perm.require_manager(ctx)
    entity_type = _check_entity_type(entity_type)
    link = s.department_metadata_descriptor_link
    with ctx.write() as tx:
        rows = _descriptors_by_field(tx.conn, managed_open_projects(ctx, tx.conn), entity_type, field_name)
        for row in rows:
            tx.delete(link, link.c.metadata_descriptor_id == row["id"])
            tx.delete(s.metadata_descriptor, s.metadata_descriptor.c.id == row["id"])
            tx.emit("metadata-descriptor:delete", {"metadata_descriptor_id": row["id"]}, project_id=row["project_id"])
    return [row["id"] for row in rows]


def reorder_descriptors_everywhere(ctx: RequestContext, body: Row) -> list[Row]:
    """Order the descriptors of ``entity_type`` as ``field_order`` in every open production the caller manages."""
    perm.require_manager(ctx)
    entity_type = _check_entity_type(body.get("entity_type"))
    order = body.get("field_order")
    if not isinstance(order, list) or not order or not all(isinstance(f, str) for f in order):
        raise validation_error({"field_order": "List should have at least 1 item"}, "Validation error.")
    md = s.metadata_descriptor.c
    out: list[Row] = []
    with ctx.write() as tx:
        stamp = now()
        for project_id in managed_open_projects(ctx, tx.conn):
            rows = METADATA_DESCRIPTOR.to_dicts(tx.conn.execute(METADATA_DESCRIPTOR.select().where(
                md.project_id == project_id, md.entity_type == entity_type)))
            by_field = {row["field_name"]: row for row in rows}
            ordered = [by_field[f] for f in dict.fromkeys(order) if f in by_field]
            if not ordered:
                continue
            for position, row in enumerate(ordered, start=1):
                tx.update(s.metadata_descriptor, {"position": position, "updated_at": stamp}, md.id == row["id"])
                row["position"] = position
            tx.emit("metadata-descriptor:reorder", {"entity_type": entity_type}, project_id=project_id)
            out.extend(sorted(rows, key=lambda r: (r["position"] or 0, r["name"])))
        return _with_departments(tx.conn, out)


# ----------------------------------------------------------------------------- time spent

def project_time_spents(ctx: RequestContext, project_id: str) -> list[Row]:
    """Every time spent on the production's tasks (members of the production)."""
    check_id(project_id)
    ts, t = s.time_spent.c, s.task.c
    with ctx.read() as conn:
        load_project(conn, project_id)
        perm.check_project_access(ctx, conn, project_id)
        rows = conn.execute(TIME_SPENT.select().where(ts.task_id.in_(sa.select(t.id).where(t.project_id == project_id)))
                            .order_by(ts.date, ts.created_at))
        return TIME_SPENT.to_dicts(rows)


def _date_arg(value: str | None, start: str | None, end: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize_date(value)
    except (ValueError, TypeError) as exc:
        raise wrong_parameter(f"Wrong date format for {start} and/or {end}") from exc


def task_type_time_spents(ctx: RequestContext, project_id: str, task_type_id: str, start: str | None,
                          end: str | None) -> dict[str, list[Row]]:
    """Time spent on the production's tasks of one type, newest first, grouped by person (managers)."""
    check_id(project_id)
    if not is_uuid(task_type_id):
        raise BadRequest("Malformed ID.")
    start_date, end_date = _date_arg(start, start, end), _date_arg(end, start, end)
    ts, t = s.time_spent.c, s.task.c
    with ctx.read() as conn:
        load_project(conn, project_id)
        perm.check_manager_project_access(ctx, conn, project_id)
        where: list[sa.ColumnElement[bool]] = [ts.task_id.in_(sa.select(t.id).where(t.project_id == project_id, t.task_type_id == task_type_id))]
        if start_date:
            where.append(ts.date >= start_date)
        if end_date:
            where.append(ts.date <= end_date)
        out: dict[str, list[Row]] = defaultdict(list)
        for row in TIME_SPENT.to_dicts(conn.execute(TIME_SPENT.select().where(*where).order_by(ts.date.desc()))):
            out[row["person_id"]].append(row)
        return dict(out)

