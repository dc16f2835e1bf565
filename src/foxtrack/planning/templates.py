"""Project templates: the settings, links and descriptors a new project can start from."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import BadRequest, validation_error
from foxtrack.core.jsonutil import is_uuid, new_id, now
from foxtrack.core.models import MODELS, PROJECT
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.planning.models import (
    PROJECT_TEMPLATE,
    TEMPLATE_TASK_STATUS_LINK,
    TEMPLATE_TASK_TYPE_LINK,
    check_template_name,
)

Row = dict[str, Any]

DEFAULT_BOARD_ROLES = ["user", "admin", "supervisor", "manager", "vendor"]

# Project settings a template carries (the columns both tables share, minus identity and name).
SETTINGS = [
    c.name
    for c in s.project_template.c
    if c.name in s.project.c and c.name not in ("id", "created_at", "updated_at", "name", "description")
]


def _message(text: str, status: int = 400) -> BadRequest:
    """Zou's planning routes answer a bare ``{"message"}`` body."""
    error = BadRequest(text, body={"message": text})
    error.status = status
    return error


def _template_or_404(conn: Connection, template_id: str) -> Row:
    row = PROJECT_TEMPLATE.get(conn, template_id) if is_uuid(template_id) else None
    if row is None:
        raise _message("Project template not found", 404)
    return row


def _project_or_404(conn: Connection, project_id: str) -> Row:
    row = PROJECT.get(conn, project_id) if is_uuid(project_id) else None
    if row is None:
        raise _message("Project not found", 404)
    return row


def _id_field(body: Row, field: str) -> str:
    if field not in body:
        raise validation_error({field: "Field required"}, message="Validation error.")
    value = body[field]
    if not is_uuid(value):
        raise _message(f"{field} is required and must be a valid UUID")
    return str(value)


def _touch(tx: Tx, template_id: str) -> None:
    t = s.project_template
    tx.update(t, {"updated_at": now()}, t.c.id == template_id)


def _check_id(value: str) -> None:
    if not is_uuid(value):
        raise BadRequest("Wrong UUID format.", data=None)


# ----------------------------------------------------------------------------- task types

def task_types(ctx: RequestContext, template_id: str) -> list[Row]:
    perm.require_manager(ctx)
    link, tt = s.project_template_task_type_link, s.task_type
    model = MODELS["task-types"]
    with ctx.read() as conn:
        _template_or_404(conn, template_id)
        stmt = (
            sa.select(*model.columns, link.c.priority, link.c.hd_bitrate_compression, link.c.ld_bitrate_compression,
                      link.c.is_client_visible)
            .join(link, link.c.task_type_id == tt.c.id)
            .where(link.c.project_template_id == template_id)
        )
        out = []
        for row in conn.execute(stmt):
            item = model.to_dict(row[: len(model.columns)])
            priority, hd, ld, visible = row[len(model.columns):]
            item.update(priority=priority, hd_bitrate_compression=hd, ld_bitrate_compression=ld,
                        is_client_visible=visible)
            out.append(item)
    return sorted(out, key=lambda r: (r["priority"] is not None, r["priority"] or 0, r["name"]))


def add_task_type(ctx: RequestContext, template_id: str, body: Row) -> Row:
    perm.require_manager(ctx)
    task_type_id = _id_field(body, "task_type_id")
    priority = crud.coerce_value(s.project_template_task_type_link.c.priority, body.get("priority"))
    link = s.project_template_task_type_link
    with ctx.write() as tx:
        _template_or_404(tx.conn, template_id)
        if MODELS["task-types"].get(tx.conn, task_type_id) is None:
            raise _message(f"Task type {task_type_id} does not exist")
        current = tx.conn.execute(sa.select(link.c.id).where(
            link.c.project_template_id == template_id, link.c.task_type_id == task_type_id)).scalar()
        if current is None:
            row = crud.insert(tx, TEMPLATE_TASK_TYPE_LINK, {
                "project_template_id": template_id, "task_type_id": task_type_id, "priority": priority})
        else:
            crud.update_row(tx, TEMPLATE_TASK_TYPE_LINK, current, {"priority": priority})
            row = crud.load(tx.conn, TEMPLATE_TASK_TYPE_LINK, current)
        _touch(tx, template_id)
        tx.emit("project-template:update", {"project_template_id": template_id})
    return row


# ----------------------------------------------------------------------------- task statuses

