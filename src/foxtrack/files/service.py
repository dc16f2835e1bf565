"""Rules of the files feature: file paths from project trees, working and output file records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import (
    ApiError,
    BadRequest,
    Forbidden,
    NotFound,
    validation_error,
)
from foxtrack.core.jsonutil import is_uuid, now
from foxtrack.core.models import MODELS, PROJECT, TEMPORAL_TYPES, Model
from foxtrack.crud.service import insert, update_row
from foxtrack.db import schema as s
from foxtrack.files import queries as q
from foxtrack.files.file_tree import BUILTIN_TREES, format_revision, render

Row = dict[str, Any]
WORKING_FILE, OUTPUT_FILE = q.WORKING_FILE, q.OUTPUT_FILE
SOFTWARE, OUTPUT_TYPE, FILE_STATUS = MODELS["softwares"], MODELS["output-types"], MODELS["file-status"]
ROUTE_404 = "404 Not Found: The requested URL was not found on the server. If you entered the URL manually " \
            "please check your spelling and try again."
DEFAULT_EPISODE = "e001"

# Records Zou creates on first need: (model, name, other columns, event name).
PATH_SOFTWARE = (SOFTWARE, "3ds Max", {"short_name": "max", "file_extension": ".max"}, "software:new")
NEW_FILE_SOFTWARE = (SOFTWARE, "Blender", {"short_name": "blender", "file_extension": ".blend"}, "software:new")
DEFAULT_OUTPUT_TYPE = (OUTPUT_TYPE, "Geometry", {"short_name": ""}, "output_type:new")
DEFAULT_FILE_STATUS = (FILE_STATUS, "To review", {"color": "#FFFFFF"}, "file_status:new")
Default = tuple[Model, str, dict[str, Any], str]


class RouteNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(ROUTE_404)


class AlreadyExists(ApiError):
    """Zou answers a duplicate file with ``{"error": "<text>"}`` (a string, not a flag)."""

    def __init__(self, what: str):
        text = f"The given {what} already exists."
        super().__init__(text, status=400, body={"error": text})


# ----------------------------------------------------------------------------- loading

def _load(conn: Connection, model: Model, item_id: Any) -> Row:
    if not is_uuid(item_id):
        raise RouteNotFound()
    row = model.get(conn, item_id)
    if row is None:
        raise RouteNotFound()
    return row


def _row(conn: Connection, table: sa.Table, item_id: Any) -> Row | None:
    if not is_uuid(item_id):
        return None
    found = conn.execute(sa.select(table).where(table.c.id == item_id)).first()
    return dict(found._mapping) if found is not None else None


def _get_or_create(tx: Tx, default: Default) -> Row:
    model, name, values, event = default
    found = q.named_row(tx.conn, model.table, name)
    if found is not None:
        return found
    row = insert(tx, model, {"name": name, **values})
    tx.emit(event, {f"{model.table.name}_id": row["id"]})
    return row


def _int_field(body: Row, key: str, default: int) -> int:
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise validation_error({key: "Input should be a valid integer"}, "Validation error.")
    try:
        return int(value)
    except ValueError as exc:
        raise validation_error({key: "Input should be a valid integer, unable to parse string as an integer"},
                               "Validation error.") from exc


def _str_field(body: Row, key: str, default: str) -> str:
    value = body.get(key, default)
    if not isinstance(value, str):
        raise validation_error({key: "Input should be a valid string"}, "Validation error.")
    return value


def _required_ids(body: Row, *keys: str) -> None:
    missing = {k: "Field required" for k in keys if body.get(k) in (None, "")}
    if missing:
        raise validation_error(missing, "Validation error.")


# ----------------------------------------------------------------------------- permissions

def _check_write(ctx: RequestContext, conn: Connection, project_id: str, task_ids: sa.Select[Any]) -> None:
    """Writes: the people working on one of ``task_ids`` (``permissions.check_task_work``)."""
    perm.check_task_work(ctx, conn, project_id, task_ids)


def _entity_task_ids(entity_id: str, task_type_id: str | None = None) -> sa.Select[Any]:
    t = s.task
    stmt = sa.select(t.c.id).where(t.c.entity_id == entity_id)
    return stmt.where(t.c.task_type_id == task_type_id) if task_type_id else stmt


# ----------------------------------------------------------------------------- token values

@dataclass
class PathTarget:
    """What a path is built for: the entity (or asset instance in a shot) and the file's context."""

    project: Row
    entity: Row
    kind: str
    task: Row | None = None
    task_type: Row | None = None
    asset_instance: Row | None = None
    temporal_entity: Row | None = None


