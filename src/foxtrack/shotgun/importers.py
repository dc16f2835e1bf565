"""Create or update foxtrack rows from ShotGrid entries, kind by kind, as Zou's importers do.

Every entry is matched by its ShotGrid id (``shotgun_id``), then by name where Zou does; a new one is
created, a known one updated. An entry that cannot be taken (no project, a missing field, a wrong
type) is skipped, as Zou skips it; the answer lists the rows written, serialised as the CRUD answers
them. One request is one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import BadRequest
from foxtrack.core.jsonutil import new_id, now
from foxtrack.core.models import COMMENT, ENTITY, MODELS, PERSON, PROJECT, TASK, Model
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.entities import removal, types
from foxtrack.tasks import queries as task_queries

Row = dict[str, Any]

# URL segment -> kind
ROUTES = {
    "persons": "persons", "projects": "projects", "episodes": "episodes", "sequences": "sequences",
    "shots": "shots", "scenes": "scenes", "assets": "assets", "steps": "steps", "status": "status",
    "tasks": "tasks", "versions": "versions", "notes": "notes", "project-connections": "project-connections",
    "projectconnections": "project-connections",
}


class Skip(Exception):
    """This entry cannot be imported; the others go on."""


def rgb_to_hex(color: Any) -> str:
    """ShotGrid colours are ``"r,g,b"``; foxtrack's are ``#rrggbb``."""
    red, green, blue = str(color or "0,0,0").split(",")
    return f"#{int(red):02x}{int(green):02x}{int(blue):02x}"


def custom_fields(entry: Row, excluded: Iterable[str] = ()) -> Row:
    """The entry's ``sg_*`` fields (ShotGrid's custom fields) that hold a value."""
    skip = set(excluded)
    return {k: v for k, v in entry.items() if k[:3] == "sg_" and k not in skip and v is not None}


def _id_of(tx: Tx, table: sa.Table, *where: Any) -> str | None:
    found = tx.execute(sa.select(table.c.id).where(*where).limit(1)).scalar()
    return None if found is None else str(found)


def _sg_map(tx: Tx, table: sa.Table, column: str = "shotgun_id") -> dict[Any, str]:
    c = table.c
    return {key: str(id_) for id_, key in tx.execute(sa.select(c.id, c[column]).where(c[column].is_not(None)))}


def _ref(entry: Row, key: str) -> Any:
    """``entry[key]["id"]`` (a ShotGrid link), None when the link is empty."""
    link = entry.get(key)
    return link.get("id") if isinstance(link, dict) else None


class Import:
    """One import request: the caller, its transaction and the maps built once per request."""

    def __init__(self, ctx: RequestContext, tx: Tx):
        self.ctx, self.tx = ctx, tx
        self.type_ids = types.temporal_ids(ctx.state)
        self._maps: dict[str, dict[Any, str]] = {}

    def map(self, name: str, table: sa.Table, column: str = "shotgun_id") -> dict[Any, str]:
        if name not in self._maps:
            self._maps[name] = _sg_map(self.tx, table, column)
        return self._maps[name]

    def project_by_name(self, entry: Row) -> str | None:
        project = entry.get("project")
        return self.map("project_names", s.project, "name").get(project["name"]) if project else None

    def entity_id(self, kind: str, sg_id: Any) -> str | None:
        if sg_id is None:
            return None
        e = s.entity.c
        if kind == "Asset":
            return _id_of(self.tx, s.entity, e.shotgun_id == sg_id, types.asset_clause(self.ctx.state, e.entity_type_id))
        return _id_of(self.tx, s.entity, e.shotgun_id == sg_id, e.entity_type_id == self.type_ids[kind])

    @contextmanager
    def entry(self) -> Iterator[None]:
        """One entry: a missing key, a wrong type or a value its column refuses skips it (Zou skips
        entries with missing keys); each entry reads and checks everything before it writes."""
        mark = len(self.tx.events)
        try:
            yield
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, BadRequest):
            del self.tx.events[mark:]

    # ------------------------------------------------------------------ writes with their events

    def save(self, model: Model, row_id: str | None, values: Row, prefix: str,
             project_id: str | None = None) -> Row:
        """Update row ``row_id`` with ``values`` or create it; records ``<prefix>:new|update``."""
        if row_id is None:
            row = crud.insert(self.tx, model, values)
            verb = "new"
        else:
            crud.update_row(self.tx, model, row_id, values)
            row = crud.load(self.tx.conn, model, row_id)
            verb = "update"
        key = f"{prefix.replace('-', '_')}_id"
        payload = {key: row["id"], "task_id": row["object_id"]} if prefix == "comment" else {key: row["id"]}
        self.tx.emit(f"{prefix}:{verb}", payload, project_id=project_id)
        return row

    def save_entity(self, kind: str, row_id: str | None, values: Row) -> Row:
        if row_id is None:
            values = {**values, "created_by": self.ctx.person_id}
        prefix = kind.lower() if kind in self.type_ids else "asset"
        return self.save(ENTITY, row_id, values, prefix, values.get("project_id"))

    def set_casting(self, entity_id: str, asset_ids: list[str]) -> None:
        link = s.entity_link
        self.tx.delete(link, link.c.entity_in_id == entity_id)
        stamp = now()
        rows = [{"id": new_id(), "created_at": stamp, "updated_at": stamp, "entity_in_id": entity_id,
                 "entity_out_id": asset_id, "nb_occurences": 1, "label": ""} for asset_id in dict.fromkeys(asset_ids)]
        self.tx.insert(link, rows)
        removal.recount_casting(self.tx, [entity_id])


