"""Project rules: creation defaults, team, settings links, metadata descriptors, deletion."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import CLIENT, RequestContext, Tx
from foxtrack.core.errors import (
    BadRequest,
    Forbidden,
    MalformedId,
    NotFound,
    validation_error,
)
from foxtrack.core.jsonutil import is_uuid, now
from foxtrack.core.models import ENTITY, METADATA_DESCRIPTOR, PERSON, PROJECT
from foxtrack.crud.policy import Policies
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.projects import queries as q

Row = dict[str, Any]

# Zou's column defaults where foxtrack's generic schema defaults differ
CREATE_DEFAULTS: Row = {
    "is_client_stats_visible": True,
    "is_client_task_list_visible": True,
    "is_client_task_panel_visible": True,
    "revision_padding": 0,
}
PRODUCTION_TYPES = ("short", "featurefilm", "tvshow", "shots", "assets", "nft", "video-game")


def validation(field: str) -> BadRequest:
    return validation_error({field: "Field required"}, message="Validation error.")


def load_project(conn: Connection, project_id: str) -> Row:
    return crud.load(conn, PROJECT, project_id)


# ----------------------------------------------------------------------------- CRUD hooks

def before_create(ctx: RequestContext, tx: Tx, values: Row) -> Row:
    body: Row = values.get("__body__") or {}
    for key, value in CREATE_DEFAULTS.items():
        if key not in body:
            values[key] = value
    if not values.get("project_status_id"):
        values["project_status_id"] = q.open_status_id(tx.conn)
    if not values.get("name"):
        raise validation("name")
    return values


def after_create(ctx: RequestContext, tx: Tx, row: Row, body: Row) -> Row:
    if row.get("production_type") == "tvshow":
        episode = create_first_episode(ctx, tx, row["id"])
        row["first_episode_id"] = episode["id"]
    return row


def create_first_episode(ctx: RequestContext, tx: Tx, project_id: str) -> Row:
    type_id = tx.conn.execute(sa.select(s.entity_type.c.id).where(s.entity_type.c.name == "Episode")).scalar()
    if type_id is None:
        type_id = crud.insert(tx, crud_model("entity-types"), {"name": "Episode"})["id"]
    episode = crud.insert(tx, ENTITY, {"name": "E01", "project_id": project_id, "entity_type_id": type_id,
                                       "description": "", "data": {}, "created_by": ctx.person_id})
    tx.emit("episode:new", {"episode_id": episode["id"]}, project_id=project_id)
    return episode


def crud_model(path: str) -> Any:
    from foxtrack.core.models import MODELS

    return MODELS[path]


def shape_one(ctx: RequestContext, conn: Connection, row: Row) -> Row:
    q.add_extras(conn, [row], status_name=True)
    return row


def delete_project(ctx: RequestContext, tx: Tx, project: Row, force: bool) -> None:
    """Only closed projects can be deleted (checked before the role, as Zou does); admins only."""
    if q.is_open(tx.conn, project.get("project_status_id")):
        raise BadRequest("Only closed projects can be deleted", body={"error": True,
                                                                       "message": "Only closed projects can be deleted"})
    perm.require_admin(ctx)
    cascade_delete(tx, project["id"])
    tx.emit("project:delete", {"project_id": project["id"]}, project_id=project["id"])


def cascade_delete(tx: Tx, project_id: str) -> None:
    """Remove a project and everything that belongs to it, children first."""
    from foxtrack.entities import removal

    e = s.entity
    playlists = sa.select(s.playlist.c.id).where(s.playlist.c.project_id == project_id)
    # entities take their tasks, comments, previews, links, files and chats with them
    removal.delete_entities(tx, sa.select(e.c.id).where(e.c.project_id == project_id))
    tx.delete(s.news, s.news.c.project_id == project_id)
    tx.delete(s.build_job, s.build_job.c.playlist_id.in_(playlists))
    tx.delete(s.playlist, s.playlist.c.project_id == project_id)
    descriptors = sa.select(s.metadata_descriptor.c.id).where(s.metadata_descriptor.c.project_id == project_id)
    tx.delete(s.department_metadata_descriptor_link, s.department_metadata_descriptor_link.c.metadata_descriptor_id.in_(descriptors))
    tx.delete(s.metadata_descriptor, s.metadata_descriptor.c.project_id == project_id)
    tx.delete(s.milestone, s.milestone.c.project_id == project_id)
    tx.delete(s.schedule_item, s.schedule_item.c.project_id == project_id)
    tx.delete(s.search_filter, s.search_filter.c.project_id == project_id)
    tx.delete(s.search_filter_group, s.search_filter_group.c.project_id == project_id)
    tx.delete(s.api_event, s.api_event.c.project_id == project_id)
    tx.delete(s.concept_folder, s.concept_folder.c.project_id == project_id)
    tx.delete(s.project_task_type_software_link, s.project_task_type_software_link.c.project_id == project_id)
    from foxtrack.persons.service import remove_person_rows

    preview = sa.select(s.person.c.id).where(s.person.c.preview_project_id == project_id)
    for preview_account_id in tx.execute(preview).scalars().all():
        remove_person_rows(tx, preview_account_id)
    for rel in PROJECT.relations.values():
        tx.delete(rel.table, rel.table.c[rel.local] == project_id)
    tx.delete(s.project, s.project.c.id == project_id)


def register_crud(policies: Policies) -> None:
    """This feature's rules for the generic ``/data/<model>`` routes (called by the app factory)."""
    policies.register(
        "projects",
        read="project",
        project_column="id",
        create="admin",
        update="manager_project",
        delete="all",  # the closed-project rule comes first, then admin (see delete_project)
        before_create=before_create,
        after_create=after_create,
        shape_one=shape_one,
        delete_hook=delete_project,
    )
    policies.register("metadata-descriptors", shape_many=_descriptors_with_departments,
                      shape_one=_descriptor_with_departments)