def task_statuses(ctx: RequestContext, template_id: str) -> list[Row]:
    perm.require_manager(ctx)
    link, ts = s.project_template_task_status_link, s.task_status
    model = MODELS["task-status"]
    with ctx.read() as conn:
        _template_or_404(conn, template_id)
        stmt = (
            sa.select(*model.columns, link.c.priority, link.c.roles_for_board, link.c.is_client_allowed)
            .join(link, link.c.task_status_id == ts.c.id)
            .where(link.c.project_template_id == template_id)
        )
        out = []
        for row in conn.execute(stmt):
            item = model.to_dict(row[: len(model.columns)])
            priority, roles, client_allowed = row[len(model.columns):]
            item.update(priority=priority, roles_for_board=roles, link_is_client_allowed=client_allowed)
            out.append(item)
    return sorted(out, key=lambda r: (r["priority"] is not None, r["priority"] or 0, r["name"]))


def add_task_status(ctx: RequestContext, template_id: str, body: Row) -> Row:
    perm.require_manager(ctx)
    task_status_id = _id_field(body, "task_status_id")
    link = s.project_template_task_status_link
    priority = crud.coerce_value(link.c.priority, body.get("priority"))
    roles = body.get("roles_for_board") or DEFAULT_BOARD_ROLES
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise validation_error({"roles_for_board": "Input should be a valid list"}, message="Validation error.")
    values = {"priority": priority, "roles_for_board": roles}
    if "is_client_allowed" in body:
        values["is_client_allowed"] = crud.coerce_value(link.c.is_client_allowed, body["is_client_allowed"])
    with ctx.write() as tx:
        _template_or_404(tx.conn, template_id)
        if MODELS["task-status"].get(tx.conn, task_status_id) is None:
            raise _message(f"Task status {task_status_id} does not exist")
        current = tx.conn.execute(sa.select(link.c.id).where(
            link.c.project_template_id == template_id, link.c.task_status_id == task_status_id)).scalar()
        if current is None:
            row = crud.insert(tx, TEMPLATE_TASK_STATUS_LINK, {
                "project_template_id": template_id, "task_status_id": task_status_id, **values})
        else:
            crud.update_row(tx, TEMPLATE_TASK_STATUS_LINK, current, values)
            row = crud.load(tx.conn, TEMPLATE_TASK_STATUS_LINK, current)
        _touch(tx, template_id)
        tx.emit("project-template:update", {"project_template_id": template_id})
    return row


# ----------------------------------------------------------------------------- plain links

# kind -> (link table, body/column field, target model path, label in messages, shape of one item)
LINKS: dict[str, tuple[sa.Table, str, str, str, tuple[str, ...] | None]] = {
    "task-types": (s.project_template_task_type_link, "task_type_id", "task-types", "Task type", None),
    "task-statuses": (s.project_template_task_status_link, "task_status_id", "task-status", "Task status", None),
    "asset-types": (s.project_template_asset_type_link, "asset_type_id", "entity-types", "Asset type",
                    ("id", "name")),
    "status-automations": (s.project_template_status_automation_link, "status_automation_id",
                           "status-automations", "Status automation", None),
    "preview-background-files": (s.project_template_preview_background_file_link, "preview_background_file_id",
                                 "preview-background-files", "Preview background file",
                                 ("id", "name", "is_default")),
}


def _shape(row: Row, keys: tuple[str, ...] | None) -> Row:
    return row if keys is None else {k: row[k] for k in keys}


def linked(ctx: RequestContext, template_id: str, kind: str) -> list[Row]:
    perm.require_manager(ctx)
    table, field, path, _label, keys = LINKS[kind]
    model = MODELS[path]
    with ctx.read() as conn:
        _template_or_404(conn, template_id)
        stmt = (
            model.select()
            .join(table, table.c[field] == model.table.c.id)
            .where(table.c.project_template_id == template_id)
            .order_by(model.table.c.created_at)
        )
        return [_shape(r, keys) for r in model.to_dicts(conn.execute(stmt))]