def _kind(ctx: RequestContext, conn: Connection, entity: Row) -> str:
    type_name = ctx.state.entity_type_name(conn, entity["entity_type_id"])
    return type_name.lower() if type_name in TEMPORAL_TYPES else "asset"


def _token_resolver(ctx: RequestContext, tx: Tx, target: PathTarget, values: dict[str, Any],
                    software: Callable[[], Row], output_type: Callable[[], Row]) -> Callable[[str], str]:
    conn = tx.conn
    entity = target.entity
    place = target.temporal_entity or entity  # the shot or scene an instance sits in

    def type_of(row: Row) -> str:
        return ctx.state.entity_type_name(conn, row["entity_type_id"])

    def name_of(row: Row | None) -> str:
        return str(row["name"]) if row else ""

    def parent(row: Row | None) -> Row | None:
        return _row(conn, s.entity, row.get("parent_id")) if row else None

    def sequence() -> str:
        kind = type_of(place)
        if kind == "Sequence":
            return name_of(place)
        return name_of(parent(place)) if kind in ("Shot", "Scene") else ""

    def episode() -> str:
        kind = type_of(place)
        if kind == "Episode":
            found: Row | None = place
        elif kind in ("Shot", "Scene"):
            found = parent(parent(place))
        elif kind == "Sequence":
            found = parent(place)
        else:
            found = _row(conn, s.entity, place.get("source_id"))
        return name_of(found) or DEFAULT_EPISODE

    def asset_type() -> str:
        if type_of(entity) in TEMPORAL_TYPES:
            raise RouteNotFound()
        return type_of(entity)

    def department() -> str:
        row = _row(conn, s.department, (target.task_type or {}).get("department_id"))
        if row is None:
            raise RouteNotFound()
        return str(row["name"])

    def instance() -> str:
        row = target.asset_instance
        if row is None:
            return ""
        return str(row.get("name") or str(row.get("number") or 0).zfill(4))

    resolvers: dict[str, Callable[[], str]] = {
        "Project": lambda: name_of(target.project),
        "Episode": episode,
        "Sequence": sequence,
        "Scene": lambda: name_of(place),
        "Shot": lambda: name_of(place),
        "Asset": lambda: name_of(entity),
        "AssetType": asset_type,
        "TaskType": lambda: name_of(target.task_type),
        "Department": department,
        "Task": lambda: name_of(target.task),
        "Software": lambda: name_of(software()),
        "OutputType": lambda: name_of(output_type()),
        "Instance": instance,
        "Representation": lambda: str(values.get("representation") or ""),
        "Name": lambda: str(values.get("name") or ""),
        "Revision": lambda: format_revision(values["revision"]),
        "Version": lambda: format_revision(values["revision"]),
    }
    return lambda token: resolvers[token]()


def _lazy(fetch: Callable[[], Row]) -> Callable[[], Row]:
    cache: list[Row] = []

    def get() -> Row:
        if not cache:
            cache.append(fetch())
        return cache[0]

    return get


def _build(ctx: RequestContext, tx: Tx, target: PathTarget, mode: str, values: dict[str, Any],
           software: Callable[[], Row], output_type: Callable[[], Row], body: Row) -> tuple[str, str]:
    value_of = _token_resolver(ctx, tx, target, values, software, output_type)
    return render(target.project.get("file_tree"), mode, target.kind, value_of, body)


# ----------------------------------------------------------------------------- file trees

