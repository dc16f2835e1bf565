"""CSV imports: each sheet is applied in one transaction through the same writes as the API
(``crud.insert``, the entity/task/comment event helpers); the first bad line rolls everything back."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.casting import episodes
from foxtrack.comments.service import _apply_status, _news
from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import NotFound
from foxtrack.core.jsonutil import is_uuid, new_id, now
from foxtrack.core.models import COMMENT, ENTITY, PERSON, TASK, TEMPORAL_TYPES
from foxtrack.crud import service as crud
from foxtrack.csvio.service import (
    RowError,
    Sheet,
    SheetRow,
    project_row,
    project_task_types,
    task_statuses,
)
from foxtrack.db import schema as s
from foxtrack.entities import removal, types
from foxtrack.entities.service import emit_new, kind_event
from foxtrack.persons.service import CONTRACT_TYPES, email_taken
from foxtrack.tasks import queries as task_queries
from foxtrack.tasks.service import _create_task

Row = dict[str, Any]
E, L = s.entity, s.entity_link


def _open_project(ctx: RequestContext, conn: Connection, project_id: str) -> Row:
    project = project_row(conn, project_id) if is_uuid(project_id) else None
    if project is None:
        raise NotFound()
    perm.check_manager_project_access(ctx, conn, project_id)
    return project


def _as_output(row: Row) -> Row:
    """Zou answers the imported rows as plain entities."""
    out = dict(row)
    out["type"] = "Entity"
    return out


class _Production:
    """A project's names during an import: entities created by earlier lines are seen by later ones."""

    def __init__(self, ctx: RequestContext, tx: Tx, project: Row, kind: str):
        self.ctx, self.tx, self.project, self.kind = ctx, tx, project, kind
        conn = tx.conn
        self.type_ids = types.temporal_ids(ctx.state)
        self.task_types = project_task_types(conn, project["id"], kind)
        self.task_type_by_name = {tt["name"]: tt for tt in self.task_types}
        self.statuses = task_statuses(conn)
        self.default_status_id = task_queries.default_task_status_id(conn)
        md = s.metadata_descriptor.c
        self.descriptors = {r[0]: r[1] for r in conn.execute(
            sa.select(md.name, md.field_name).where(md.project_id == project["id"], md.entity_type == kind,
                                                    md.task_type_id.is_(None)))}

    # ------------------------------------------------------------------ lookups

    def find(self, type_id: str, name: str, parent_id: str | None = None, by_parent: bool = True) -> Row | None:
        clauses = [E.c.project_id == self.project["id"], E.c.entity_type_id == type_id, E.c.name == name]
        if by_parent:
            clauses.append(E.c.parent_id.is_(None) if parent_id is None else E.c.parent_id == parent_id)
        found = self.tx.execute(ENTITY.select().where(*clauses).limit(1)).first()
        return None if found is None else ENTITY.to_dict(found)

    def status(self, value: str, line: int) -> Row:
        wanted = value.strip().lower()
        for status in self.statuses:
            if wanted in (str(status["short_name"]).lower(), str(status["name"]).lower()):
                return status
        raise RowError(f"Task status not found for {value}", line)

    # ------------------------------------------------------------------ writes

    def create(self, kind: str, values: Row) -> Row:
        type_id = values.pop("entity_type_id", None) or self.type_ids[kind]
        row = crud.insert(self.tx, ENTITY, {"project_id": self.project["id"], "entity_type_id": type_id,
                                            "created_by": self.ctx.person_id, "data": {}, **values})
        row["type"] = kind
        emit_new(self.ctx, self.tx, row)
        return row

    def parent(self, kind: str, name: str, parent_id: str | None) -> Row:
        """An episode or sequence by name, created when missing."""
        found = self.find(self.type_ids[kind], name, parent_id)
        if found is not None:
            return found
        return self.create(kind, {"name": name, "parent_id": parent_id, "description": ""})

    def update(self, current: Row, values: Row) -> Row:
        if "data" in values:
            values["data"] = {**(current.get("data") or {}), **values["data"]}
        crud.update_row(self.tx, ENTITY, current["id"], values)
        prefix = kind_event(types.json_type(self.ctx.state, self.tx.conn, current["entity_type_id"]))
        self.tx.emit(f"{prefix}:update", {f"{prefix}_id": current["id"]}, project_id=self.project["id"])
        row = ENTITY.get(self.tx.conn, current["id"])
        assert row is not None
        return row

    def metadata(self, row: SheetRow) -> Row:
        return {field: row.get(name) for name, field in self.descriptors.items() if row.has(name)}

    def apply_tasks(self, entity: Row, row: SheetRow, created: bool) -> None:
        """New entities get a task per task type of the project; a status cell changes the task's
        status through a comment, as Kitsu's sheet import does."""
        wanted: list[tuple[Row, Row]] = []
        for name, task_type in self.task_type_by_name.items():
            value = row.get(name) if row.has(name) else ""
            if value:
                wanted.append((task_type, self.status(value, row.line_number)))
        tasks = {t["task_type_id"]: t for t in TASK.to_dicts(self.tx.execute(
            TASK.select().where(s.task.c.entity_id == entity["id"], s.task.c.name == "main")))}
        targets = self.task_types if created else [tt for tt, _ in wanted]
        for task_type in targets:
            if task_type["id"] not in tasks:
                task = _create_task(self.ctx, self.tx, entity, task_type["id"], self.default_status_id)
                if task is not None:
                    tasks[task_type["id"]] = task
        for task_type, status in wanted:
            task = tasks.get(task_type["id"])
            if task is not None and task["task_status_id"] != status["id"]:
                self.change_status(task, status)

    def change_status(self, task: Row, status: Row, text: str = "") -> None:
        """A comment setting the task's status (with ``text``, as the sheet's comment column says)."""
        stamp = now()
        comment = crud.insert(self.tx, COMMENT, {
            "object_id": task["id"], "object_type": "Task", "text": text, "task_status_id": status["id"],
            "person_id": self.ctx.person_id, "checklist": [], "links": [], "for_client": False, "replies": [],
            "created_at": stamp,
        }, {"mentions": [], "department_mentions": []})
        previous = task["task_status_id"]
        full_status = task_queries.TASK_STATUS.get(self.tx.conn, status["id"]) or status
        _apply_status(self.tx, task, full_status, stamp)
        project_id = self.project["id"]
        self.tx.emit("comment:new", {"comment_id": comment["id"], "task_id": task["id"], "task_status_id": status["id"],
                                     "person_id": self.ctx.person_id, "for_client": False}, project_id=project_id)
        if previous != status["id"]:
            self.tx.emit("task:status-changed", {"task_id": task["id"], "new_task_status_id": status["id"],
                                                 "previous_task_status_id": previous,
                                                 "person_id": self.ctx.person_id}, project_id=project_id)
        _news(self.tx, task, comment, full_status, change=previous != status["id"], author_id=self.ctx.person_id)
        task["task_status_id"] = status["id"]


