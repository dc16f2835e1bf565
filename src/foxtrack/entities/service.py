"""Rules of the breakdown: creating, reading, updating and removing shots, sequences, episodes,
scenes, edits, concepts and assets (all rows of ``entity``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import BadRequest, MalformedId, NotFound, validation_error
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import ENTITY
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.entities import queries as q
from foxtrack.entities import removal, types
from foxtrack.entities.validation import as_bool, check_body

Row = dict[str, Any]
E = s.entity
# entity aliases built once: an alias builds its column collection (every column) when first used
_CAST_EP_ALIAS = s.entity.alias("cast_ep")
_CAST_SEQ_ALIAS = s.entity.alias("cast_seq")
_CAST_SHOT_ALIAS = s.entity.alias("cast_shot")


def kind_event(type_name: str) -> str:
    """Event prefix of an entity kind: ``shot``, ``asset``..."""
    return type_name.lower()


# ----------------------------------------------------------------------------- loading

def load(ctx: RequestContext, conn: Connection, entity_id: str, kind: str | None = None) -> Row:
    """An entity the caller may read, with its typed ``type``; 404 when it is not of ``kind``."""
    if not is_uuid(entity_id):
        if kind is None:
            raise MalformedId()
        raise NotFound()
    row = ENTITY.get(conn, entity_id)
    if row is None:
        raise NotFound()
    row["type"] = types.json_type(ctx.state, conn, row["entity_type_id"])
    if kind is not None and row["type"] != kind:
        raise NotFound()
    perm.check_project_access(ctx, conn, row["project_id"])
    return row


def load_project(conn: Connection, project_id: str) -> Row:
    if not is_uuid(project_id):
        raise NotFound()
    row = conn.execute(sa.select(s.project.c.id, s.project.c.name).where(s.project.c.id == project_id)).first()
    if row is None:
        raise NotFound()
    return {"id": row[0], "name": row[1]}


# ----------------------------------------------------------------------------- creation

# per kind: body fields, the field holding the parent (and the kind of that parent), the default
# description, whether an existing entity of the same name and parent is returned instead
CREATE_SPECS: dict[str, dict[str, Any]] = {
    types.EPISODE: {"fields": {"name": "name", "description": "str", "status": "str", "data": "dict"},
                    "parent": None, "description": "", "dedupe": True},
    types.SEQUENCE: {"fields": {"name": "name", "episode_id": "uuid", "description": "str", "data": "dict"},
                     "parent": ("episode_id", types.EPISODE), "description": "", "dedupe": True},
    types.SHOT: {"fields": {"name": "name", "sequence_id": "uuid", "description": "str", "data": "dict",
                            "nb_frames": "int"},
                 "parent": ("sequence_id", types.SEQUENCE), "description": None, "dedupe": True},
    types.SCENE: {"fields": {"name": "name", "sequence_id": "uuid", "description": "str", "data": "dict"},
                  "parent": ("sequence_id", types.SEQUENCE), "description": None, "dedupe": True},
    types.EDIT: {"fields": {"name": "name", "episode_id": "uuid", "description": "str", "data": "dict"},
                 "parent": ("episode_id", types.EPISODE), "description": "", "dedupe": True},
    types.CONCEPT: {"fields": {"name": "name", "description": "str", "data": "dict",
                               "entity_concept_links": "uuids"},
                    "parent": None, "description": None, "dedupe": False},
}


def create(ctx: RequestContext, project_id: str, kind: str, body: Any) -> Row:
    """Create an entity of a temporal kind in a project (an existing one of the same name under the
    same parent is returned as is, as Zou does)."""
    spec = CREATE_SPECS[kind]
    values = check_body(body, spec["fields"])
    type_id = types.type_id(ctx.state, kind)
    parent: Row | None = None
    name = values["name"].strip()
    key, parent_kind = spec["parent"] or (None, None)
    parent_id = values.get(key) if key else None
    with ctx.write() as tx:
        found: tuple[Row | None, Row | None] | None = None
        if parent_id is not None and spec["dedupe"] and is_uuid(project_id):
            # the project, the parent and a same-named child of it, in one statement
            found = _parent_and_namesake(tx.conn, project_id, parent_id, type_id, name, kind)
        else:
            load_project(tx.conn, project_id)
        if kind == types.CONCEPT:  # the team's staff (Zou), by the route's rule (``core.policy``)
            perm.check_project_access(ctx, tx.conn, project_id)
        else:
            perm.check_manager_project_access(ctx, tx.conn, project_id)
        existing: Row | None = None
        if found is not None:
            parent, existing = found
        elif parent_id is not None:
            parent = ENTITY.get(tx.conn, parent_id)
        if parent_id is not None and (
                parent is None or types.json_type(ctx.state, tx.conn, parent["entity_type_id"]) != parent_kind):
            raise NotFound()
        if spec["dedupe"] and found is None:
            namesake = tx.conn.execute(ENTITY.select().where(
                E.c.project_id == project_id, E.c.entity_type_id == type_id, E.c.name == name,
                E.c.parent_id.is_(None) if parent_id is None else E.c.parent_id == parent_id,
            )).first()
            existing = ENTITY.to_dict(namesake, kind) if namesake is not None else None
        if existing is not None:
            return existing
        row_values: Row = {
            "name": name,
            "project_id": project_id,
            "entity_type_id": type_id,
            "parent_id": parent_id,
            "description": values.get("description", spec["description"]),
            "data": values.get("data") or {},
            "created_by": ctx.person_id,
        }
        if kind == types.SHOT and values.get("nb_frames") is not None:
            row_values["nb_frames"] = int(values["nb_frames"])
        if kind == types.EPISODE and values.get("status"):
            row_values["status"] = values["status"]
        row = crud.insert(tx, ENTITY, row_values)
        row["type"] = kind
        if kind == types.CONCEPT:
            links = values.get("entity_concept_links") or []
            if links:
                tx.insert(s.entity_concept_link, [{"entity_in_id": row["id"], "entity_out_id": i}
                                                           for i in dict.fromkeys(links)])
            row["entity_concept_links"] = list(dict.fromkeys(links))
        emit_new(ctx, tx, row, parent)
    return row


_parent, _namesake = E.alias("parent"), E.alias("namesake")
PARENT_AND_NAMESAKE = sa.select(
    s.project.c.id, *(_parent.c[k] for k in ENTITY.keys), *(_namesake.c[k] for k in ENTITY.keys),
).select_from(
    s.project.outerjoin(_parent, _parent.c.id == sa.bindparam("parent_id")).outerjoin(_namesake, sa.and_(
        _namesake.c.parent_id == _parent.c.id, _namesake.c.project_id == s.project.c.id,
        _namesake.c.entity_type_id == sa.bindparam("type_id"), _namesake.c.name == sa.bindparam("name")))
).where(s.project.c.id == sa.bindparam("project_id")).limit(1)


def _parent_and_namesake(conn: Connection, project_id: str, parent_id: str, type_id: str, name: str,
                         kind: str) -> tuple[Row | None, Row | None]:
    """The parent entity and its child of that type (a ``kind``) and name, each None when absent;
    404 when the project does not exist."""
    row = conn.execute(PARENT_AND_NAMESAKE, {"project_id": project_id, "parent_id": parent_id, "type_id": type_id,
                                             "name": name}).first()
    if row is None:
        raise NotFound()
    width = len(ENTITY.keys)
    parent, namesake = row[1:1 + width], row[1 + width:]
    return (ENTITY.to_dict(parent) if parent[0] is not None else None,
            ENTITY.to_dict(namesake, kind) if namesake[0] is not None else None)


def replace_concept_links(tx: Tx, entity_id: str, links: Any) -> list[str]:
    """Store the entities a concept is linked to (``entity_concept_links``: ids or rows)."""
    if not isinstance(links, list):
        raise validation_error({"entity_concept_links": "Must be a list of ids."})
    given = [i.get("id") if isinstance(i, dict) else i for i in links]
    if not all(is_uuid(i) for i in given):
        raise BadRequest("Malformed ID in entity_concept_links.")
    ids = [str(i) for i in dict.fromkeys(given)]
    found = set(tx.execute(sa.select(E.c.id).where(E.c.id.in_(ids))).scalars()) if ids else set()
    if len(found) != len(ids):
        raise NotFound()
    link = s.entity_concept_link
    tx.delete(link, link.c.entity_in_id == entity_id)
    if ids:
        tx.insert(link, [{"entity_in_id": entity_id, "entity_out_id": i} for i in ids])
    return ids


def emit_new(ctx: RequestContext, tx: Tx, row: Row, parent: Row | None = None) -> None:
    """``<kind>:new``; a shot's names its episode (the parent of ``parent``, its sequence, when given)."""
    kind = row["type"]
    prefix = kind_event(kind)
    data: Row = {f"{prefix}_id": row["id"]}
    if kind == types.SHOT:
        episode_id = None
        if parent is not None and parent["id"] == row.get("parent_id"):
            episode_id = parent.get("parent_id")
        elif row.get("parent_id"):
            episode_id = tx.conn.execute(sa.select(E.c.parent_id).where(E.c.id == row["parent_id"])).scalar()
        data["episode_id"] = episode_id
    elif kind == types.ASSET:
        data["asset_type"] = row["entity_type_id"]
    tx.emit(f"{prefix}:new", data, project_id=row["project_id"])


