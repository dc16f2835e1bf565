"""``POST /import/shotgun/remove/<kind>``: drop the row ShotGrid deleted, found by its ShotGrid id.

As in Zou, a row that others still refer to stays (``success: false``: a task type still used by
tasks, a shot that still has tasks...); an asset whose tasks hold working files is canceled
instead of removed; a task goes with its comments, previews and time spent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import BadRequest
from foxtrack.db import schema as s
from foxtrack.entities import removal, types

Row = dict[str, Any]

# URL segment -> kind
ROUTES = {
    "project": "project", "person": "person", "shot": "Shot", "scene": "Scene", "episode": "Episode",
    "sequence": "Sequence", "asset": "asset", "project-connection": "project-connection",
    "projectconnection": "project-connection", "step": "step", "status": "status", "task": "task",
    "note": "note", "version": "version",
}


def _used(tx: Tx, *checks: tuple[sa.Table, Any]) -> bool:
    return any(tx.execute(sa.select(sa.literal(1)).select_from(table).where(where).limit(1)).first() is not None
               for table, where in checks)


def _remove_project(tx: Tx, project_id: str) -> bool:
    if _used(tx, (s.entity, s.entity.c.project_id == project_id), (s.task, s.task.c.project_id == project_id),
             (s.playlist, s.playlist.c.project_id == project_id)):
        return False
    from foxtrack.projects.service import cascade_delete

    cascade_delete(tx, project_id)
    tx.emit("project:delete", {"project_id": project_id}, project_id=project_id)
    return True


def _remove_person(tx: Tx, person_id: str) -> bool:
    c = s.comment.c
    if _used(tx, (s.comment, c.person_id == person_id), (s.time_spent, s.time_spent.c.person_id == person_id),
             (s.task_person_link, s.task_person_link.c.person_id == person_id),
             (s.preview_file, s.preview_file.c.person_id == person_id)):
        return False
    for link in (s.department_link, s.project_person_link, s.chat_participant, s.comment_mentions,
                 s.comment_acknoledgments):
        tx.delete(link, link.c.person_id == person_id)
    for table in (s.notification, s.subscription, s.search_filter, s.search_filter_group, s.day_off, s.login_log,
                  s.desktop_login_log, s.auth_session, s.auth_challenge):
        tx.delete(table, table.c.person_id == person_id)
    tx.delete(s.person, s.person.c.id == person_id)
    tx.emit("person:delete", {"person_id": person_id})
    return True


def _remove_entity(kind: str) -> Callable[[Tx, str], bool]:
    def remove(tx: Tx, entity_id: str) -> bool:
        e = s.entity.c
        if _used(tx, (s.task, s.task.c.entity_id == entity_id), (s.entity, e.parent_id == entity_id)):
            return False
        project_id = tx.execute(sa.select(e.project_id).where(e.id == entity_id)).scalar()
        for changed in removal.delete_entities(tx, [entity_id]):
            tx.emit("shot:casting-update", {"shot_id": changed}, project_id=project_id)
        name = kind.lower()
        tx.emit(f"{name}:delete", {f"{name}_id": entity_id}, project_id=project_id)
        return True
    return remove


def _remove_asset(tx: Tx, asset_id: str) -> bool:
    e = s.entity.c
    project_id = tx.execute(sa.select(e.project_id).where(e.id == asset_id)).scalar()
    task_ids = removal.task_ids_of(tx, [asset_id])
    if task_ids and _used(tx, (s.working_file, s.working_file.c.task_id.in_(task_ids))):
        tx.update(s.entity, {"canceled": True}, e.id == asset_id)
        tx.emit("asset:update", {"asset_id": asset_id}, project_id=project_id)
        return True
    for task_id in task_ids:
        tx.emit("task:delete", {"task_id": task_id}, project_id=project_id)
    removal.delete_entities(tx, [asset_id])
    tx.emit("asset:delete", {"asset_id": asset_id}, project_id=project_id)
    return True


def _remove_task_type(tx: Tx, task_type_id: str) -> bool:
    if _used(tx, (s.task, s.task.c.task_type_id == task_type_id)):
        return False
    for link in (s.project_task_type_link, s.task_type_asset_type_link):
        tx.delete(link, link.c.task_type_id == task_type_id)
    tx.delete(s.task_type, s.task_type.c.id == task_type_id)
    tx.emit("task-type:delete", {"task_type_id": task_type_id})
    return True


def _remove_task_status(tx: Tx, status_id: str) -> bool:
    if _used(tx, (s.task, s.task.c.task_status_id == status_id), (s.comment, s.comment.c.task_status_id == status_id)):
        return False
    tx.delete(s.project_task_status_link, s.project_task_status_link.c.task_status_id == status_id)
    tx.delete(s.task_status, s.task_status.c.id == status_id)
    tx.emit("task-status:delete", {"task_status_id": status_id})
    return True


def _remove_task(tx: Tx, task_id: str) -> bool:
    t = s.task.c
    row = tx.execute(sa.select(t.project_id, t.entity_id, t.task_type_id).where(t.id == task_id)).one()
    removal.delete_tasks(tx, [task_id])
    tx.emit("task:delete", {"task_id": task_id, "entity_id": row.entity_id, "task_type_id": row.task_type_id},
            project_id=row.project_id)
    return True


def _remove_comment(tx: Tx, comment_id: str) -> bool:
    if _used(tx, (s.comment_preview_link, s.comment_preview_link.c.comment_id == comment_id),
             (s.attachment_file, s.attachment_file.c.comment_id == comment_id)):
        return False
    for link in (s.comment_mentions, s.comment_department_mentions, s.comment_acknoledgments):
        tx.delete(link, link.c.comment_id == comment_id)
    tx.delete(s.notification, s.notification.c.comment_id == comment_id)
    tx.delete(s.comment, s.comment.c.id == comment_id)
    tx.emit("comment:delete", {"comment_id": comment_id})
    return True


def _remove_preview(tx: Tx, preview_id: str) -> bool:
    if _used(tx, (s.comment_preview_link, s.comment_preview_link.c.preview_file_id == preview_id),
             (s.task, s.task.c.last_preview_file_id == preview_id),
             (s.entity, s.entity.c.preview_file_id == preview_id)):
        return False
    tx.delete(s.preview_file, s.preview_file.c.id == preview_id)
    tx.emit("preview-file:delete", {"preview_file_id": preview_id})
    return True


_TABLES: dict[str, tuple[sa.Table, Callable[[Tx, str], bool]]] = {
    "project": (s.project, _remove_project),
    "person": (s.person, _remove_person),
    "asset": (s.entity, _remove_asset),
    "step": (s.task_type, _remove_task_type),
    "status": (s.task_status, _remove_task_status),
    "task": (s.task, _remove_task),
    "note": (s.comment, _remove_comment),
    "version": (s.preview_file, _remove_preview),
    **{kind: (s.entity, _remove_entity(kind)) for kind in ("Shot", "Scene", "Episode", "Sequence")},
}


def remove(ctx: RequestContext, kind: str, body: Any) -> Row:
    """``{"removed_instance_id", "success"}`` when the ShotGrid id names a row, else ``{"success": true}``."""
    perm.require_admin(ctx)
    if not isinstance(body, dict) or "id" not in body:
        raise BadRequest("The ShotGrid id of the entry to remove is expected: {\"id\": <id>}.")
    sg_id = body["id"]
    if not isinstance(sg_id, int) or isinstance(sg_id, bool) or abs(sg_id) > 2**31 - 1:
        return {"success": True}  # no ShotGrid id of that shape is stored
    if kind == "project-connection":  # team links keep no ShotGrid id in foxtrack
        return {"success": True}
    table, remover = _TABLES[kind]
    where = [table.c.shotgun_id == sg_id]
    if table is s.entity:
        type_ids = types.temporal_ids(ctx.state)
        where.append(types.asset_clause(ctx.state, s.entity.c.entity_type_id) if kind == "asset"
                     else s.entity.c.entity_type_id == type_ids[kind])
    with ctx.write() as tx:
        found = tx.execute(sa.select(table.c.id).where(*where).limit(1)).scalar()
        if found is None:
            return {"success": True}
        return {"removed_instance_id": str(found), "success": remover(tx, str(found))}