# ----------------------------------------------------------------------------- assets

def _asset_types(conn: Connection, project_id: str) -> dict[str, str]:
    et, link = s.entity_type, s.project_asset_type_link
    linked = list(conn.execute(sa.select(et.c.id, et.c.name).join(link, link.c.asset_type_id == et.c.id)
                               .where(link.c.project_id == project_id)))
    if not linked:
        linked = list(conn.execute(sa.select(et.c.id, et.c.name).where(et.c.name.not_in(TEMPORAL_TYPES))))
    return {name.lower(): type_id for type_id, name in linked if name not in TEMPORAL_TYPES}


def import_assets(ctx: RequestContext, project_id: str, sheet: Sheet, update: bool) -> list[Row]:
    types.temporal_ids(ctx.state)  # created outside the import's transaction when missing
    out: list[Row] = []
    with ctx.write() as tx:
        project = _open_project(ctx, tx.conn, project_id)
        prod = _Production(ctx, tx, project, "Asset")
        asset_types = _asset_types(tx.conn, project["id"])
        task_type_ids = {r[1]: r[0] for r in tx.execute(sa.select(s.task_type.c.id, s.task_type.c.name))}
        for row in sheet.rows:
            name = row.require("Name")
            type_name = row.require("Type")
            type_id = asset_types.get(type_name.lower())
            if type_id is None:
                raise RowError(f"Asset type {type_name} is not configured for this project", row.line_number)
            values: Row = {}
            if row.has("Description"):
                values["description"] = row.get("Description")
            if row.get("Episode") and project["production_type"] == "tvshow":
                values["source_id"] = prod.parent(types.EPISODE, row.get("Episode"), None)["id"]
            if row.get("Ready for"):
                ready_for = task_type_ids.get(row.get("Ready for"))
                if ready_for is None:
                    raise RowError(f"Task type not found for {row.get('Ready for')}", row.line_number)
                values["ready_for"] = ready_for
            metadata = prod.metadata(row)
            if metadata:
                values["data"] = metadata
            current = prod.find(type_id, name, by_parent=False)
            if current is None:
                entity = prod.create(types.ASSET, {"name": name, "entity_type_id": type_id,
                                                   "description": values.pop("description", None), **values})
                prod.apply_tasks(entity, row, created=True)
            elif update:
                entity = prod.update(current, values) if values else current
                prod.apply_tasks(entity, row, created=False)
            else:
                entity = current
            out.append(_as_output(entity))
    return out