ASSET_FIELDS = {"name": "name", "description": "str", "data": "dict", "is_shared": "bool", "episode_id": "uuid",
                "source_id": "uuid"}


def create_asset(ctx: RequestContext, project_id: str, asset_type_id: str, body: Any) -> Row:
    """A new asset of a type (Zou makes no name check here: a second asset of the same name is made)."""
    values = check_body(body, ASSET_FIELDS)
    with ctx.write() as tx:
        load_project(tx.conn, project_id)
        if not is_uuid(asset_type_id) or tx.conn.execute(
                sa.select(s.entity_type.c.id).where(s.entity_type.c.id == asset_type_id)).first() is None:
            raise NotFound()
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        source_id = values.get("episode_id") or values.get("source_id")
        if source_id is not None and ENTITY.get(tx.conn, source_id) is None:
            raise NotFound()
        row = crud.insert(tx, ENTITY, {
            "name": values["name"].strip(),
            "project_id": project_id,
            "entity_type_id": asset_type_id,
            "description": values.get("description") or "",
            "data": values.get("data") or {},
            "is_shared": as_bool(values.get("is_shared", False)),
            "source_id": source_id,
            "created_by": ctx.person_id,
        })
        row["type"] = types.ASSET
        emit_new(ctx, tx, row)
    return row


