"""Changes to many tasks at once: priority, main previews from the tasks' last previews, and task
creation for a production's edits, concepts or entities of one type."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import CLIENT, VENDOR, RequestContext
from foxtrack.core.errors import BadRequest, Forbidden, NotFound, validation_error
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import ENTITY, MODELS, TASK
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.entities import types
from foxtrack.tasks import queries as q
from foxtrack.tasks.service import _check_task_types, _create_tasks

Row = dict[str, Any]
PREVIEW = MODELS["preview-files"]


def _task_ids(body: Row) -> list[str]:
    ids = body.get("task_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise validation_error({"task_ids": "Tasks list required."}, "Validation error.")
    return list(dict.fromkeys(ids))


def set_priority(ctx: RequestContext, body: Row) -> list[Row]:
    """Set ``priority`` on the tasks the caller supervises; the others are left out of the answer."""
    ids = _task_ids(body)
    priority = body.get("priority")
    if not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 2**31 - 1:
        raise validation_error({"priority": "Priority to set."}, "Validation error.")
    out = []
    with ctx.write() as tx:
        for task_id in ids:
            task = TASK.get(tx.conn, task_id) if is_uuid(task_id) else None
            if task is None:
                continue
            try:
                perm.check_supervisor_project_access(ctx, tx.conn, task["project_id"])
            except (Forbidden, NotFound):
                continue
            crud.update_row(tx, TASK, task_id, {"priority": priority})
            tx.emit("task:update", {"task_id": task_id}, project_id=task["project_id"])
            out.append(q.load(tx.conn, TASK, task_id))
    return out


def set_main_previews(ctx: RequestContext, body: Row) -> list[Row]:
    """Make each task's last preview the thumbnail of its entity; answers the entities changed."""
    ids = _task_ids(body)
    pf = s.preview_file.c
    out = []
    with ctx.write() as tx:
        for task_id in ids:
            if not is_uuid(task_id):
                raise BadRequest("Malformed ID.")
            task = q.load_task(tx.conn, task_id)
            perm.check_project_access(ctx, tx.conn, task["project_id"])
            if ctx.role == CLIENT:
                raise Forbidden()
            last = tx.execute(sa.select(pf.id, pf.status).where(pf.task_id == task_id)
                              .order_by(pf.revision.desc(), pf.created_at.desc()).limit(1)).first()
            if last is None:
                continue
            crud.update_row(tx, ENTITY, task["entity_id"], {"preview_file_id": last.id})
            tx.emit("preview-file:set-main", {"entity_id": task["entity_id"], "preview_file_id": last.id,
                                              "preview_file_status": last.status}, project_id=task["project_id"])
            out.append(q.load(tx.conn, ENTITY, task["entity_id"]))
    return out


def create_tasks(ctx: RequestContext, project_id: str, task_type_id: str, kind: str, entity_ids: Any,
                 episode_id: str | None = None) -> list[Row]:
    """One ``main`` task of the type for each entity of ``kind`` (``Edit``, ``Concept`` or an entity
    type's name) in the production, or for the ``entity_ids`` given."""
    with ctx.write() as tx:
        q.load(tx.conn, q.PROJECT, project_id)
        if kind == "Concept":  # artists create concept tasks; vendors and clients do not
            perm.check_project_access(ctx, tx.conn, project_id)
            if ctx.role in (VENDOR, CLIENT):
                raise Forbidden()
        else:
            perm.check_manager_project_access(ctx, tx.conn, project_id)
        task_types = _check_task_types(tx.conn, [task_type_id])
        et = s.entity_type.c
        type_id = tx.execute(sa.select(et.id).where(sa.func.lower(et.name) == kind.lower())).scalar()
        if type_id is None:
            raise NotFound()
        e = s.entity.c
        clauses: list[sa.ColumnElement[bool]] = [e.project_id == project_id, e.entity_type_id == type_id,
                                                 e.canceled.isnot(True)]
        if isinstance(entity_ids, list) and entity_ids:
            if not all(is_uuid(i) for i in entity_ids):
                raise BadRequest("Malformed ID.")
            clauses.append(e.id.in_(entity_ids))
        elif episode_id and is_uuid(episode_id) and kind not in ("Concept", "Edit"):
            shot_like = types.name_of(ctx.state, tx.conn, type_id) == "Shot"
            clauses.append(e.parent_id.in_(sa.select(e.id).where(e.parent_id == episode_id)) if shot_like
                           else e.source_id == episode_id)
        entities = ENTITY.to_dicts(tx.execute(ENTITY.select().where(*clauses).order_by(e.name)))
        status = q.default_task_status(tx.conn)
        t = s.task
        existing = sa.select(t.c.entity_id, t.c.task_type_id).where(
            t.c.project_id == project_id, t.c.task_type_id == task_type_id, t.c.name == "main")
        made = _create_tasks(ctx, tx, [(entity, task_type_id) for entity in entities], next(iter(status), None),
                             existing)
        return q.with_type_and_status(tx.conn, made, task_types, status)