def add_link(ctx: RequestContext, template_id: str, kind: str, body: Row) -> Row:
    perm.require_manager(ctx)
    table, field, path, label, keys = LINKS[kind]
    item_id = _id_field(body, field)
    model = MODELS[path]
    with ctx.write() as tx:
        _template_or_404(tx.conn, template_id)
        target = model.get(tx.conn, item_id)
        if target is None:
            raise _message(f"{label} {item_id} does not exist")
        exists = tx.conn.execute(sa.select(table.c[field]).where(
            table.c.project_template_id == template_id, table.c[field] == item_id)).first()
        if exists is None:
            tx.insert(table, {"project_template_id": template_id, field: item_id})
        _touch(tx, template_id)
        tx.emit("project-template:update", {"project_template_id": template_id})
    return _shape(target, keys)


def remove_link(ctx: RequestContext, template_id: str, kind: str, item_id: str) -> None:
    perm.require_manager(ctx)
    _check_id(item_id)
    table, field, _path, _label, _keys = LINKS[kind]
    with ctx.write() as tx:
        template = _template_or_404(tx.conn, template_id)
        tx.delete(table, table.c.project_template_id == template_id, table.c[field] == item_id)
        if kind == "preview-background-files" and template["default_preview_background_file_id"] == item_id:
            crud.update_row(tx, PROJECT_TEMPLATE, template_id, {"default_preview_background_file_id": None})
        else:
            _touch(tx, template_id)
        tx.emit("project-template:update", {"project_template_id": template_id})


def set_default_background(ctx: RequestContext, template_id: str, body: Row) -> Row:
    perm.require_manager(ctx)
    value = body.get("default_preview_background_file_id")
    if value is not None and not is_uuid(value):
        raise _message("default_preview_background_file_id must be a valid UUID")
    link = s.project_template_preview_background_file_link
    with ctx.write() as tx:
        _template_or_404(tx.conn, template_id)
        if value is not None:
            found = tx.conn.execute(sa.select(link.c.preview_background_file_id).where(
                link.c.project_template_id == template_id, link.c.preview_background_file_id == value)).first()
            if found is None:
                raise _message("Preview background file is not linked to this template")
        crud.update_row(tx, PROJECT_TEMPLATE, template_id, {"default_preview_background_file_id": value})
        tx.emit("project-template:update", {"project_template_id": template_id})
        return crud.load(tx.conn, PROJECT_TEMPLATE, template_id)


# ----------------------------------------------------------------------------- descriptors