# ----------------------------------------------------------------------------- kinds

def _persons(imp: Import, entries: list[Any]) -> list[Row]:
    out = []
    for entry in _each(entries):
        with imp.entry():
            email = entry["email"]
            if email == "changeme@email.com":  # ShotGrid's placeholder users are not people
                continue
            rule_set = entry.get("permission_rule_set") or {}
            role = {"Manager": "manager", "Admin": "admin"}.get(rule_set.get("name", ""), "user")
            p = s.person.c
            person_id = _id_of(imp.tx, s.person, p.shotgun_id == entry["id"]) or _id_of(
                imp.tx, s.person, p.email == email, p.is_bot.is_not(True))
            if person_id is None:
                values = {"first_name": entry["firstname"], "last_name": entry["lastname"], "email": email,
                          "shotgun_id": entry["id"], "desktop_login": entry["login"] or "",
                          "active": entry.get("sg_status_list", "act") == "act", "role": role, "password": None}
                person = imp.save(PERSON, None, values, "person")
            else:
                person = crud.load(imp.tx.conn, PERSON, person_id)
            department = entry.get("department")
            if department:
                department_id = _department(imp, department["name"], None)
                link = s.department_link
                imp.tx.delete(link, link.c.person_id == person["id"])
                imp.tx.insert(link, {"person_id": person["id"], "department_id": department_id})
            out.append(person)
    return out


# departments and project statuses made by an import get a colour, as in Zou (their colour column is
# required there: a null one breaks clients that read it as a string)
IMPORTED_COLOR = "#000000"


def _department(imp: Import, name: str, color: str | None) -> str:
    found = _id_of(imp.tx, s.department, s.department.c.name == name)
    if found is not None:
        return found
    values = {"name": name, "color": color or IMPORTED_COLOR}
    return str(imp.save(MODELS["departments"], None, values, "department")["id"])


def _projects(imp: Import, entries: list[Any]) -> list[Row]:
    statuses = imp.map("project_status", s.project_status, "name")
    for entry in entries:
        name = entry.get("sg_status") if isinstance(entry, dict) else None
        if isinstance(name, str) and name not in statuses:
            statuses[name] = str(imp.save(MODELS["project-status"], None, {"name": name, "color": IMPORTED_COLOR},
                                          "project-status")["id"])
    out = []
    for entry in _each(entries):
        with imp.entry():
            values = {"name": entry["name"], "shotgun_id": entry["id"],
                      "project_status_id": statuses.get(entry["sg_status"]),
                      "data": custom_fields(entry, ("sg_status",))}
            project_id = _id_of(imp.tx, s.project, s.project.c.shotgun_id == entry["id"])
            if project_id is None:
                values["file_tree"] = {}
            project = imp.save(PROJECT, project_id, values, "project")
            out.append(project)
    return out


def _episodes(imp: Import, entries: list[Any]) -> list[Row]:
    out = []
    type_id = imp.type_ids["Episode"]
    for entry in _each(entries):
        with imp.entry():
            project_id = imp.project_by_name(entry)
            if project_id is None:
                continue
            values = {"name": entry["code"], "shotgun_id": entry["id"], "description": entry["description"],
                      "project_id": project_id, "entity_type_id": type_id}
            out.append(imp.save_entity("Episode", imp.entity_id("Episode", entry["id"]), values))
    return out