def set_file_tree(ctx: RequestContext, project_id: str, tree_name: Any) -> Row:
    with ctx.write() as tx:
        project = _load(tx.conn, PROJECT, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        if not isinstance(tree_name, str) or tree_name not in BUILTIN_TREES:
            raise BadRequest("Selected tree is not available")
        update_row(tx, PROJECT, project_id, {"file_tree": BUILTIN_TREES[tree_name]()})
        tx.emit("project:update", {"project_id": project_id}, project_id=project_id)
        project = _load(tx.conn, PROJECT, project_id)
        PROJECT.add_relations(tx.conn, [project])
    return project


# ----------------------------------------------------------------------------- working files

def _task_target(ctx: RequestContext, conn: Connection, task_id: str) -> PathTarget:
    task = _load(conn, MODELS["tasks"], task_id)
    entity = _load(conn, MODELS["entities"], task["entity_id"])
    project = _load(conn, PROJECT, task["project_id"])
    task_type = _row(conn, s.task_type, task["task_type_id"])
    return PathTarget(project, entity, _kind(ctx, conn, entity), task=task, task_type=task_type)


def _software(tx: Tx, software_id: Any, default: Default) -> Callable[[], Row]:
    if software_id in (None, ""):
        return _lazy(lambda: _get_or_create(tx, default))
    found = _load(tx.conn, SOFTWARE, software_id)
    return lambda: found


def working_file_path(ctx: RequestContext, task_id: str, body: Row) -> Row:
    mode = _str_field(body, "mode", "working")
    name = _str_field(body, "name", "main")
    revision = _int_field(body, "revision", 0)
    with ctx.write() as tx:
        target = _task_target(ctx, tx.conn, task_id)
        perm.check_project_access(ctx, tx.conn, target.project["id"])
        software = _software(tx, body.get("software_id"), PATH_SOFTWARE)
        if not revision:
            revision = q.last_working_revision(tx.conn, task_id, name) + 1
        values = {"name": name, "revision": revision}
        folder, file_name = _build(ctx, tx, target, mode, values, software,
                                   _lazy(lambda: _get_or_create(tx, DEFAULT_OUTPUT_TYPE)), body)
    return {"path": folder, "name": file_name}


def new_working_file(ctx: RequestContext, task_id: str, body: Row) -> Row:
    _required_ids(body, "name")
    name = _str_field(body, "name", "main")
    mode = _str_field(body, "mode", "working")
    revision = _int_field(body, "revision", 0)
    with ctx.write() as tx:
        target = _task_target(ctx, tx.conn, task_id)
        task = target.task or {}
        _check_write(ctx, tx.conn, target.project["id"], sa.select(sa.literal(task_id)))
        software = _software(tx, body.get("software_id"), NEW_FILE_SOFTWARE)()
        person_id = body.get("person_id") or ctx.person_id
        _load(tx.conn, MODELS["persons"], person_id)
        if not revision:
            revision = q.last_working_revision(tx.conn, task_id, name) + 1
        if q.working_file_exists(tx.conn, task_id, task["entity_id"], name, revision):
            raise AlreadyExists("working file")
        folder, file_name = _build(ctx, tx, target, mode, {"name": name, "revision": revision},
                                   lambda: software, _lazy(lambda: _get_or_create(tx, DEFAULT_OUTPUT_TYPE)), body)
        row = insert(tx, WORKING_FILE, {
            "name": name, "comment": str(body.get("comment") or ""), "description": body.get("description"),
            "revision": revision, "path": f"{folder}/{file_name}", "task_id": task_id,
            "entity_id": task["entity_id"], "person_id": person_id, "software_id": software["id"],
        })
        tx.emit("working-file:new", {"working_file_id": row["id"]}, project_id=target.project["id"])
    return row


def _readable_task(ctx: RequestContext, conn: Connection, task_id: str) -> Row:
    task = _load(conn, MODELS["tasks"], task_id)
    perm.check_project_access(ctx, conn, task["project_id"])
    return task


def task_working_files(ctx: RequestContext, task_id: str) -> list[Row]:
    with ctx.read() as conn:
        _readable_task(ctx, conn, task_id)
        return q.working_files(conn, s.working_file.c.task_id == task_id)


def last_working_files(ctx: RequestContext, task_id: str) -> dict[str, Row]:
    out: dict[str, Row] = {}
    for wf in task_working_files(ctx, task_id):
        out.setdefault(wf["name"], wf)  # newest revision first
    return out


def entity_working_files(ctx: RequestContext, entity_id: str, params: dict[str, str]) -> list[Row]:
    wf = s.working_file
    with ctx.read() as conn:
        entity = _load(conn, MODELS["entities"], entity_id)
        perm.check_project_access(ctx, conn, entity["project_id"])
        clauses = [wf.c.entity_id == entity_id]
        if params.get("task_id"):
            clauses.append(wf.c.task_id == params["task_id"])
        if params.get("name"):
            clauses.append(wf.c.name == params["name"])
        return q.working_files(conn, *clauses)


def _working_file_for_write(ctx: RequestContext, tx: Tx, working_file_id: str) -> Row:
    working_file = _load(tx.conn, WORKING_FILE, working_file_id)
    task = _load(tx.conn, MODELS["tasks"], working_file["task_id"])
    _check_write(ctx, tx.conn, task["project_id"], sa.select(sa.literal(task["id"])))
    return working_file


def readable_working_file(ctx: RequestContext, conn: Connection, working_file: Row) -> Row:
    """The record with its ``outputs`` ids, after a project access check through its task."""
    task = _row(conn, s.task, working_file.get("task_id"))
    if task is not None:
        perm.check_project_access(ctx, conn, task["project_id"])
    elif not ctx.is_admin:
        raise Forbidden()
    return {**working_file, "outputs": q.output_ids_by_source(conn, [working_file["id"]])[working_file["id"]]}


def update_working_file(ctx: RequestContext, working_file_id: str, values: Row) -> Row:
    with ctx.write() as tx:
        _working_file_for_write(ctx, tx, working_file_id)
        update_row(tx, WORKING_FILE, working_file_id, values)
        return _load(tx.conn, WORKING_FILE, working_file_id)


def set_working_file_comment(ctx: RequestContext, working_file_id: str, body: Row) -> Row:
    if "comment" not in body:
        raise validation_error({"comment": "Field required"}, "Validation error.")
    return update_working_file(ctx, working_file_id, {"comment": _str_field(body, "comment", "")})


def touch_working_file(ctx: RequestContext, working_file_id: str) -> Row:
    return update_working_file(ctx, working_file_id, {"updated_at": now()})


def working_file_for_upload(ctx: RequestContext, working_file_id: str) -> Row:
    with ctx.write() as tx:
        working_file = _working_file_for_write(ctx, tx, working_file_id)
        return readable_working_file(ctx, tx.conn, working_file)


def working_file_for_download(ctx: RequestContext, working_file_id: str) -> Row:
    with ctx.read() as conn:
        working_file = _load(conn, WORKING_FILE, working_file_id)
        return readable_working_file(ctx, conn, working_file)


# ----------------------------------------------------------------------------- output files

@dataclass
class OutputScope:
    """Where output files hang: an entity, or an asset instance inside a temporal entity."""

    entity: Row
    asset_instance: Row | None = None
    temporal_entity: Row | None = None

    def clauses(self, filters: dict[str, str] | None = None) -> list[sa.ColumnElement[bool]]:
        if self.asset_instance is not None:
            return q.output_clauses(asset_instance_id=self.asset_instance["id"],
                                    temporal_entity_id=(self.temporal_entity or {}).get("id"), filters=filters)
        return q.output_clauses(entity_id=self.entity["id"], filters=filters)


def _entity_scope(conn: Connection, entity_id: str) -> OutputScope:
    return OutputScope(_load(conn, MODELS["entities"], entity_id))


def _instance_scope(conn: Connection, asset_instance_id: str, temporal_entity_id: str | None) -> OutputScope:
    instance = _load(conn, MODELS["asset-instances"], asset_instance_id)
    asset = _load(conn, MODELS["entities"], instance["asset_id"])
    temporal = _load(conn, MODELS["entities"], temporal_entity_id) if temporal_entity_id is not None else None
    return OutputScope(asset, instance, temporal)


def scope_for(conn: Connection, entity_id: str | None, asset_instance_id: str | None,
              temporal_entity_id: str | None) -> OutputScope:
    if asset_instance_id is not None:
        return _instance_scope(conn, asset_instance_id, temporal_entity_id)
    return _entity_scope(conn, entity_id or "")


def _output_target(ctx: RequestContext, conn: Connection, scope: OutputScope, task_type: Row) -> PathTarget:
    project = _load(conn, PROJECT, scope.entity["project_id"])
    kind = "instance" if scope.asset_instance is not None else _kind(ctx, conn, scope.entity)
    task = conn.execute(MODELS["tasks"].select().where(
        s.task.c.entity_id == (scope.temporal_entity or scope.entity)["id"],
        s.task.c.task_type_id == task_type["id"])).first()
    return PathTarget(project, scope.entity, kind, task=MODELS["tasks"].to_dict(task) if task else None,
                      task_type=task_type, asset_instance=scope.asset_instance,
                      temporal_entity=scope.temporal_entity)


def _revision_clauses(scope: OutputScope, body: Row) -> list[sa.ColumnElement[bool]]:
    of = s.output_file
    return [*scope.clauses(), of.c.output_type_id == body["output_type_id"],
            of.c.task_type_id == body["task_type_id"], of.c.name == _str_field(body, "name", "main")]


def output_file_path(ctx: RequestContext, ids: tuple[str | None, str | None, str | None], body: Row) -> Row:
    _required_ids(body, "output_type_id", "task_type_id")
    mode = _str_field(body, "mode", "output")
    name = _str_field(body, "name", "main")
    representation = _str_field(body, "representation", "")
    revision = _int_field(body, "revision", 0)
    with ctx.write() as tx:
        scope = scope_for(tx.conn, *ids)
        perm.check_project_access(ctx, tx.conn, scope.entity["project_id"])
        output_type = _load(tx.conn, OUTPUT_TYPE, body["output_type_id"])
        task_type = _load(tx.conn, MODELS["task-types"], body["task_type_id"])
        target = _output_target(ctx, tx.conn, scope, task_type)
        if not revision:
            revision = q.last_output_revision(tx.conn, _revision_clauses(scope, body)) + 1
        values = {"name": name, "revision": revision, "representation": representation}
        folder, file_name = _build(ctx, tx, target, mode, values,
                                   _lazy(lambda: _get_or_create(tx, PATH_SOFTWARE)), lambda: output_type, body)
    return {"folder_path": folder, "file_name": file_name}


def next_output_revision(ctx: RequestContext, ids: tuple[str | None, str | None, str | None], body: Row) -> Row:
    _required_ids(body, "output_type_id", "task_type_id")
    with ctx.read() as conn:
        scope = scope_for(conn, *ids)
        perm.check_project_access(ctx, conn, scope.entity["project_id"])
        return {"next_revision": q.last_output_revision(conn, _revision_clauses(scope, body)) + 1}


def new_output_file(ctx: RequestContext, ids: tuple[str | None, str | None, str | None], body: Row) -> Row:
    _required_ids(body, "output_type_id", "task_type_id")
    name = _str_field(body, "name", "main")
    representation = _str_field(body, "representation", "")
    revision = _int_field(body, "revision", 0)
    nb_elements = _int_field(body, "nb_elements", 1)
    with ctx.write() as tx:
        conn = tx.conn
        scope = scope_for(conn, *ids)
        project_id = scope.entity["project_id"]
        _check_write(ctx, conn, project_id,
                     _entity_task_ids((scope.temporal_entity or scope.entity)["id"], body["task_type_id"]))
        output_type = _load(conn, OUTPUT_TYPE, body["output_type_id"])
        task_type = _load(conn, MODELS["task-types"], body["task_type_id"])
        working_file = _load(conn, WORKING_FILE, body["working_file_id"]) if body.get("working_file_id") else None
        person_id = body.get("person_id") or ctx.person_id
        _load(conn, MODELS["persons"], person_id)
        file_status_id = body.get("file_status_id") or _get_or_create(tx, DEFAULT_FILE_STATUS)["id"]
        _load(conn, FILE_STATUS, file_status_id)
        clauses = _revision_clauses(scope, body)
        if not revision:
            revision = q.last_output_revision(conn, clauses) + 1
        duplicate = [*clauses, s.output_file.c.representation == representation, s.output_file.c.revision == revision]
        if conn.execute(sa.select(s.output_file.c.id).where(*duplicate)).first() is not None:
            raise AlreadyExists("output file")
        target = _output_target(ctx, conn, scope, task_type)
        folder, file_name = _build(ctx, tx, target, "output",
                                   {"name": name, "revision": revision, "representation": representation},
                                   _lazy(lambda: _get_or_create(tx, PATH_SOFTWARE)), lambda: output_type, body)
        if nb_elements > 1:
            file_name = f"{file_name}_[1-{nb_elements}]"
        row = insert(tx, OUTPUT_FILE, {
            "name": name, "comment": str(body.get("comment") or ""), "extension": "", "revision": revision,
            "representation": representation, "nb_elements": nb_elements, "path": f"{folder}/{file_name}",
            "file_status_id": file_status_id, "output_type_id": output_type["id"], "task_type_id": task_type["id"],
            "person_id": person_id, "source_file_id": working_file["id"] if working_file else None,
            "entity_id": None if scope.asset_instance else scope.entity["id"],
            "asset_instance_id": scope.asset_instance["id"] if scope.asset_instance else None,
            "temporal_entity_id": scope.temporal_entity["id"] if scope.temporal_entity else None,
        })
        tx.emit("output-file:new", {"output_file_id": row["id"]}, project_id=project_id)
        row = q.with_source_files(conn, [row])[0]
    return {**row, "folder_path": folder, "file_name": file_name}


def output_files(ctx: RequestContext, ids: tuple[str | None, str | None, str | None],
                 filters: dict[str, str]) -> list[Row]:
    with ctx.read() as conn:
        scope = scope_for(conn, *ids)
        perm.check_project_access(ctx, conn, scope.entity["project_id"])
        return q.output_files(conn, scope.clauses(filters))


def last_output_files(ctx: RequestContext, ids: tuple[str | None, str | None, str | None],
                      filters: dict[str, str]) -> list[Row]:
    """The newest revision of each (output type, name, representation), in order of first revision."""
    last: dict[tuple[Any, ...], Row] = {}
    for output in reversed(output_files(ctx, ids, filters)):
        last[(output["output_type_id"], output["name"], output["representation"])] = output
    return list(last.values())


def output_types(ctx: RequestContext, ids: tuple[str | None, str | None, str | None]) -> list[Row]:
    with ctx.read() as conn:
        scope = scope_for(conn, *ids)
        perm.check_project_access(ctx, conn, scope.entity["project_id"])
        return q.output_types_of(conn, scope.clauses())


def project_output_files(ctx: RequestContext, project_id: str, filters: dict[str, str]) -> list[Row]:
    with ctx.read() as conn:
        _load(conn, PROJECT, project_id)
        perm.check_project_access(ctx, conn, project_id)
        return q.project_output_files(conn, project_id, filters)


def readable_output_file(ctx: RequestContext, conn: Connection, output_file: Row) -> Row:
    entity = _row(conn, s.entity, output_file.get("entity_id"))
    if entity is None and output_file.get("asset_instance_id"):
        instance = _row(conn, s.asset_instance, output_file["asset_instance_id"])
        entity = _row(conn, s.entity, (instance or {}).get("asset_id"))
    if entity is not None:
        perm.check_project_access(ctx, conn, entity["project_id"])
    elif not ctx.is_admin:
        raise Forbidden()
    return q.with_source_files(conn, [dict(output_file)])[0]