def field_name_of(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def normalize_descriptor(item: Any) -> Row:
    """One template descriptor with every key Zou stores, unknown keys dropped."""
    if not isinstance(item, dict):
        raise validation_error({"metadata_descriptors": "Input should be a valid dictionary"},
                               message="Validation error.")
    name = item.get("name") or ""
    choices = item.get("choices") or []
    departments = item.get("departments") or []
    if not isinstance(choices, list) or not isinstance(departments, list):
        raise validation_error({"metadata_descriptors": "Input should be a valid list"}, message="Validation error.")
    return {
        "name": str(name),
        "choices": choices,
        "position": item.get("position"),
        "data_type": item.get("data_type"),
        "field_name": item.get("field_name") or field_name_of(str(name)),
        "for_client": bool(item.get("for_client") or False),
        "departments": [d.get("id") if isinstance(d, dict) else d for d in departments],
        "entity_type": item.get("entity_type"),
        "task_type_id": item.get("task_type_id"),
    }


def set_descriptors(ctx: RequestContext, template_id: str, body: Row) -> Row:
    perm.require_manager(ctx)
    items = body.get("metadata_descriptors", [])
    if items is None:
        items = []
    if not isinstance(items, list):
        raise validation_error({"metadata_descriptors": "Input should be a valid list"}, message="Validation error.")
    descriptors = [normalize_descriptor(i) for i in items]
    with ctx.write() as tx:
        _template_or_404(tx.conn, template_id)
        crud.update_row(tx, PROJECT_TEMPLATE, template_id, {"metadata_descriptors": descriptors})
        tx.emit("project-template:update", {"project_template_id": template_id})
        return crud.load(tx.conn, PROJECT_TEMPLATE, template_id)


def _project_descriptors(conn: Connection, project_id: str) -> list[Row]:
    model = MODELS["metadata-descriptors"]
    rows = model.to_dicts(conn.execute(model.select().where(model.table.c.project_id == project_id)
                                       .order_by(model.table.c.created_at)))
    model.add_relations(conn, rows)
    return [normalize_descriptor(r) for r in rows]


# ----------------------------------------------------------------------------- project <-> template

def from_project(ctx: RequestContext, project_id: str, body: Row) -> Row:
    """A new template holding the project's settings, links and descriptors."""
    perm.require_manager(ctx)
    if not body.get("name"):
        raise validation_error({"name": "Field required"}, message="Validation error.")
    with ctx.write() as tx:
        project = _project_or_404(tx.conn, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        check_template_name(tx, body["name"])
        values = {k: project[k] for k in SETTINGS}
        values.update(name=str(body["name"]), description=body.get("description"),
                      metadata_descriptors=_project_descriptors(tx.conn, project_id))
        row = crud.insert(tx, PROJECT_TEMPLATE, values)
        _copy_links(tx, "project", project_id, "project_template", row["id"])
        tx.emit("project-template:new", {"project_template_id": row["id"]})
    return row


# (project link table, template link table, target column, extra columns)
_LINK_PAIRS: list[tuple[sa.Table, sa.Table, str, tuple[str, ...]]] = [
    (s.project_task_type_link, s.project_template_task_type_link, "task_type_id", ("priority",)),
    (s.project_task_status_link, s.project_template_task_status_link, "task_status_id",
     ("priority", "roles_for_board", "is_client_allowed")),
    (s.project_asset_type_link, s.project_template_asset_type_link, "asset_type_id", ()),
    (s.project_status_automation_link, s.project_template_status_automation_link, "status_automation_id", ()),
    (s.project_preview_background_file_link, s.project_template_preview_background_file_link,
     "preview_background_file_id", ()),
]


def _copy_links(tx: Tx, source: str, source_id: str, target: str, target_id: str) -> None:
    """Merge the source's links into the target (existing links are kept as they are)."""
    for project_link, template_link, column, extra in _LINK_PAIRS:
        src, dst = (project_link, template_link) if source == "project" else (template_link, project_link)
        src_key, dst_key = f"{source}_id", f"{target}_id"
        rows = tx.conn.execute(sa.select(src.c[column], *[src.c[e] for e in extra])
                               .where(src.c[src_key] == source_id)).all()
        present = {r[0] for r in tx.conn.execute(sa.select(dst.c[column]).where(dst.c[dst_key] == target_id))}
        stamp = now()
        for row in rows:
            if row[0] in present:
                continue
            values: Row = {dst_key: target_id, column: row[0], **dict(zip(extra, row[1:]))}
            if "id" in dst.c:
                values.update(id=new_id(), created_at=stamp, updated_at=stamp)
            if "roles_for_board" in values and values["roles_for_board"] is None:
                values["roles_for_board"] = DEFAULT_BOARD_ROLES
            tx.insert(dst, values)


def apply_template(ctx: RequestContext, project_id: str, template_id: str) -> Row:
    """Copy a template's settings (those it sets), links and descriptors into a project."""
    perm.require_manager(ctx)
    with ctx.write() as tx:
        _project_or_404(tx.conn, project_id)
        template = _template_or_404(tx.conn, template_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        values = {k: template[k] for k in SETTINGS if template[k] is not None}
        if values:
            crud.update_row(tx, PROJECT, project_id, values)
        _copy_links(tx, "project_template", template_id, "project", project_id)
        _apply_descriptors(tx, project_id, template["metadata_descriptors"] or [])
        tx.emit("project:update", {"project_id": project_id}, project_id=project_id)
        return crud.load(tx.conn, PROJECT, project_id)


def _apply_descriptors(tx: Tx, project_id: str, descriptors: list[Row]) -> None:
    model = MODELS["metadata-descriptors"]
    md = s.metadata_descriptor
    existing = {(e, f) for e, f in tx.conn.execute(
        sa.select(md.c.entity_type, md.c.field_name).where(md.c.project_id == project_id))}
    for item in descriptors:
        entity_type, field_name = item.get("entity_type"), item.get("field_name")
        if not entity_type or not field_name or (entity_type, field_name) in existing:
            continue
        departments = [d for d in item.get("departments") or [] if is_uuid(d)]
        row = crud.insert(tx, model, {
            "project_id": project_id, "entity_type": entity_type, "name": item.get("name") or field_name,
            "field_name": field_name, "data_type": item.get("data_type"), "choices": item.get("choices") or [],
            "for_client": bool(item.get("for_client")), "position": item.get("position"),
            "task_type_id": item.get("task_type_id") if is_uuid(item.get("task_type_id")) else None,
        }, {"departments": departments})
        existing.add((entity_type, field_name))
        tx.emit("metadata-descriptor:new", {"metadata_descriptor_id": row["id"]}, project_id=project_id)