# ----------------------------------------------------------------------------- update

def merge_update_values(current: Row, values: Row) -> Row:
    """Zou merges the ``data`` keys sent into the stored ones."""
    if "data" in values:
        sent = values["data"]
        if sent is None:
            values.pop("data")
        elif isinstance(sent, dict):
            values["data"] = {**(current.get("data") or {}), **sent}
    return values


def update(ctx: RequestContext, entity_id: str, body: Row, kind: str | None = None) -> Row:
    """``PUT data/shots/{id}`` and friends: the row is updated like ``PUT data/entities/{id}``."""
    if not isinstance(body, dict):
        raise BadRequest("Invalid data.")
    with ctx.write() as tx:
        current = load(ctx, tx.conn, entity_id, kind)
        perm.check_manager_project_access(ctx, tx.conn, current["project_id"])
        values, _relations = crud.split_body(ENTITY, body, ignore=frozenset({"project_id", "entities_out"}))
        values = merge_update_values(current, values)
        for key, value in values.items():
            if value is None and not E.c[key].nullable:
                raise BadRequest(f"{key} may not be null")
        crud.update_row(tx, ENTITY, entity_id, values)
        row = ENTITY.get(tx.conn, entity_id)
        assert row is not None
        prefix = kind_event(current["type"])
        tx.emit(f"{prefix}:update", {f"{prefix}_id": entity_id}, project_id=current["project_id"])
    return row  # Zou answers this route with type "Entity"


# ----------------------------------------------------------------------------- removal

def remove(ctx: RequestContext, entity_id: str, force: bool, kind: str | None = None) -> None:
    with ctx.write() as tx:
        current = load(ctx, tx.conn, entity_id, kind)
        perm.check_manager_project_access(ctx, tx.conn, current["project_id"])
        remove_loaded(tx, current, force)


def remove_loaded(tx: Tx, current: Row, force: bool) -> None:
    """Cancel (an entity with tasks) or delete it; sequences and episodes with children need force."""
    entity_id, kind = current["id"], current["type"]
    prefix = kind_event(kind)
    ids = [entity_id]
    if kind in (types.SEQUENCE, types.EPISODE):
        children = list(tx.execute(sa.select(E.c.id).where(sa.or_(E.c.parent_id == entity_id))).scalars())
        if children and not force:
            raise BadRequest(f"Some data are still linked to this {prefix}.")
        grandchildren = list(tx.execute(sa.select(E.c.id).where(E.c.parent_id.in_(children))).scalars()) if children else []
        ids = grandchildren + children + ids
    elif not force and removal.task_ids_of(tx, [entity_id]):
        if not current.get("canceled"):
            crud.update_row(tx, ENTITY, entity_id, {"canceled": True})
        tx.emit(f"{prefix}:update", {f"{prefix}_id": entity_id}, project_id=current["project_id"])
        return
    changed = removal.delete_entities(tx, ids)
    tx.emit(f"{prefix}:delete", {f"{prefix}_id": entity_id}, project_id=current["project_id"])
    for other in changed:
        tx.emit("shot:casting-update", {"shot_id": other}, project_id=current["project_id"])


# ----------------------------------------------------------------------------- full reads