# ----------------------------------------------------------------------------- shots

def _int(row: SheetRow, column: str) -> int | None:
    value = row.get(column)
    if not value:
        return None
    try:
        return int(float(value))
    except ValueError:
        raise RowError(f"A value is invalid: {column}: {value}", row.line_number) from None


def import_shots(ctx: RequestContext, project_id: str, sheet: Sheet, update: bool) -> list[Row]:
    types.temporal_ids(ctx.state)
    out: list[Row] = []
    with ctx.write() as tx:
        project = _open_project(ctx, tx.conn, project_id)
        prod = _Production(ctx, tx, project, "Shot")
        tvshow = project["production_type"] == "tvshow"
        for row in sheet.rows:
            episode_name = row.require("Episode") if tvshow else ""
            sequence_name = row.require("Sequence")
            name = row.require("Name")
            if not name or not sequence_name:
                raise RowError("A value is missing: Name and Sequence are required", row.line_number)
            episode_id = prod.parent(types.EPISODE, episode_name, None)["id"] if episode_name else None
            sequence = prod.parent(types.SEQUENCE, sequence_name, episode_id)
            values: Row = {}
            if row.has("Description"):
                values["description"] = row.get("Description")
            if row.has("Frames"):
                values["nb_frames"] = _int(row, "Frames") or 0
            data = prod.metadata(row)
            for column, key in (("Frame In", "frame_in"), ("Frame Out", "frame_out")):
                number = _int(row, column)
                if number is not None:
                    data[key] = number
            if row.get("FPS"):
                data["fps"] = row.get("FPS")
            if data:
                values["data"] = data
            current = prod.find(prod.type_ids[types.SHOT], name, sequence["id"])
            if current is None:
                entity = prod.create(types.SHOT, {"name": name, "parent_id": sequence["id"],
                                                  "description": values.pop("description", None), **values})
                prod.apply_tasks(entity, row, created=True)
            elif update:
                entity = prod.update(current, values) if values else current
                prod.apply_tasks(entity, row, created=False)
            else:
                entity = current
            out.append(_as_output(entity))
    return out


# ----------------------------------------------------------------------------- edits

def _edit_tasks(prod: _Production, entity: Row, row: SheetRow, created: bool) -> None:
    """Like ``apply_tasks``, with the ``<task type> comment`` columns: a comment (with the cell's
    status, else the task's) is posted when there is text or a status change."""
    prod.apply_tasks(entity, SheetRow(row.line_number, {}, {}), created=created)
    tasks = {t["task_type_id"]: t for t in TASK.to_dicts(prod.tx.execute(
        TASK.select().where(s.task.c.entity_id == entity["id"], s.task.c.name == "main")))}
    for name, task_type in prod.task_type_by_name.items():
        value = row.get(name) if row.has(name) else ""
        status = prod.status(value, row.line_number) if value else None
        text = row.get(f"{name} comment") if row.has(f"{name} comment") else ""
        if status is None and not text:
            continue
        task = tasks.get(task_type["id"])
        if task is None:
            task = _create_task(prod.ctx, prod.tx, entity, task_type["id"], prod.default_status_id)
            if task is None:
                continue
            tasks[task_type["id"]] = task
        current = {"id": task["task_status_id"]}
        if text or (status is not None and status["id"] != task["task_status_id"]):
            prod.change_status(task, status or current, text)