def _sequences(imp: Import, entries: list[Any]) -> list[Row]:
    out = []
    type_id = imp.type_ids["Sequence"]
    e = s.entity.c
    for entry in _each(entries):
        with imp.entry():
            project_id = imp.project_by_name(entry)
            if project_id is None:
                continue
            episode_id = imp.entity_id("Episode", _ref(entry, "episode"))
            values = {"name": entry["code"], "shotgun_id": entry["id"], "description": entry["description"],
                      "project_id": project_id, "parent_id": episode_id, "entity_type_id": type_id}
            known = imp.entity_id("Sequence", entry["id"])
            parent = e.parent_id.is_(None) if episode_id is None else e.parent_id == episode_id
            similar = _id_of(imp.tx, s.entity, e.name == values["name"], parent, e.project_id == project_id,
                             e.entity_type_id == type_id)
            if known is None and similar is not None:
                continue  # Zou keeps the sequence of that name it already has
            if known is not None and similar is not None and similar != known:
                values = {"description": values["description"], "shotgun_id": values["shotgun_id"]}
            out.append(imp.save_entity("Sequence", known, values))
    return out


def _shots(imp: Import, entries: list[Any]) -> list[Row]:
    out = []
    type_id = imp.type_ids["Shot"]
    for entry in _each(entries):
        with imp.entry():
            project_id = imp.project_by_name(entry)
            if project_id is None:
                continue
            frame_in = entry["sg_cut_in"]
            frame_out = frame_in
            if frame_in is not None and entry["sg_cut_duration"] is not None:
                frame_out = frame_in + entry["sg_cut_duration"]
            data = custom_fields(entry, ("sg_cut_in", "sg_cut_out", "sg_sequence"))
            data.update({"frame_in": frame_in, "frame_out": frame_out})
            assets = [imp.entity_id("Asset", asset["id"]) for asset in entry.get("assets") or []]
            values = {"name": entry["code"], "shotgun_id": entry["id"], "project_id": project_id, "entity_type_id": type_id,
                      "parent_id": imp.entity_id("Sequence", _ref(entry, "sg_sequence")),
                      "source_id": imp.entity_id("Scene", _ref(entry, "sg_scene")), "data": data}
            shot = imp.save_entity("Shot", imp.entity_id("Shot", entry["id"]), values)
            imp.set_casting(shot["id"], [a for a in assets if a is not None])
            out.append(shot)
    return out


def _scenes(imp: Import, entries: list[Any]) -> list[Row]:
    out = []
    type_id = imp.type_ids["Scene"]
    for entry in _each(entries):
        with imp.entry():
            project_id = imp.project_by_name(entry)
            if project_id is None:
                continue
            sequences = entry.get("sequence_sg_scenes_1_sequences") or []
            sequence_id = imp.entity_id("Sequence", sequences[0]["id"]) if sequences else None
            values = {"name": entry["code"], "shotgun_id": entry["id"], "project_id": project_id,
                      "entity_type_id": type_id, "parent_id": sequence_id}
            out.append(imp.save_entity("Scene", imp.entity_id("Scene", entry["id"]), values))
    return out


def _assets(imp: Import, entries: list[Any]) -> list[Row]:
    names = {e.get("sg_asset_type") for e in entries if isinstance(e, dict)}
    asset_types = {name: types.type_id(imp.ctx.state, name) for name in names if isinstance(name, str) and name}
    projects = imp.map("projects", s.project)
    children: dict[Any, list[str]] = {}
    out = []
    for entry in _each(entries):
        with imp.entry():
            project_id = projects.get(entry["project"]["id"])
            type_id = asset_types.get(entry["sg_asset_type"])
            known = imp.entity_id("Asset", entry["id"])
            if project_id is None or (known is None and type_id is None):
                continue
            values = {"name": entry["code"], "shotgun_id": entry["id"], "description": entry["description"],
                      "entity_type_id": type_id, "project_id": project_id}
            if type_id is None:
                del values["entity_type_id"]
            asset = imp.save_entity("Asset", known, values)
            for parent in entry.get("parents") or []:
                children.setdefault(parent["id"], []).append(asset["id"])
            out.append(asset)
    for parent_sg_id, asset_ids in children.items():  # a parent asset is cast with its children
        parent_id = imp.entity_id("Asset", parent_sg_id)
        if parent_id is not None:
            imp.set_casting(parent_id, asset_ids)
    return out


