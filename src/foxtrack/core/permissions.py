"""The checks services call, each a question to the one policy (``core.policy``) or a role test.

Roles: admin > manager > supervisor > user (artist) > client / vendor. A per-project role on the
team link overrides the global one inside that project (admins stay admins).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import policy
from foxtrack.core.context import (
    ADMIN,
    CLIENT,
    MANAGER,
    SUPERVISOR,
    USER,
    VENDOR,
    RequestContext,
)
from foxtrack.core.errors import Forbidden, NotFound
from foxtrack.db import schema as s

__all__ = [
    "ADMIN",
    "CLIENT",
    "MANAGER",
    "SUPERVISOR",
    "USER",
    "VENDOR",
    "can_read_project",
    "check_manager_project_access",
    "check_project_access",
    "check_self_or_admin",
    "check_supervisor_project_access",
    "check_task_action_access",
    "check_task_creation",
    "check_task_work",
    "check_task_status_access",
    "project_scope",
    "require_admin",
    "require_manager",
    "require_person",
]


def require_admin(ctx: RequestContext) -> None:
    if not ctx.is_admin:
        raise Forbidden()


def require_manager(ctx: RequestContext) -> None:
    if not ctx.is_manager:
        raise Forbidden()


def require_person(ctx: RequestContext) -> None:
    """Routes of the ``user`` area are for real persons, not bots."""
    if ctx.is_bot:
        raise Forbidden()


def check_self_or_admin(ctx: RequestContext, person_id: str) -> None:
    if not ctx.is_admin and ctx.person_id != person_id:
        raise Forbidden()


def check_project_access(ctx: RequestContext, conn: Connection, project_id: str | None) -> str:
    """Admins, or members of the project's team. Returns the effective role."""
    if project_id is None:
        if ctx.is_admin:
            return ADMIN
        raise Forbidden()
    role = ctx.project_role(conn, project_id)
    if role is None:
        raise Forbidden()
    return role


def can_read_project(ctx: RequestContext, conn: Connection, project_id: str) -> bool:
    """Admins, or members of the project's team."""
    return ctx.is_admin or ctx.project_role(conn, project_id) is not None


def check_manager_project_access(ctx: RequestContext, conn: Connection, project_id: str | None) -> None:
    if ctx.is_admin:
        return
    role = check_project_access(ctx, conn, project_id)
    if role not in (ADMIN, MANAGER):
        raise Forbidden()


def check_supervisor_project_access(ctx: RequestContext, conn: Connection, project_id: str | None) -> None:
    if ctx.is_admin:
        return
    role = check_project_access(ctx, conn, project_id)
    if role not in (ADMIN, MANAGER, SUPERVISOR):
        raise Forbidden()


def check_task_action_access(ctx: RequestContext, conn: Connection, task: dict[str, Any]) -> str:
    """Commenting and publishing: admin, project manager or client, supervisor, assignee, or the
    creator of the entity."""
    if ctx.is_admin:
        return ADMIN
    role = check_project_access(ctx, conn, task["project_id"])
    if role in (MANAGER, CLIENT, SUPERVISOR):
        return role
    assigned = conn.execute(
        sa.select(sa.literal(1)).where(
            s.task_person_link.c.task_id == task["id"], s.task_person_link.c.person_id == ctx.person_id
        )
    ).first()
    if assigned is not None:
        return role
    creator = conn.execute(sa.select(s.entity.c.created_by).where(s.entity.c.id == task["entity_id"])).scalar()
    if creator == ctx.person_id:
        return role
    raise Forbidden()


def check_task_creation(ctx: RequestContext, conn: Connection, project_id: str, task_type_ids: list[str]) -> None:
    """Creating (or assigning oneself) tasks of these types: admins, the team's managers, the team's
    supervisors whose departments hold every one of the types (``policy.TASK_CREATORS``)."""
    if ctx.is_admin:
        return
    each: list[tuple[str, ...]] = [(task_type_id,) for task_type_id in task_type_ids]
    for types in each or [()]:
        policy.require(ctx, conn, policy.TASK_CREATORS, policy.Target(project_id=project_id, task_type_ids=types,
                                                                      scoped=True))


def check_task_work(ctx: RequestContext, conn: Connection, project_id: str, task_ids: sa.Select[Any]) -> None:
    """Working on one of ``task_ids`` (files, previews): admins, the team's managers, supervisors of the
    task's department, its assignees (``policy.TASK_ACTORS``; no client: Zou's hole 6). With no task,
    the team's managers."""
    if ctx.is_admin:
        return
    check_project_access(ctx, conn, project_id)
    ids = [str(row[0]) for row in conn.execute(task_ids.limit(50))]
    for task_id in ids:
        target = policy.Target(project_id=project_id, task_id=task_id, scoped=True)
        if policy.allowed(ctx, conn, policy.TASK_ACTORS, policy.complete(conn, target)):
            return
    if not policy.allowed(ctx, conn, policy.TEAM_WIDE, policy.Target(project_id=project_id, scoped=True)):
        raise Forbidden()


def check_task_status_access(role: str, task_status: dict[str, Any]) -> None:
    if role in (USER, VENDOR) and not task_status.get("is_artist_allowed", True):
        raise Forbidden()
    if role == CLIENT and not task_status.get("is_client_allowed", True):
        raise Forbidden()


def project_scope(ctx: RequestContext, column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool] | None:
    """A clause restricting ``column`` (a project id) to the caller's projects; None for admins."""
    if ctx.is_admin:
        return None
    link = s.project_person_link
    return column.in_(sa.select(link.c.project_id).where(link.c.person_id == ctx.person_id))


def get_or_404(conn: Connection, table: sa.Table, id_: str) -> Any:
    row = conn.execute(sa.select(table).where(table.c.id == id_)).first()
    if row is None:
        raise NotFound()
    return row