def import_edits(ctx: RequestContext, project_id: str, sheet: Sheet, update: bool) -> list[Row]:
    """Create (or with ``update``, update) edits by name, in their episode for TV shows (created
    when missing), with descriptions, metadata, task statuses and comments."""
    types.temporal_ids(ctx.state)
    out: list[Row] = []
    with ctx.write() as tx:
        project = _open_project(ctx, tx.conn, project_id)
        prod = _Production(ctx, tx, project, "Edit")
        tvshow = project["production_type"] == "tvshow"
        for row in sheet.rows:
            name = row.require("Name")
            episode_id = None
            if tvshow and row.has("Episode"):
                episode_name = row.get("Episode")
                episode_id = prod.parent(types.EPISODE, episode_name, None)["id"] if episode_name else None
            elif row.has("Episode"):
                raise RowError("An episode column is present for a production that isn't a TV Show",
                               row.line_number)
            values: Row = {}
            if row.has("Description"):
                values["description"] = row.get("Description")
            metadata = prod.metadata(row)
            if metadata:
                values["data"] = metadata
            current = prod.find(prod.type_ids[types.EDIT], name, episode_id)
            if current is None:
                entity = prod.create(types.EDIT, {"name": name, "parent_id": episode_id,
                                                  "description": values.pop("description", None), **values})
                _edit_tasks(prod, entity, row, created=True)
            elif update:
                entity = prod.update(current, values) if values else current
                _edit_tasks(prod, entity, row, created=False)
            else:
                entity = current
            out.append(_as_output(entity))
    return out


# ----------------------------------------------------------------------------- casting

def import_casting(ctx: RequestContext, project_id: str, sheet: Sheet) -> list[None]:
    """Adds or updates casting links line by line; lines naming unknown entities are skipped.
    Zou answers one ``null`` per line."""
    types.temporal_ids(ctx.state)
    out: list[None] = []
    touched: dict[str, str] = {}
    with ctx.write() as tx:
        project = _open_project(ctx, tx.conn, project_id)
        prod = _Production(ctx, tx, project, "Shot")
        asset_types = _asset_types(tx.conn, project["id"])
        tvshow = project["production_type"] == "tvshow"
        for row in sheet.rows:
            episode_name = row.get("Episode") if tvshow else ""
            parent_name = row.require("Parent")
            name = row.require("Name")
            asset_type_name = row.require("Asset Type")
            asset_name = row.require("Asset")
            occurences = _int(row, "Occurences") if row.require("Occurences") else 1
            label = row.get("Label")
            out.append(None)
            asset_type_id = asset_types.get(asset_type_name.lower())
            asset = prod.find(asset_type_id, asset_name, by_parent=False) if asset_type_id else None
            target = _casting_target(prod, asset_types, episode_name, parent_name, name)
            if asset is None or target is None:
                continue
            created = _link(tx, project["id"], target, asset, occurences or 1, label)
            if created and target["entity_type_id"] == prod.type_ids[types.SHOT]:
                episode_id = episodes.shot_episode_id(tx, target)
                if episode_id is not None:
                    episodes.cast_in_episode(tx, episode_id, asset["id"], label, project["id"])
            touched[target["id"]] = target["entity_type_id"]
        if touched:
            removal.recount_casting(tx, list(touched))
        for entity_id, type_id in touched.items():
            nb = tx.execute(sa.select(sa.func.count()).select_from(L).where(L.c.entity_in_id == entity_id)).scalar()
            prefix = kind_event(types.json_type(ctx.state, tx.conn, type_id))
            tx.emit(f"{prefix}:casting-update", {f"{prefix}_id": entity_id, "nb_entities_out": nb},
                    project_id=project["id"])
    return out


def _casting_target(prod: _Production, asset_types: dict[str, str], episode_name: str, parent_name: str,
                    name: str) -> Row | None:
    """The shot ``name`` of sequence ``parent_name``, else the asset ``name`` of type ``parent_name``."""
    episode_id = None
    if episode_name and episode_name != "MP":
        episode = prod.find(prod.type_ids[types.EPISODE], episode_name, None)
        episode_id = episode["id"] if episode else None
    sequence = prod.find(prod.type_ids[types.SEQUENCE], parent_name, episode_id) if parent_name else None
    if sequence is not None:
        return prod.find(prod.type_ids[types.SHOT], name, sequence["id"])
    asset_type_id = asset_types.get(parent_name.lower())
    if asset_type_id is not None:
        return prod.find(asset_type_id, name, by_parent=False)
    return None