def _steps(imp: Import, entries: list[Any]) -> list[Row]:
    out = []
    t = s.task_type.c
    for entry in _each(entries):
        with imp.entry():
            color = rgb_to_hex(entry.get("color", "0,0,0"))
            department_id = _department(imp, entry["code"].split(" ")[0], color)
            values = {"name": entry["code"], "short_name": entry.get("short_name", "") or "", "shotgun_id": entry["id"],
                      "color": color, "for_entity": entry.get("entity_type", "Asset") or "Asset",
                      "department_id": department_id}
            known = _id_of(imp.tx, s.task_type, t.shotgun_id == entry["id"]) or _id_of(
                imp.tx, s.task_type, t.name == values["name"], t.for_entity == values["for_entity"])
            if known is not None:
                same = _id_of(imp.tx, s.task_type, t.name == values["name"], t.for_entity == values["for_entity"],
                              t.department_id == department_id)
                if same is not None and same != known:
                    for key in ("name", "for_entity", "department_id"):
                        del values[key]
            out.append(imp.save(MODELS["task-types"], known, values, "task-type"))
    return out


def _statuses(imp: Import, entries: list[Any]) -> list[Row]:
    out = []
    ts = s.task_status.c
    for entry in _each(entries):
        with imp.entry():
            values = {"name": entry["name"], "short_name": entry["code"], "shotgun_id": entry["id"],
                      "color": rgb_to_hex(entry.get("bg_color") or "0,0,0")}
            known = _id_of(imp.tx, s.task_status, ts.shotgun_id == entry["id"]) or _id_of(
                imp.tx, s.task_status, ts.short_name == values["short_name"])
            out.append(imp.save(MODELS["task-status"], known, values, "task-status"))
    return out


def _tasks(imp: Import, entries: list[Any]) -> list[Row]:
    projects = imp.map("projects", s.project)
    persons = imp.map("persons", s.person)
    task_types = imp.map("task_types", s.task_type)
    statuses = imp.map("task_statuses", s.task_status, "short_name")
    default_status = task_queries.default_task_status_id(imp.tx.conn)
    t = s.task.c
    out = []
    for entry in _each(entries):
        with imp.entry():
            if entry["step"] is None or entry["project"] is None:
                continue
            sg_entity = entry["entity"]
            kind = sg_entity["type"] if sg_entity else None
            entity_id = imp.entity_id(kind, sg_entity["id"]) if kind in ("Asset", *imp.type_ids) else None
            values = {"name": entry["cached_display_name"], "shotgun_id": entry["id"],
                      "start_date": entry["start_date"], "due_date": entry["due_date"],
                      "sort_order": entry["sg_sort_order"] or 0, "duration": entry["duration"] or 0,
                      "task_type_id": task_types.get(entry["step"]["id"]),
                      "task_status_id": statuses.get(entry["sg_status_list"]) or default_status,
                      "project_id": projects.get(entry["project"]["id"]), "entity_id": entity_id,
                      "assigner_id": persons.get((entry.get("created_by") or {}).get("id"))}
            assignees = [persons[person["id"]] for person in entry["task_assignees"] or []]
            if not (values["task_type_id"] and values["project_id"] and entity_id and values["task_status_id"]):
                continue  # the task cannot hang anywhere
            for key in ("start_date", "due_date"):
                values[key] = crud.coerce_value(s.task.c[key], values[key])
            same_place = (t.name == values["name"], t.project_id == values["project_id"],
                          t.task_type_id == values["task_type_id"], t.entity_id == entity_id)
            known = _id_of(imp.tx, s.task, t.shotgun_id == entry["id"])
            similar = _id_of(imp.tx, s.task, *same_place)
            if known is None:
                known = similar
            elif similar is not None and similar != known:
                for key in ("name", "project_id", "task_type_id", "entity_id"):
                    del values[key]
            task = imp.save(TASK, known, values, "task", values.get("project_id") or projects.get(entry["project"]["id"]))
            link = s.task_person_link
            imp.tx.delete(link, link.c.task_id == task["id"])
            imp.tx.insert(link, [{"task_id": task["id"], "person_id": p} for p in dict.fromkeys(assignees)])
            task["assignees"] = list(dict.fromkeys(assignees))
            out.append(task)
    return out


