"""Who may act on what: one table of route rules, consulted for every authenticated request.

Each rule names, for a (method, route) of Zou's API, the relations that let the caller through
(any one suffices); a request that matches no rule is left to the feature's own checks and the
generic CRUD's per-model policies (``crud.policy``). Relations are resolved from the route's ids:

- ``admin``: the studio's admins.
- ``manager``: a manager of the team of the object's project (no project: any manager).
- ``supervisor``: a supervisor (or manager) of the team of the object's project.
- ``member``: anyone on the team; ``staff``: team members but clients and vendors;
  ``not-client`` / ``not-vendor``: team members but that role.
- ``vendor-assigned``: a team member who, if a vendor, is assigned to a task of the object.
- ``self``: the person of the route is the caller; ``person-manager``: a manager who shares a team
  with that person.
- ``in-a-team`` / ``manager-in-a-team``: callers on at least one team (lists across projects).

Rules starting with ``!self`` refuse the caller acting on itself whatever its role (nobody deletes
itself). Ids that resolve to nothing are left to the route, which answers its own 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core.context import ADMIN, CLIENT, MANAGER, SUPERVISOR, VENDOR, RequestContext
from foxtrack.core.errors import Forbidden
from foxtrack.db import schema as s

__all__ = ["RULES", "enforce", "rule_for"]

TEAM_WIDE = ("admin", "manager")
ENTITY_PARAMS = ("entity_id", "asset_id", "shot_id", "sequence_id", "episode_id", "scene_id", "edit_id", "concept_id")

RULES: dict[str, tuple[str, ...]] = {
    # admins only
    "GET data/projects/{project_id}/attachment-files": ("admin",),
    "GET data/tasks/{task_id}/attachment-files": ("admin",),
    "GET data/projects/{project_id}/build-jobs": ("admin",),
    "GET data/projects/{project_id}/notifications": ("admin",),
    "GET data/projects/{project_id}/subscriptions": ("admin",),
    "GET data/projects/{project_id}/preview-files": ("admin",),
    "GET data/scenes/all": ("admin",),
    "GET data/playlists/preview-files/running": ("admin",),
    "DELETE data/tasks/{task_id}/comments/{comment_id}/reply/{reply_id}": ("admin",),
    "DELETE actions/projects/{project_id}/task-types/{task_type_id}/delete-tasks": ("admin",),
    "DELETE actions/persons/{person_id}/clear-avatar": ("admin",),
    "DELETE data/persons/{person_id}": ("!self", "admin"),
    # project templates: managers read them, admins change them
    "POST data/project-templates": ("admin",),
    "POST data/project-templates/from-project/{project_id}": ("admin",),
    "POST data/project-templates/{template_id}/{kind}": ("admin",),
    "PUT data/project-templates/{template_id}": ("admin",),
    "PUT data/project-templates/{template_id}/{kind}": ("admin",),
    "DELETE data/project-templates/{template_id}": ("admin",),
    "DELETE data/project-templates/{template_id}/{kind}/{item_id}": ("admin",),
    "POST data/projects/{project_id}/apply-template/{template_id}": ("admin",),
    # the team's managers
    "GET actions/preview-files/{preview_id}/extract-frame": TEAM_WIDE,
    "DELETE data/preview-files/{preview_id}": TEAM_WIDE,
    "GET data/projects/{project_id}/entity-links": TEAM_WIDE,
    "GET data/projects/{project_id}/output-files": TEAM_WIDE,
    "GET data/projects/{project_id}/settings/status-automations": TEAM_WIDE,
    "GET data/playlists/{playlist_id}/build/mp4": TEAM_WIDE,
    "GET data/playlists/{playlist_id}/jobs/{job_id}": TEAM_WIDE,
    "DELETE data/playlists/{playlist_id}/jobs/{job_id}": TEAM_WIDE,
    "GET data/playlists/{playlist_id}/share": TEAM_WIDE,
    "POST data/playlists/{playlist_id}/share": TEAM_WIDE,
    "DELETE data/playlists/{playlist_id}/share/{token}": TEAM_WIDE,
    "POST data/playlists/{playlist_id}/notify-clients": TEAM_WIDE,
    "POST actions/playlists/{playlist_id}/add-entity": TEAM_WIDE,
    "POST actions/tasks/{task_id}/comments/{comment_id}/add-attachment": TEAM_WIDE,
    "PUT data/projects/{project_id}/entities/{entity_id}/casting": TEAM_WIDE,
    "PUT data/projects/{project_id}/entities/casting/assets/{asset_id}": TEAM_WIDE,
    "GET data/day-offs/{day_off_id}": ("admin", "person-manager"),
    "GET data/persons/{person_id}/day-offs": ("admin", "self", "person-manager"),
    "GET data/persons/{person_id}/day-offs/{rest:path}": ("admin", "self", "person-manager"),
    "GET data/events/last": ("admin", "manager-in-a-team"),
    "GET data/persons/{person_id}/time-spents/month/all/{year}/{month}": ("admin", "self"),
    # supervisors and up
    "GET data/playlists/{playlist_id}/download/zip": ("admin", "manager", "supervisor"),
    "GET data/projects/{project_id}/quotas/persons/{person_id}": ("admin", "manager", "supervisor", "self-quota"),
    "PUT data/comments/{comment_id}": TEAM_WIDE,
    "DELETE actions/tasks/{task_id}/comments/{comment_id}/preview-files/{preview_id}": TEAM_WIDE,
    "PUT actions/persons/{person_id}/assign": TEAM_WIDE,
    "POST actions/projects/{project_id}/tasks/comment-many": ("not-client",),
    "GET data/persons/{person_id}/related-tasks/{task_type_id}": ("admin", "self", "co-member-not-vendor"),
    # breakdown edits (Zou checks only team access: managers here)
    "DELETE data/sequences/{sequence_id}": TEAM_WIDE,
    "POST data/scenes/{scene_id}/shots": TEAM_WIDE,
    "DELETE data/scenes/{scene_id}/shots/{shot_id}": TEAM_WIDE,
    "POST data/shots/{shot_id}/asset-instances": TEAM_WIDE,
    "DELETE data/shots/{shot_id}/asset-instances/{instance_id}": TEAM_WIDE,
    "POST data/scenes/{scene_id}/asset-instances": TEAM_WIDE,
    "POST data/assets/{asset_id}/asset-asset-instances": TEAM_WIDE,
    "POST data/entities/{entity_id}/tasks": ("admin", "manager", "supervisor"),
    # previews: a review role (client) does not publish
    "POST actions/tasks/{task_id}/comments/{comment_id}/add-preview": ("not-client",),
    "POST actions/tasks/{task_id}/comments/{comment_id}/preview-files/{preview_id}": ("not-client",),
    "POST pictures/preview-files/{preview_id}": ("not-client",),
    "PUT actions/preview-files/{preview_id}/update-position": ("not-client",),
    "PUT data/preview-files/{preview_id}": ("not-client",),
    # the team, but some roles
    "GET data/projects/{project_id}/quotas/{task_type_id}": ("staff",),
    "GET data/projects/{project_id}/milestones": ("not-client",),
    "GET data/projects/{project_id}/metadata-descriptors/{descriptor_id}": ("not-client",),
    "PUT actions/preview-files/{preview_id}/set-main-preview": ("staff",),
    "PUT actions/preview-files/{preview_id}/update-annotations": ("admin", "supervisor", "client"),
    "GET data/comments/{comment_id}": ("not-client",),
    "GET data/attachment-files/{attachment_id}": ("member",),
    "GET data/playlists": ("admin", "not-vendor-anywhere"),
    "GET data/playlists/{playlist_id}": ("staff",),
    "GET data/projects/{project_id}/playlists": ("not-vendor",),
    "GET data/projects/{project_id}/episodes/{episode_id}/playlists": ("not-vendor",),
    # concepts: not for clients and vendors
    "GET data/concepts": ("admin", "staff-anywhere"),
    "GET data/concepts/{concept_id}": ("staff",),
    "GET data/concepts/{concept_id}/{rest:path}": ("staff",),
    "GET data/projects/{project_id}/concepts": ("staff",),
    # vendors see the entities they have tasks on
    "GET data/assets/{asset_id}": ("vendor-assigned",),
    "GET data/assets/{asset_id}/cast-in": ("vendor-assigned",),
    "GET data/assets/{asset_id}/task-types": ("vendor-assigned",),
    "GET data/assets/{asset_id}/tasks": ("vendor-assigned",),
    "GET data/episodes/{episode_id}": ("vendor-assigned",),
    "GET data/episodes/{episode_id}/asset-tasks": ("vendor-assigned",),
    "GET data/episodes/{episode_id}/shot-tasks": ("vendor-assigned",),
    "GET data/episodes/{episode_id}/shots": ("vendor-assigned",),
    "GET data/episodes/{episode_id}/task-types": ("vendor-assigned",),
    "GET data/episodes/{episode_id}/tasks": ("vendor-assigned",),
    "GET data/sequences/{sequence_id}": ("vendor-assigned",),
    "GET data/sequences/{sequence_id}/scenes": ("vendor-assigned",),
    "GET data/sequences/{sequence_id}/shot-tasks": ("vendor-assigned",),
    "GET data/sequences/{sequence_id}/task-types": ("vendor-assigned",),
    "GET data/sequences/{sequence_id}/tasks": ("vendor-assigned",),
    "GET data/scenes/{scene_id}": ("vendor-assigned",),
    "GET data/scenes/{scene_id}/{rest:path}": ("vendor-assigned",),
    "GET data/edits/{edit_id}": ("vendor-assigned",),
    "GET data/edits/{edit_id}/{rest:path}": ("vendor-assigned",),
    "GET data/projects/{project_id}/entities/{entity_id}/casting": ("not-vendor",),
    "GET data/projects/{project_id}/asset-types/{asset_type_id}/casting": ("not-vendor",),
    "GET data/projects/{project_id}/episodes/casting": ("not-vendor",),
    "GET data/projects/{project_id}/episodes/{episode_id}/sequences/all/casting": ("not-vendor",),
    "GET data/projects/{project_id}/sequences/all/casting": ("not-vendor",),
    "GET data/projects/{project_id}/sequences/{sequence_id}/casting": ("not-vendor",),
    # lists across projects: callers on a team
    "GET data/assets/all": ("admin", "in-a-team"),
    "GET data/shots/all": ("admin", "in-a-team"),
    "GET data/edits/all": ("admin", "in-a-team"),
    "GET data/episodes": ("admin", "in-a-team"),
    "GET data/sequences": ("admin", "in-a-team"),
}


@dataclass
class Rule:
    method: str
    pattern: re.Pattern[str]
    relations: tuple[str, ...]
    specificity: int = field(default=0)


def _compile(key: str, relations: tuple[str, ...]) -> Rule:
    method, route = key.split(" ", 1)
    parts = []
    for segment in route.split("/"):
        found = re.fullmatch(r"\{(\w+)(:path)?\}", segment)
        if found is None:
            parts.append(re.escape(segment))
        else:
            parts.append(f"(?P<{found.group(1)}>.+)" if found.group(2) else f"(?P<{found.group(1)}>[^/]+)")
    literal = sum(1 for segment in route.split("/") if "{" not in segment)
    return Rule(method, re.compile("/".join(parts)), relations, literal)


_COMPILED = sorted((_compile(k, v) for k, v in RULES.items()), key=lambda r: -r.specificity)


def rule_for(method: str, path: str) -> tuple[tuple[str, ...], dict[str, str]] | None:
    """The relations allowed on ``path`` (without ``/api``) and its ids, or None when no rule applies."""
    path = path.strip("/")
    if path.startswith("api/"):
        path = path[4:]
    for rule in _COMPILED:
        if rule.method == method:
            found = rule.pattern.fullmatch(path)
            if found is not None:
                return rule.relations, found.groupdict()
    return None


@dataclass
class Target:
    project_id: str | None = None
    entity_id: str | None = None
    task_id: str | None = None
    person_id: str | None = None
    missing: bool = False


def _scalar(conn: Connection, column: sa.ColumnElement[str], key: sa.ColumnElement[str], value: str) -> str | None:
    found = conn.execute(sa.select(column).where(key == value)).scalar()
    return None if found is None else str(found)


def _resolve(conn: Connection, ids: dict[str, str]) -> Target:
    t = Target(person_id=ids.get("person_id"))
    if "project_id" in ids:
        t.project_id = ids["project_id"]
    for name in ENTITY_PARAMS:
        if name in ids and t.entity_id is None:
            t.entity_id = ids[name]
            t.project_id = t.project_id or _scalar(conn, s.entity.c.project_id, s.entity.c.id, ids[name])
    if "task_id" in ids:
        t.task_id = ids["task_id"]
    if "preview_id" in ids:
        t.task_id = _scalar(conn, s.preview_file.c.task_id, s.preview_file.c.id, ids["preview_id"])
    if "comment_id" in ids and t.task_id is None:
        t.task_id = _scalar(conn, s.comment.c.object_id, s.comment.c.id, ids["comment_id"])
    if "attachment_id" in ids:
        comment = _scalar(conn, s.attachment_file.c.comment_id, s.attachment_file.c.id, ids["attachment_id"])
        t.task_id = comment and _scalar(conn, s.comment.c.object_id, s.comment.c.id, comment)
    if "playlist_id" in ids:
        t.project_id = _scalar(conn, s.playlist.c.project_id, s.playlist.c.id, ids["playlist_id"])
    if "day_off_id" in ids:
        t.person_id = _scalar(conn, s.day_off.c.person_id, s.day_off.c.id, ids["day_off_id"])
    if t.task_id is not None and t.project_id is None:
        t.project_id = _scalar(conn, s.task.c.project_id, s.task.c.id, t.task_id)
        t.entity_id = t.entity_id or _scalar(conn, s.task.c.entity_id, s.task.c.id, t.task_id)
    needs_project = any(k in ids for k in ("project_id", "playlist_id", "task_id", "preview_id", "comment_id",
                                           "attachment_id", *ENTITY_PARAMS))
    t.missing = (needs_project and t.project_id is None) or ("day_off_id" in ids and t.person_id is None)
    return t


def _teams(ctx: RequestContext, conn: Connection) -> list[tuple[str, str]]:
    link = s.project_person_link
    rows = conn.execute(sa.select(link.c.project_id, link.c.role).where(link.c.person_id == ctx.person_id))
    return [(str(p), str(r or ctx.role)) for p, r in rows]


def _assigned_on(ctx: RequestContext, conn: Connection, t: Target) -> bool:
    tpl, task = s.task_person_link, s.task
    where = [tpl.c.person_id == ctx.person_id]
    if t.task_id is not None:
        where.append(tpl.c.task_id == t.task_id)
    elif t.entity_id is not None:
        where.append(tpl.c.task_id.in_(sa.select(task.c.id).where(task.c.entity_id == t.entity_id)))
    else:
        return False
    return conn.execute(sa.select(sa.literal(1)).where(*where)).first() is not None


def _holds(ctx: RequestContext, conn: Connection, relation: str, t: Target) -> bool:
    if relation == "admin":
        return ctx.is_admin
    if relation == "self":
        return t.person_id == ctx.person_id
    if relation in ("in-a-team", "manager-in-a-team", "not-vendor-anywhere", "staff-anywhere"):
        teams = _teams(ctx, conn)
        if relation == "manager-in-a-team":
            return ctx.role == MANAGER and bool(teams)
        if relation == "not-vendor-anywhere":
            return ctx.role != VENDOR
        if relation == "staff-anywhere":
            return ctx.role not in (VENDOR, CLIENT) and bool(teams)
        return bool(teams)
    if relation == "self-quota":  # Zou: artists and vendors read their own quotas; managers on the team
        if t.person_id != ctx.person_id or ctx.role == CLIENT:
            return False
        return ctx.role != MANAGER or (t.project_id is not None and ctx.project_role(conn, t.project_id) is not None)
    if relation == "co-member-not-vendor":
        if ctx.role == VENDOR or t.person_id is None:
            return False
        link = s.project_person_link
        mine = sa.select(link.c.project_id).where(link.c.person_id == ctx.person_id)
        shared = sa.select(sa.literal(1)).where(link.c.person_id == t.person_id, link.c.project_id.in_(mine))
        return conn.execute(shared).first() is not None
    if relation == "person-manager":
        if ctx.role != MANAGER or t.person_id is None:
            return False
        link = s.project_person_link
        mine = sa.select(link.c.project_id).where(link.c.person_id == ctx.person_id)
        shared = sa.select(sa.literal(1)).where(link.c.person_id == t.person_id, link.c.project_id.in_(mine))
        return conn.execute(shared).first() is not None
    if t.project_id is None:
        return relation == "manager" and ctx.role == MANAGER
    role = ctx.project_role(conn, t.project_id)
    if role is None:
        return False
    if role == ADMIN:
        return True
    if relation == "manager":
        return role == MANAGER
    if relation == "supervisor":
        return role in (MANAGER, SUPERVISOR)
    if relation == "member":
        return True
    if relation == "staff":
        return role not in (VENDOR, CLIENT)
    if relation == "not-client":
        return role != CLIENT
    if relation == "not-vendor":
        return role != VENDOR
    if relation == "client":
        return role == CLIENT
    if relation == "vendor-assigned":
        return role != VENDOR or _assigned_on(ctx, conn, t)
    raise ValueError(f"unknown relation {relation!r}")


def enforce(ctx: RequestContext, method: str, path: str) -> None:
    """Refuse (403) when a rule covers the request and none of its relations holds for the caller."""
    found = rule_for(method, path)
    if found is None:
        return
    relations, ids = found
    with ctx.read() as conn:
        target = _resolve(conn, ids)
        if target.missing:
            return  # the route answers its own 404
        if relations[0] == "!self":
            if target.person_id == ctx.person_id:
                raise Forbidden()
            relations = relations[1:]
        if not any(_holds(ctx, conn, relation, target) for relation in relations):
            raise Forbidden()