def _link(tx: Tx, project_id: str, target: Row, asset: Row, occurences: int, label: str) -> bool:
    """Create or update the link; True when it was created."""
    current = tx.execute(sa.select(L.c.id, L.c.nb_occurences, L.c.label).where(
        L.c.entity_in_id == target["id"], L.c.entity_out_id == asset["id"])).first()
    stamp = now()
    data = {"entity_in_id": target["id"], "entity_out_id": asset["id"], "nb_occurences": occurences}
    if current is None:
        link_id = new_id()
        tx.insert(L, dict(id=link_id, created_at=stamp, updated_at=stamp, label=label, **data))
        tx.emit("entity-link:new", {"entity_link_id": link_id, **data}, project_id=project_id)
    elif (current[1], current[2] or "") != (occurences, label):
        tx.update(L, {"updated_at": stamp, "nb_occurences": occurences, "label": label}, L.c.id == current[0])
        tx.emit("entity-link:update", {"entity_link_id": current[0], **data}, project_id=project_id)
    else:
        return False
    tx.emit("asset:update", {"asset_id": asset["id"]}, project_id=project_id)
    return current is None


# ----------------------------------------------------------------------------- persons

ROLE_LABELS = {"artist": "user", "studio manager": "admin", "supervisor": "supervisor",
               "production manager": "manager", "client": "client", "vendor": "vendor"}
ROLE_CODES = {"user", "admin", "supervisor", "manager", "client", "vendor"}
ACCEPTED_ROLES = "Artist, Studio Manager, Supervisor, Production Manager, Client, Vendor"


def _person_values(row: SheetRow, departments: dict[str, str], studios: dict[str, str]) -> tuple[Row, list[str]]:
    values: Row = {"first_name": row.require("First Name"), "last_name": row.require("Last Name")}
    for column, key in (("Phone", "phone"), ("Country", "country"), ("Position", "position"),
                        ("Seniority", "seniority")):
        if row.get(column):
            values[key] = row.get(column)
    role = row.get("Role")
    if role:
        code = ROLE_LABELS.get(role.lower()) or (role.lower() if role.lower() in ROLE_CODES else None)
        if code is None:
            raise RowError(f"A value is invalid: Role: {role} (accepted values: {ACCEPTED_ROLES})", row.line_number)
        values["role"] = code
    contract = row.get("Contract Type")
    if contract:
        if contract.lower() not in CONTRACT_TYPES:
            raise RowError(f"A value is invalid: Contract Type: {contract} (accepted values: "
                           f"{', '.join(CONTRACT_TYPES)})", row.line_number)
        values["contract_type"] = contract.lower()
    if row.get("Daily Salary"):
        values["daily_salary"] = _int(row, "Daily Salary")
    if row.get("Active"):
        values["active"] = row.get("Active").lower() in ("yes", "true", "1", "y")
    if row.get("Studio"):
        studio = studios.get(row.get("Studio").lower())
        if studio is None:
            raise RowError(f"A value is invalid: Studio: {row.get('Studio')}", row.line_number)
        values["studio_id"] = studio
    department_ids = []
    for name in filter(None, (d.strip() for d in row.get("Departments").split(","))):
        department = departments.get(name.lower())
        if department is None:
            raise RowError(f"A value is invalid: Departments: {name}", row.line_number)
        department_ids.append(department)
    return values, department_ids


def import_persons(ctx: RequestContext, sheet: Sheet, update: bool) -> list[Row]:
    perm.require_admin(ctx)
    out: list[Row] = []
    with ctx.write() as tx:
        departments = {r[1].lower(): r[0] for r in tx.execute(sa.select(s.department.c.id, s.department.c.name))}
        studios = {r[1].lower(): r[0] for r in tx.execute(sa.select(s.studio.c.id, s.studio.c.name))}
        for row in sheet.rows:
            email = row.require("Email")
            values, department_ids = _person_values(row, departments, studios)
            if not values["first_name"] or not email or "@" not in email:
                raise RowError("A value is invalid: Email and First Name are required", row.line_number)
            p = s.person.c
            existing = tx.execute(sa.select(p.id).where(sa.func.lower(p.email) == email.lower(),
                                                        p.is_bot.isnot(True))).scalar()
            if existing is None:
                if email_taken(tx.conn, email):
                    raise RowError("Email already in use.", row.line_number)
                person = crud.insert(tx, PERSON, {"email": email, "role": "user", **values},
                                     {"departments": department_ids})
                tx.emit("person:new", {"person_id": person["id"]})
            elif update:
                crud.update_row(tx, PERSON, existing, values)
                if row.has("Departments"):
                    crud.write_relations(tx, PERSON, existing, {"departments": department_ids}, replace=True)
                tx.emit("person:update", {"person_id": existing})
                person = PERSON.get(tx.conn, existing) or {}
            else:
                person = PERSON.get(tx.conn, existing) or {}
            out.append(person)
        PERSON.add_relations(tx.conn, out)
    return out