def _versions(imp: Import, entries: list[Any]) -> list[Row]:
    persons = imp.map("persons", s.person)
    tasks = imp.map("tasks", s.task)
    pf = s.preview_file.c
    out = []
    for entry in _each(entries):
        with imp.entry():
            if entry["sg_task"] is None:
                continue
            values: Row = {"name": entry["code"], "shotgun_id": entry["id"], "description": entry["description"],
                           "source": "Shotgun", "task_id": tasks.get(entry["sg_task"]["id"])}
            if entry.get("user") is not None:
                values["person_id"] = persons.get(entry["user"]["id"])
            movie = entry["sg_uploaded_movie"]
            if movie is not None:
                values["uploaded_movie_url"] = movie["url"]
                values["uploaded_movie_name"] = movie["name"]
            task_clause = pf.task_id.is_(None) if values["task_id"] is None else pf.task_id == values["task_id"]
            known = _id_of(imp.tx, s.preview_file, pf.shotgun_id == entry["id"]) or _id_of(
                imp.tx, s.preview_file, pf.name == values["name"], task_clause)
            project_id = None if values["task_id"] is None else imp.tx.execute(
                sa.select(s.task.c.project_id).where(s.task.c.id == values["task_id"])).scalar()
            out.append(imp.save(MODELS["preview-files"], known, values, "preview-file", project_id))
    return out


def _notes(imp: Import, entries: list[Any]) -> list[Row]:
    persons = imp.map("persons", s.person)
    tasks = imp.map("tasks", s.task)
    c = s.comment.c
    out = []
    for entry in _each(entries):
        with imp.entry():
            task_id = tasks.get(entry["tasks"][0]["id"]) if entry["tasks"] else None
            if task_id is None:
                continue
            created_at = datetime.strptime(entry["created_at"][:19], "%Y-%m-%dT%H:%M:%S").strftime("%Y-%m-%dT%H:%M:%S")
            values = {"text": entry["content"] or "", "shotgun_id": entry["id"], "object_id": task_id,
                      "object_type": "Task", "person_id": persons.get(entry["user"]["id"]), "created_at": created_at}
            known = _id_of(imp.tx, s.comment, c.shotgun_id == entry["id"])
            project_id = imp.tx.execute(sa.select(s.task.c.project_id).where(s.task.c.id == task_id)).scalar()
            out.append(imp.save(COMMENT, known, values, "comment", project_id))
    return out


def _project_connections(imp: Import, entries: list[Any]) -> list[Row]:
    out = []
    link = s.project_person_link.c
    for entry in _each(entries):
        with imp.entry():
            project_id = _id_of(imp.tx, s.project, s.project.c.shotgun_id == entry["project"]["id"])
            person_id = _id_of(imp.tx, s.person, s.person.c.shotgun_id == entry["user"]["id"])
            if project_id is None or person_id is None:
                continue
            known = imp.tx.execute(sa.select(link.person_id).where(
                link.project_id == project_id, link.person_id == person_id)).first()
            if known is None:
                imp.tx.insert(s.project_person_link, {"project_id": project_id, "person_id": person_id})
                imp.tx.emit("project:update", {"project_id": project_id}, project_id=project_id)
            out.append(crud.load(imp.tx.conn, PROJECT, project_id))
    return out


IMPORTERS: dict[str, Callable[[Import, list[Any]], list[Row]]] = {
    "persons": _persons, "projects": _projects, "episodes": _episodes, "sequences": _sequences,
    "shots": _shots, "scenes": _scenes, "assets": _assets, "steps": _steps, "status": _statuses,
    "tasks": _tasks, "versions": _versions, "notes": _notes, "project-connections": _project_connections,
}


def _each(entries: list[Any]) -> Iterable[Row]:
    """The entries that are objects (Zou fails on the others; foxtrack skips them)."""
    for entry in entries:
        if isinstance(entry, dict):
            yield entry


def import_entries(ctx: RequestContext, kind: str, body: Any) -> list[Row]:
    """Import ShotGrid ``body`` (a list of entries) as ``kind``; admins only, as in Zou."""
    perm.require_admin(ctx)
    if body is None or body == {}:
        body = []
    if not isinstance(body, list):
        raise BadRequest("A list of ShotGrid entries is expected.")
    types.temporal_ids(ctx.state)  # the temporal types exist before the import's transaction
    with ctx.write() as tx:
        imp = Import(ctx, tx)
        try:
            return IMPORTERS[kind](imp, body)
        except IntegrityError as exc:
            raise BadRequest(f"Data information are duplicated or wrong: {exc.orig}") from exc
