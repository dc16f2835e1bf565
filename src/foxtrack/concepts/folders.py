"""Concept folders of a production: listed by its members, made, renamed and removed by its
managers and supervisors; a concept sits in a folder through its ``parent_id``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import BadRequest, MalformedId, NotFound, validation_error
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import PROJECT, Model
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.entities import types

Row = dict[str, Any]
FOLDER = Model("concept-folders", s.concept_folder, "ConceptFolder")
_F = s.concept_folder.c


def _project(conn: Connection, project_id: str) -> Row:
    if not is_uuid(project_id):
        raise MalformedId()
    return crud.load(conn, PROJECT, project_id)


def _name(body: Row) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise validation_error({"name": "Field required"}, "Validation error.")
    return name.strip()


def _folder(conn: Connection, folder_id: str) -> Row:
    row = FOLDER.get(conn, folder_id) if is_uuid(folder_id) else None
    if row is None:
        raise NotFound()
    return row


def list_folders(ctx: RequestContext, project_id: str) -> list[Row]:
    with ctx.read() as conn:
        _project(conn, project_id)
        perm.check_project_access(ctx, conn, project_id)
        return FOLDER.to_dicts(conn.execute(FOLDER.select().where(_F.project_id == project_id).order_by(_F.name)))


def create_folder(ctx: RequestContext, project_id: str, body: Row) -> Row:
    """A new folder, or the folder of that name the production already has."""
    name = _name(body)
    with ctx.write() as tx:
        _project(tx.conn, project_id)
        perm.check_supervisor_project_access(ctx, tx.conn, project_id)
        known = tx.execute(FOLDER.select().where(_F.project_id == project_id, _F.name == name)).first()
        if known is not None:
            return FOLDER.to_dict(known)
        row = crud.insert(tx, FOLDER, {"name": name, "project_id": project_id, "created_by": ctx.person_id})
        tx.emit("concept-folder:new", {"concept_folder_id": row["id"]}, project_id=project_id)
        return row


def rename_folder(ctx: RequestContext, folder_id: str, body: Row) -> Row:
    name = _name(body)
    with ctx.write() as tx:
        folder = _folder(tx.conn, folder_id)
        perm.check_supervisor_project_access(ctx, tx.conn, folder["project_id"])
        taken = tx.execute(sa.select(_F.id).where(_F.project_id == folder["project_id"], _F.name == name,
                                                  _F.id != folder_id)).first()
        if taken is not None:
            raise BadRequest("Another folder of the project already carries this name.")
        crud.update_row(tx, FOLDER, folder_id, {"name": name})
        tx.emit("concept-folder:update", {"concept_folder_id": folder_id}, project_id=folder["project_id"])
        return crud.load(tx.conn, FOLDER, folder_id)


def delete_folder(ctx: RequestContext, folder_id: str) -> None:
    """Remove the folder; its concepts go back to the root of the production."""
    with ctx.write() as tx:
        folder = _folder(tx.conn, folder_id)
        perm.check_supervisor_project_access(ctx, tx.conn, folder["project_id"])
        tx.update(s.entity, {"parent_id": None}, s.entity.c.parent_id == folder_id)
        tx.delete(s.concept_folder, _F.id == folder_id)
        tx.emit("concept-folder:delete", {"concept_folder_id": folder_id}, project_id=folder["project_id"])


def move_concepts(ctx: RequestContext, project_id: str, body: Row) -> list[str]:
    """Put the concepts listed in a folder (none: back to the root); ids that are not concepts of
    the production are skipped. Answers the ids moved."""
    ids = body.get("concept_ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise validation_error({"concept_ids": "Field required"}, "Validation error.")
    folder_id = body.get("concept_folder_id")
    if folder_id is not None and not isinstance(folder_id, str):
        raise validation_error({"concept_folder_id": "Input should be a valid string"}, "Validation error.")
    concept_type = types.type_id(ctx.state, types.CONCEPT)
    e = s.entity.c
    with ctx.write() as tx:
        _project(tx.conn, project_id)
        perm.check_supervisor_project_access(ctx, tx.conn, project_id)
        if folder_id:
            if _folder(tx.conn, folder_id)["project_id"] != project_id:
                raise NotFound()
        wanted = [i for i in dict.fromkeys(ids) if is_uuid(i)]
        moved = list(tx.execute(sa.select(e.id).where(e.id.in_(wanted), e.project_id == project_id,
                                                      e.entity_type_id == concept_type)).scalars()) if wanted else []
        if moved:
            tx.update(s.entity, {"parent_id": folder_id or None}, e.id.in_(moved))
        for concept_id in moved:
            tx.emit("concept:update", {"concept_id": concept_id}, project_id=project_id)
        return [i for i in wanted if i in set(moved)]