def full_shot(ctx: RequestContext, shot_id: str) -> Row:
    with ctx.read() as conn:
        shot = load(ctx, conn, shot_id, types.SHOT)
        return _full_temporal(ctx, conn, shot, with_tasks=True)


def _full_temporal(ctx: RequestContext, conn: Connection, row: Row, with_tasks: bool) -> Row:
    kind = row["type"]
    names = conn.execute(q.CONTEXT_NAMES, {"project_id": row["project_id"],
                                           "parent_id": row.get("parent_id")}).first()
    if names is None:
        raise NotFound()
    project_name, parent_name, grandparent_id, grandparent_name = names
    row["project_name"] = project_name
    if kind in (types.SHOT, types.SCENE):
        row["sequence_id"] = row["parent_id"]
        row["sequence_name"] = parent_name
        row["episode_id"] = grandparent_id
        row["episode_name"] = grandparent_name
        data = row.get("data") or {}
        row["fps"] = data.get("fps")
        row["frame_in"] = data.get("frame_in")
        row["frame_out"] = data.get("frame_out")
    elif kind in (types.SEQUENCE, types.EDIT) and row.get("parent_id"):
        row["episode_id"] = row["parent_id"]
        row["episode_name"] = parent_name
    if with_tasks:
        q.one_entity_relations(conn, row)
        row["tasks"] = q.one_entity_tasks(conn, row["id"], ctx.person_id, q.WITH_TASKS_TASK_COLUMNS)
    return row


def full_entity(ctx: RequestContext, entity_id: str, kind: str) -> Row:
    """``GET data/sequences|episodes|scenes|edits|concepts/{id}``."""
    with ctx.read() as conn:
        row = load(ctx, conn, entity_id, kind)
        return _full_temporal(ctx, conn, row, with_tasks=kind in (types.SCENE, types.EDIT, types.CONCEPT))


def full_asset(ctx: RequestContext, asset_id: str) -> Row:
    with ctx.read() as conn:
        asset = load(ctx, conn, asset_id, types.ASSET)
        asset.pop("nb_frames", None)
        source_id = asset.pop("source_id", None)
        project = load_project(conn, asset["project_id"])
        q.add_entity_relations(conn, [asset])
        asset["preview_file_id"] = asset["preview_file_id"] or ""
        asset["ready_for"] = str(asset["ready_for"])
        asset["project_name"] = project["name"]
        asset["asset_type_id"] = asset["entity_type_id"]
        asset["asset_type_name"] = types.name_of(ctx.state, conn, asset["entity_type_id"])
        asset["episode_id"] = source_id or ""
        asset["casting_episode_ids"] = casting_episode_ids(ctx, conn, [asset_id]).get(asset_id, [])
        asset["tasks"] = q.tasks_for_screen(conn, E.c.id == asset_id, ctx.person_id,
                                            q.ASSET_TASK_COLUMNS).get(asset_id, [])
        return asset


def casting_episode_ids(ctx: RequestContext, conn: Connection, asset_ids: list[str] | sa.Select[Any],
                        episode_id: str | None = None) -> dict[str, list[str]]:
    """Episodes in which each asset is cast (directly, or through a shot of the episode), in episode
    name order as Zou lists them; only ``episode_id`` when given. ``asset_ids``: ids or a select of ids."""
    if isinstance(asset_ids, list) and not asset_ids:
        return {}
    episode_type = types.type_id(ctx.state, types.EPISODE)
    link = s.entity_link
    shot, seq, ep = _CAST_SHOT_ALIAS, _CAST_SEQ_ALIAS, _CAST_EP_ALIAS
    direct = sa.select(link.c.entity_out_id, E.c.id, E.c.name).join(E, E.c.id == link.c.entity_in_id).where(
        link.c.entity_out_id.in_(asset_ids), E.c.entity_type_id == episode_type)
    via_shots = (
        sa.select(link.c.entity_out_id, ep.c.id, ep.c.name)
        .join(shot, shot.c.id == link.c.entity_in_id)
        .join(seq, seq.c.id == shot.c.parent_id)
        .join(ep, ep.c.id == seq.c.parent_id)
        .where(link.c.entity_out_id.in_(asset_ids))
    )
    if episode_id is not None:
        direct = direct.where(E.c.id == episode_id)
        via_shots = via_shots.where(ep.c.id == episode_id)
    found: dict[str, dict[str, str]] = {}
    for stmt in (direct, via_shots):
        for asset_id, cast_episode_id, episode_name in conn.execute(stmt):
            found.setdefault(asset_id, {})[cast_episode_id] = episode_name
    return {asset_id: sorted(episodes, key=lambda i: (episodes[i], i)) for asset_id, episodes in found.items()}
