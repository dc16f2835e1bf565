"""Per production settings that refine studio-wide ones: the softwares its artists use for each task
type, and whether its clients may set a task status (a production's override of the status's own
``is_client_allowed``; null falls back to it). Each change is a ``project:update``, as for the other
settings links."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import Forbidden, NotFound, validation_error, wrong_parameter
from foxtrack.core.jsonutil import is_uuid
from foxtrack.db import schema as s
from foxtrack.projects import links
from foxtrack.projects.service import check_id, load_project

Row = dict[str, Any]
LINK = s.project_task_type_software_link
TASK_STATUS_NOT_FOUND = "Task status not found"


def _shape(project_id: str, task_type_id: str, software_id: str) -> Row:
    return {"project_id": project_id, "task_type_id": task_type_id, "software_id": software_id}


def software_links(ctx: RequestContext, project_id: str) -> list[Row]:
    """Every (task type, software) pair of the production, ordered by task type then software."""
    check_id(project_id)
    with ctx.read() as conn:
        load_project(conn, project_id)
        perm.check_project_access(ctx, conn, project_id)
        # joined so a link whose task type or software is gone never shows (SQLite keeps such rows)
        rows = conn.execute(
            sa.select(LINK.c.task_type_id, LINK.c.software_id)
            .join(s.task_type, s.task_type.c.id == LINK.c.task_type_id)
            .join(s.software, s.software.c.id == LINK.c.software_id)
            .where(LINK.c.project_id == project_id)
            .order_by(LINK.c.task_type_id, LINK.c.software_id)
        )
        return [_shape(project_id, task_type_id, software_id) for task_type_id, software_id in rows]


def _check_supervisor_task_type(ctx: RequestContext, conn: Connection, project_id: str, task_type_id: str) -> None:
    """Admins, the production's managers, and its supervisors of the task type's department (or of
    no department)."""
    if ctx.is_admin:
        return
    role = perm.check_project_access(ctx, conn, project_id)
    if role == perm.MANAGER:
        return
    if role == perm.SUPERVISOR:
        dl = s.department_link
        departments = set(conn.execute(sa.select(dl.c.department_id).where(dl.c.person_id == ctx.person_id))
                          .scalars())
        department = conn.execute(sa.select(s.task_type.c.department_id)
                                  .where(s.task_type.c.id == task_type_id)).scalar()
        if not departments or department in departments:
            return
    raise Forbidden()


def _check_ids(task_type_id: str, software_id: Any) -> None:
    if not is_uuid(task_type_id) or not isinstance(software_id, str) or not is_uuid(software_id):
        raise wrong_parameter("task_type_id and software_id must be valid UUIDs.")


def add_software(ctx: RequestContext, project_id: str, task_type_id: str, body: Row) -> Row:
    """Link a software (not archived) to one of the production's task types; an existing link is
    answered as it is."""
    software_id = body.get("software_id")
    if software_id in (None, ""):
        raise validation_error({"software_id": "Field required"}, "Validation error.")
    check_id(project_id)
    _check_ids(task_type_id, software_id)
    with ctx.write() as tx:
        load_project(tx.conn, project_id)
        _check_supervisor_task_type(ctx, tx.conn, project_id, task_type_id)
        tt = s.project_task_type_link
        if tx.execute(sa.select(tt.c.task_type_id).where(tt.c.project_id == project_id,
                                                          tt.c.task_type_id == task_type_id)).first() is None:
            raise wrong_parameter("The task type is not a task type of the project.")
        archived = tx.execute(sa.select(s.software.c.archived).where(s.software.c.id == software_id)).first()
        if archived is None:
            raise NotFound("Software not found")
        if archived[0]:
            raise wrong_parameter("The software is archived.")
        where = (LINK.c.project_id == project_id, LINK.c.task_type_id == task_type_id,
                 LINK.c.software_id == software_id)
        if tx.execute(sa.select(LINK.c.project_id).where(*where)).first() is None:
            tx.insert(LINK, {"project_id": project_id, "task_type_id": task_type_id, "software_id": software_id})
            tx.emit("project:update", {"project_id": project_id}, project_id=project_id)
        return _shape(project_id, task_type_id, str(software_id))


def remove_software(ctx: RequestContext, project_id: str, task_type_id: str, software_id: str) -> None:
    """Unlink a software from a task type of the production (nothing to do when it is not linked)."""
    check_id(project_id)
    _check_ids(task_type_id, software_id)
    with ctx.write() as tx:
        load_project(tx.conn, project_id)
        _check_supervisor_task_type(ctx, tx.conn, project_id, task_type_id)
        if tx.delete(LINK, LINK.c.project_id == project_id, LINK.c.task_type_id == task_type_id,
                     LINK.c.software_id == software_id):
            tx.emit("project:update", {"project_id": project_id}, project_id=project_id)


def set_client_allowed(ctx: RequestContext, project_id: str, task_status_id: str, body: Any) -> Row:
    """``{"is_client_allowed": true | false | null}`` on a status linked to the production: whether
    its clients may set it there (null: the status's own value). The link is answered."""
    if not isinstance(body, dict) or "is_client_allowed" not in body:
        raise validation_error({"is_client_allowed": "Field required"}, "Validation error.")
    value = body["is_client_allowed"]
    if value is not None and not isinstance(value, bool):
        raise validation_error({"is_client_allowed": "Input should be a valid boolean"}, "Validation error.")
    check_id(project_id)
    kind = links.TASK_STATUS
    with ctx.write() as tx:
        load_project(tx.conn, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        if not is_uuid(task_status_id) or links._read(tx, kind, project_id, task_status_id) is None:
            raise NotFound(TASK_STATUS_NOT_FOUND)
        t = kind.table
        tx.update(t, {"is_client_allowed": value}, t.c.project_id == project_id, t.c.task_status_id == task_status_id)
        links._settings_changed(tx, project_id)
        row = links._read(tx, kind, project_id, task_status_id)
        assert row is not None
        return links._shape(kind, row)


def client_allowed(conn: Connection, project_id: str, task_status: Row) -> bool:
    """Whether the clients of a production may set a status: its override, else the studio's value."""
    link = s.project_task_status_link
    override = conn.execute(sa.select(link.c.is_client_allowed).where(
        link.c.project_id == project_id, link.c.task_status_id == task_status["id"])).scalar()
    return bool(task_status.get("is_client_allowed")) if override is None else bool(override)