def _descriptors_with_departments(ctx: RequestContext, conn: Connection, rows: list[Row]) -> list[Row]:
    if rows and "departments" not in rows[0]:
        METADATA_DESCRIPTOR.add_relations(conn, rows)
    return rows


def _descriptor_with_departments(ctx: RequestContext, conn: Connection, row: Row) -> Row:
    return _descriptors_with_departments(ctx, conn, [row])[0]


# ----------------------------------------------------------------------------- lists

def open_projects(ctx: RequestContext, conn: Connection, mine_only: bool = False) -> list[Row]:
    """Open projects with relations and Kitsu's extras; non-admins (or ``mine_only``) see their teams'."""
    items = q.open_projects(conn, ctx.person_id if mine_only or not ctx.is_admin else None)
    PROJECT.add_relations(conn, items)
    q.add_extras(conn, items)
    return items


def all_projects(ctx: RequestContext, conn: Connection) -> list[Row]:
    where = [] if ctx.is_admin else [q.member_clause(ctx.person_id)]
    items = q.projects(conn, where)
    q.add_extras(conn, items, status_name=True, links=False)
    return items


# ----------------------------------------------------------------------------- team

def check_id(value: Any) -> str:
    if not isinstance(value, str) or not is_uuid(value):
        raise MalformedId()
    return value


def team(ctx: RequestContext, project_id: str) -> list[Row]:
    check_id(project_id)
    with ctx.read() as conn:
        load_project(conn, project_id)
        perm.check_project_access(ctx, conn, project_id)
        link = s.project_person_link
        rows = conn.execute(
            PERSON.select().add_columns(link.c.role.label("project_role"))
            .join(link, link.c.person_id == s.person.c.id)
            .where(link.c.project_id == project_id)
            .order_by(s.person.c.first_name, s.person.c.last_name)
        ).all()
        persons = []
        for row in rows:
            person = PERSON.to_dict(row[:-1])
            person["project_role"] = row[-1]
            persons.append(person)
        PERSON.add_relations(conn, persons)
        if not ctx.is_admin:
            from foxtrack.persons.service import minimal

            persons = [minimal(p) | {"project_role": p["project_role"]} for p in persons]
    return persons


def add_team_member(ctx: RequestContext, project_id: str, body: Row) -> Row:
    check_id(project_id)
    person_id = body.get("person_id")
    if not person_id:
        raise validation("person_id")
    role = body.get("role")
    with ctx.write() as tx:
        load_project(tx.conn, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        if not is_uuid(person_id) or PERSON.get(tx.conn, person_id) is None:
            raise BadRequest(f"Person with id {person_id} not found")
        link = s.project_person_link
        exists = tx.conn.execute(sa.select(link.c.person_id).where(
            link.c.project_id == project_id, link.c.person_id == person_id)).first()
        if exists is None:
            tx.insert(link, {"project_id": project_id, "person_id": person_id, "role": role})
        elif role is not None:
            tx.update(link, {"role": role}, link.c.project_id == project_id, link.c.person_id == person_id)
        crud.update_row(tx, PROJECT, project_id, {})
        tx.emit("project:update", {"project_id": project_id}, project_id=project_id)
        return load_project(tx.conn, project_id)


ROLES = ("user", "admin", "supervisor", "manager", "client", "vendor")


def update_team_member(ctx: RequestContext, project_id: str, person_id: str, body: Row) -> Row:
    check_id(project_id)
    check_id(person_id)
    role = body.get("role")
    if role is not None and role not in ROLES:
        raise BadRequest("Invalid role")
    with ctx.write() as tx:
        load_project(tx.conn, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        link = s.project_person_link
        done = tx.update(link, {"role": role}, link.c.project_id == project_id, link.c.person_id == person_id)
        if not done:
            raise NotFound()
        tx.emit("project:update", {"project_id": project_id}, project_id=project_id)
    return {"project_id": project_id, "person_id": person_id, "role": role}


def remove_team_member(ctx: RequestContext, project_id: str, person_id: str) -> None:
    check_id(project_id)
    check_id(person_id)
    with ctx.write() as tx:
        load_project(tx.conn, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        link = s.project_person_link
        tx.delete(link, link.c.project_id == project_id, link.c.person_id == person_id)
        crud.update_row(tx, PROJECT, project_id, {})
        tx.emit("project:update", {"project_id": project_id}, project_id=project_id)


# ----------------------------------------------------------------------------- settings links

SETTINGS = {
    # route word: (link table, body key, referenced table)
    "task-types": (s.project_task_type_link, "task_type_id", s.task_type),
    "task-status": (s.project_task_status_link, "task_status_id", s.task_status),
    "asset-types": (s.project_asset_type_link, "asset_type_id", s.entity_type),
    "status-automations": (s.project_status_automation_link, "status_automation_id", s.status_automation),
    "preview-background-files": (s.project_preview_background_file_link, "preview_background_file_id",
                                 s.preview_background_file),
}


def add_setting(ctx: RequestContext, project_id: str, kind: str, body: Row) -> Row:
    link, key, target = SETTINGS[kind]
    check_id(project_id)
    item_id = body.get(key)
    if not item_id:
        raise validation(key)
    if not is_uuid(item_id):
        raise MalformedId()
    with ctx.write() as tx:
        load_project(tx.conn, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        if tx.conn.execute(sa.select(target.c.id).where(target.c.id == item_id)).first() is None:
            raise NotFound()
        where = (link.c.project_id == project_id, link.c[key] == item_id)
        exists = tx.conn.execute(sa.select(link.c.project_id).where(*where)).first() is not None
        values: Row = {}
        if "priority" in link.c and body.get("priority") is not None:
            try:
                values["priority"] = int(body["priority"])
            except (TypeError, ValueError) as exc:
                raise validation_error({"priority": "Invalid integer"}, message="Validation error.") from exc
        if exists:
            if values:
                tx.update(link, values, *where)
        else:
            tx.insert(link, dict(project_id=project_id, **{key: item_id}, **values))
        crud.update_row(tx, PROJECT, project_id, {})
        tx.emit("project:update", {"project_id": project_id}, project_id=project_id)
        return load_project(tx.conn, project_id)


def remove_setting(ctx: RequestContext, project_id: str, kind: str, item_id: str) -> None:
    link, key, _ = SETTINGS[kind]
    check_id(project_id)
    check_id(item_id)
    with ctx.write() as tx:
        load_project(tx.conn, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        tx.delete(link, link.c.project_id == project_id, link.c[key] == item_id)
        tx.emit("project:update", {"project_id": project_id}, project_id=project_id)


def list_setting(ctx: RequestContext, project_id: str, kind: str) -> list[Row]:
    link, key, target = SETTINGS[kind]
    check_id(project_id)
    model = crud_model({"task-types": "task-types", "task-status": "task-status",
                        "status-automations": "status-automations",
                        "preview-background-files": "preview-background-files",
                        "asset-types": "entity-types"}[kind])
    with ctx.read() as conn:
        load_project(conn, project_id)
        perm.check_project_access(ctx, conn, project_id)
        rows = conn.execute(
            model.select().join(link, link.c[key] == target.c.id).where(link.c.project_id == project_id)
            .order_by(target.c.name if "name" in target.c else target.c.created_at)
        )
        return list(model.to_dicts(rows))


# ----------------------------------------------------------------------------- metadata descriptors

DATA_TYPES = ("string", "number", "list", "taglist", "boolean", "checklist", "date")


def field_name_of(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def descriptors(ctx: RequestContext, project_id: str) -> list[Row]:
    check_id(project_id)
    with ctx.read() as conn:
        load_project(conn, project_id)
        perm.check_project_access(ctx, conn, project_id)
        rows = q.descriptors(conn, [project_id], full=True)[project_id]
    # clients see the descriptors shown to clients only, as in Zou
    return [r for r in rows if r.get("for_client")] if ctx.role == CLIENT else rows


def descriptor(ctx: RequestContext, project_id: str, descriptor_id: str) -> Row:
    check_id(project_id)
    with ctx.read() as conn:
        perm.check_project_access(ctx, conn, project_id)
        row = crud.load(conn, METADATA_DESCRIPTOR, descriptor_id)
        if row["project_id"] != project_id:
            raise NotFound()
        METADATA_DESCRIPTOR.add_relations(conn, [row])
        return row


def _descriptor_values(body: Row, current: Row | None) -> tuple[Row, dict[str, list[str]]]:
    values, relations = crud.split_body(METADATA_DESCRIPTOR, body, ignore=frozenset({"project_id", "field_name"}))
    if "name" in values:
        if not values["name"]:
            raise validation("name")
        values["field_name"] = field_name_of(values["name"])
    if current is not None and "data_type" not in values:
        values["data_type"] = "string"
    if values.get("data_type") is not None and values["data_type"] not in DATA_TYPES:
        raise BadRequest("Invalid data type")
    if "choices" in body and body["choices"] is not None and not isinstance(body["choices"], list):
        raise BadRequest("Choices must be a list")
    return values, relations


def _check_unique(conn: Connection, project_id: str, entity_type: str, values: Row, exclude: str | None) -> None:
    md = s.metadata_descriptor
    clauses = [md.c.project_id == project_id, md.c.entity_type == entity_type,
               sa.or_(md.c.name == values["name"], md.c.field_name == values["field_name"])]
    if exclude:
        clauses.append(md.c.id != exclude)
    if conn.execute(sa.select(md.c.id).where(*clauses)).first() is not None:
        raise BadRequest("Metadata descriptor already exists.")


def create_descriptor(ctx: RequestContext, project_id: str, body: Row) -> Row:
    check_id(project_id)
    if not body.get("name"):
        raise validation("name")
    values, relations = _descriptor_values(body, None)
    values.setdefault("entity_type", "Asset")
    values.setdefault("data_type", "string")
    values["project_id"] = project_id
    with ctx.write() as tx:
        load_project(tx.conn, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        _check_unique(tx.conn, project_id, values["entity_type"], values, None)
        row = crud.insert(tx, METADATA_DESCRIPTOR, values, {"departments": relations.get("departments", [])})
        tx.emit("metadata-descriptor:new", {"metadata_descriptor_id": row["id"]}, project_id=project_id)
    return row


def update_descriptor(ctx: RequestContext, project_id: str, descriptor_id: str, body: Row) -> Row:
    check_id(project_id)
    with ctx.write() as tx:
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        current = crud.load(tx.conn, METADATA_DESCRIPTOR, descriptor_id)
        if current["project_id"] != project_id:
            raise NotFound()
        values, relations = _descriptor_values(body, current)
        if "name" in values:
            _check_unique(tx.conn, project_id, values.get("entity_type") or current["entity_type"], values,
                          descriptor_id)
        crud.update_row(tx, METADATA_DESCRIPTOR, descriptor_id, values)
        if relations:
            crud.write_relations(tx, METADATA_DESCRIPTOR, descriptor_id, relations, replace=True)
        row = crud.load(tx.conn, METADATA_DESCRIPTOR, descriptor_id)
        METADATA_DESCRIPTOR.add_relations(tx.conn, [row])
        tx.emit("metadata-descriptor:update", {"metadata_descriptor_id": descriptor_id}, project_id=project_id)
    return row


def delete_descriptor(ctx: RequestContext, project_id: str, descriptor_id: str) -> None:
    check_id(project_id)
    with ctx.write() as tx:
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        current = crud.load(tx.conn, METADATA_DESCRIPTOR, descriptor_id)
        if current["project_id"] != project_id:
            raise NotFound()
        link = s.department_metadata_descriptor_link
        tx.delete(link, link.c.metadata_descriptor_id == descriptor_id)
        tx.delete(s.metadata_descriptor, s.metadata_descriptor.c.id == descriptor_id)
        tx.emit("metadata-descriptor:delete", {"metadata_descriptor_id": descriptor_id}, project_id=project_id)


def reorder_descriptors(ctx: RequestContext, project_id: str, body: Row) -> list[Row]:
    check_id(project_id)
    entity_type = body.get("entity_type")
    ids = body.get("descriptor_ids")
    if not entity_type:
        raise validation("entity_type")
    if not isinstance(ids, list):
        raise validation("descriptor_ids")
    md = s.metadata_descriptor
    with ctx.write() as tx:
        load_project(tx.conn, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        stamp = now()
        for position, descriptor_id in enumerate(ids, start=1):
            if not isinstance(descriptor_id, str) or not is_uuid(descriptor_id):
                raise MalformedId()
            tx.update(md, {"position": position, "updated_at": stamp}, md.c.id == descriptor_id, md.c.project_id == project_id, md.c.entity_type == entity_type)
        rows = METADATA_DESCRIPTOR.to_dicts(tx.conn.execute(
            METADATA_DESCRIPTOR.select().where(md.c.project_id == project_id, md.c.entity_type == entity_type)
            .order_by(md.c.position, md.c.name)))
        METADATA_DESCRIPTOR.add_relations(tx.conn, rows)
        tx.emit("metadata-descriptor:reorder", {"entity_type": entity_type}, project_id=project_id)
    return rows


def forbid_unless_manager(ctx: RequestContext) -> None:
    if not ctx.is_manager:
        raise Forbidden()


def project_rows(ctx: RequestContext, project_id: str, path: str) -> list[Row]:
    """Rows of a project-scoped model (milestones, schedule items...) for a project member."""
    check_id(project_id)
    model = crud_model(path)
    with ctx.read() as conn:
        load_project(conn, project_id)
        perm.check_project_access(ctx, conn, project_id)
        table = model.table
        order = table.c.date if "date" in table.c else table.c.created_at
        return list(model.to_dicts(conn.execute(model.select().where(table.c.project_id == project_id)
                                                .order_by(order))))


def project_task_types(ctx: RequestContext, project_id: str) -> list[Row]:
    """Task types of the project, by the project's priority then the type's own."""
    check_id(project_id)
    model, link, tt = crud_model("task-types"), s.project_task_type_link, s.task_type
    with ctx.read() as conn:
        load_project(conn, project_id)
        perm.check_project_access(ctx, conn, project_id)
        rows = conn.execute(model.select().join(link, link.c.task_type_id == tt.c.id)
                            .where(link.c.project_id == project_id)
                            .order_by(link.c.priority, tt.c.priority, tt.c.name))
        return list(model.to_dicts(rows))


SCHEDULE_KEYS = ("id", "start_date", "end_date", "man_days", "project_id", "task_type_id", "object_id")


def _schedule_rows(conn: Connection, where: list[sa.ColumnElement[bool]]) -> list[Row]:
    si = s.schedule_item
    rows = conn.execute(sa.select(*(si.c[k] for k in SCHEDULE_KEYS)).where(*where).order_by(si.c.start_date))
    return [dict(zip(SCHEDULE_KEYS, r)) for r in rows]


def schedule_items(ctx: RequestContext, project_id: str) -> list[Row]:
    """Schedule items of the project (as Zou's schedule screen reads them)."""
    check_id(project_id)
    with ctx.read() as conn:
        load_project(conn, project_id)
        perm.check_project_access(ctx, conn, project_id)
        return _schedule_rows(conn, [s.schedule_item.c.project_id == project_id])


def task_type_schedule_items(ctx: RequestContext, project_id: str) -> list[Row]:
    """One schedule item per task type of the project (created, today to tomorrow, when missing)."""
    from datetime import date, timedelta

    check_id(project_id)
    si, link = s.schedule_item, s.project_task_type_link
    with ctx.write() as tx:
        load_project(tx.conn, project_id)
        perm.check_project_access(ctx, tx.conn, project_id)
        type_ids = [r[0] for r in tx.execute(sa.select(link.c.task_type_id).where(link.c.project_id == project_id))]
        have = {r[0] for r in tx.execute(sa.select(si.c.task_type_id).where(
            si.c.project_id == project_id, si.c.object_id.is_(None)))}
        today = date.today()
        for type_id in type_ids:
            if type_id not in have:
                row = crud.insert(tx, crud_model("schedule-items"), {
                    "project_id": project_id, "task_type_id": type_id, "object_id": None,
                    "start_date": today.isoformat(), "end_date": (today + timedelta(days=1)).isoformat()})
                tx.emit("schedule-item:new", {"schedule_item_id": row["id"]}, project_id=project_id)
        return _schedule_rows(tx.conn, [si.c.project_id == project_id, si.c.object_id.is_(None),
                                        si.c.task_type_id.in_(type_ids or [""])])
