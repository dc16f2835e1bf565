"""Who may act on what: foxtrack's one permission policy, as tables.

Every decision names the *relations* that let a caller through (any one suffices), resolved
against a ``Target`` (the object's project, entity, task, task type, owner, person):

- ``admin``: the studio's admins (a shortcut: no database read).
- ``manager``: a manager on the team of the object's project (an object of no project: any manager).
- ``supervisor``: a supervisor (or manager) on the team.
- ``department-supervisor``: a manager on the team, or a supervisor on the team one of whose
  departments holds the task type of the object (Zou's supervisor of the task type's department).
- ``assignee``: a person assigned to the object's task (or to a task of its entity, of its task type).
- ``owner``: the author or person of the object (a comment's author, a time spent's person...);
  ``own-row``: the same, or a row of no person yet (a personal row being created: the caller's).
- ``member``: anyone on the team; ``staff``: members but clients and vendors; ``not-client`` /
  ``not-vendor``: members but that role; ``client``: the team's clients.
- ``vendor-assigned``: a member who, when a vendor, is assigned to a task of the object.
- ``self``: the person of the route is the caller; ``person-manager``: a manager sharing a team with
  that person; ``co-member-not-vendor``: anyone but vendors sharing a team with that person.
- ``in-a-team`` / ``manager-in-a-team`` / ``staff-anywhere`` / ``not-vendor-anywhere``: callers on
  at least one team (lists across projects; their rows are scoped to the caller's teams).
- ``any-manager``: a manager, whatever its teams (studio-wide objects such as templates).
- ``anyone``: any logged-in account.

Three tables use this vocabulary:

- ``ROUTES``: (method, route of Zou's API) -> relations, checked by ``check`` for every
  authenticated request before the handler (a route of no rule is a plain team-access route whose
  service checks the team, or a generic ``/data/<model>`` route).
- ``MODELS``: (model, action) -> relations for the generic CRUD and the operations engine
  (``crud.policy`` reads them; a service of a named action asks ``require``).
- ``HOLES``: where Zou 1.0.97 is too permissive, the rule above that refuses on purpose, and why.

A relation list starting with ``!self`` refuses the caller acting on itself whatever its role
(nobody deletes itself). Ids that resolve to nothing are left to the route, which answers its 404.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core.context import ADMIN, CLIENT, MANAGER, SUPERVISOR, VENDOR, RequestContext
from foxtrack.core.errors import Forbidden
from foxtrack.db import schema as s

__all__ = ["HOLES", "MODELS", "ROUTES", "RULES", "Target", "allowed", "check", "check_rule", "complete", "model_rule",
           "require", "rule_for", "target_of_row"]

Relations = tuple[str, ...]

# ----------------------------------------------------------------------------- named groups

ADMINS: Relations = ("admin",)
TEAM_WIDE: Relations = ("admin", "manager")
SUPERVISORS: Relations = ("admin", "manager", "supervisor")
# who works on a task: Zou's task-action rule without its client clause (hole 6)
TASK_ACTORS: Relations = ("admin", "manager", "department-supervisor", "assignee")
# who creates and edits tasks: managers, and supervisors for their departments' task types (hole 1, 5)
TASK_CREATORS: Relations = ("admin", "manager", "department-supervisor")
MEMBERS: Relations = ("admin", "member")
ANYONE: Relations = ("anyone",)
ENTITY_PARAMS = ("entity_id", "asset_id", "shot_id", "sequence_id", "episode_id", "scene_id", "edit_id", "concept_id")

# ----------------------------------------------------------------------------- route rules

ROUTES: dict[str, Relations] = {
    # admins only
    "GET data/projects/{project_id}/attachment-files": ADMINS,
    "GET data/tasks/{task_id}/attachment-files": ADMINS,
    "GET data/projects/{project_id}/build-jobs": ADMINS,
    "GET data/projects/{project_id}/notifications": ADMINS,
    "GET data/projects/{project_id}/subscriptions": ADMINS,
    "GET data/projects/{project_id}/preview-files": ADMINS,
    "GET data/scenes/all": ADMINS,
    "GET data/playlists/preview-files/running": ADMINS,
    "DELETE data/tasks/{task_id}/comments/{comment_id}/reply/{reply_id}": ADMINS,
    "DELETE actions/projects/{project_id}/task-types/{task_type_id}/delete-tasks": ADMINS,
    "DELETE actions/persons/{person_id}/clear-avatar": ADMINS,
    "DELETE data/persons/{person_id}": ("!self", "admin"),
    # project templates: managers read them, admins change them
    "POST data/project-templates": ADMINS,
    "POST data/project-templates/from-project/{project_id}": ADMINS,
    "POST data/project-templates/{template_id}/{kind}": ADMINS,
    "PUT data/project-templates/{template_id}": ADMINS,
    "PUT data/project-templates/{template_id}/{kind}": ADMINS,
    "DELETE data/project-templates/{template_id}": ADMINS,
    "DELETE data/project-templates/{template_id}/{kind}/{item_id}": ADMINS,
    "POST data/projects/{project_id}/apply-template/{template_id}": ADMINS,
    # the team's managers
    "GET actions/preview-files/{preview_id}/extract-frame": TEAM_WIDE,
    "DELETE data/preview-files/{preview_id}": TEAM_WIDE,
    "GET data/projects/{project_id}/entity-links": TEAM_WIDE,
    "GET data/projects/{project_id}/output-files": TEAM_WIDE,
    "GET data/projects/{project_id}/settings/status-automations": TEAM_WIDE,
    "GET data/playlists/{playlist_id}/build/mp4": TEAM_WIDE,
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
    "PUT data/comments/{comment_id}": TEAM_WIDE,
    "PUT actions/persons/{person_id}/assign": TEAM_WIDE + ("self-assign",),
    # supervisors and up
    "GET data/playlists/{playlist_id}/download/zip": SUPERVISORS,
    "GET data/playlists/{playlist_id}/jobs/{job_id}": TEAM_WIDE,
    "GET data/playlists/{playlist_id}/jobs/{job_id}/build/mp4": SUPERVISORS,
    "GET data/projects/{project_id}/quotas/persons/{person_id}": ("admin", "manager", "supervisor", "self-quota"),
    "POST actions/projects/{project_id}/tasks/comment-many": ("not-client",),
    "GET data/persons/{person_id}/related-tasks/{task_type_id}": ("admin", "self", "co-member-not-vendor"),
    # Zou's breakdown edits (it checks only team access: managers here, hole 4)
    "DELETE data/sequences/{sequence_id}": TEAM_WIDE,
    "POST data/scenes/{scene_id}/shots": TEAM_WIDE,
    "DELETE data/scenes/{scene_id}/shots/{shot_id}": TEAM_WIDE,
    "POST data/shots/{shot_id}/asset-instances": TEAM_WIDE,
    "DELETE data/shots/{shot_id}/asset-instances/{instance_id}": TEAM_WIDE,
    "POST data/scenes/{scene_id}/asset-instances": TEAM_WIDE,
    "POST data/assets/{asset_id}/asset-asset-instances": TEAM_WIDE,
    "PUT data/asset-instances/{asset_instance_id}": TEAM_WIDE,
    # tasks are created by managers and their departments' supervisors (holes 1 and 5)
    "POST data/entities/{entity_id}/tasks": SUPERVISORS,  # then per task type (``check_task_creation``)
    # a task's files and previews: the people working on it (a review role does not publish, hole 6)
    "POST data/tasks/{task_id}/working-files/new": TASK_ACTORS,
    "POST data/working-files/{working_file_id}/file": TASK_ACTORS,
    "PUT actions/working-files/{working_file_id}/comment": TASK_ACTORS,
    "PUT actions/working-files/{working_file_id}/modified": TASK_ACTORS,
    "POST data/entities/{entity_id}/output-files/new": ("not-client",),
    "POST data/asset-instances/{asset_instance_id}/entities/{entity_id}/output-files/new": ("not-client",),
    "POST data/asset-instances/{asset_instance_id}/entities/{temporal_entity_id}/output-file-path":
        ("vendor-assigned",),
    "PUT data/output-files/{output_file_id}": TASK_ACTORS,
    "POST actions/tasks/{task_id}/comments/{comment_id}/add-preview": ("not-client",),
    "POST actions/tasks/{task_id}/comments/{comment_id}/preview-files/{preview_id}": ("not-client",),
    "POST pictures/preview-files/{preview_id}": ("not-client",),
    "PUT actions/preview-files/{preview_id}/update-position": ("not-client",),
    "PUT data/preview-files/{preview_id}": TASK_ACTORS,
    "PUT actions/preview-files/{preview_id}/set-main-preview": TASK_ACTORS,
    "PUT actions/preview-files/{preview_id}/update-annotations": ("admin", "supervisor", "client"),
    # removing a preview from a comment: the team's managers (assignees do not edit others' comments, hole 7)
    "DELETE actions/tasks/{task_id}/comments/{comment_id}/preview-files/{preview_id}": TEAM_WIDE,
    # the team, but some roles
    "GET data/projects/{project_id}/quotas/{task_type_id}": ("not-client",),
    "GET data/projects/{project_id}/milestones": ("not-client",),
    "GET data/projects/{project_id}/metadata-descriptors/{descriptor_id}": ("not-client",),
    "GET data/projects/{project_id}/comments": ("staff",),
    # the team; which comment each role reads is the comments service's (Zou's check_comment_access)
    "GET data/comments/{comment_id}": ("member",),
    "GET data/attachment-files/{attachment_id}": ("member",),
    "GET pictures/thumbnails/projects/{project_id}.png": ("member", "any-manager"),  # Zou: any manager
    "GET data/asset-instances/{asset_instance_id}": ("vendor-assigned",),
    "GET export/csv/projects/{project_id}/assets.csv": ("not-vendor",),
    "GET export/csv/projects/{project_id}/shots.csv": ("not-vendor",),
    "GET export/csv/projects/{project_id}/edits.csv": TEAM_WIDE,
    "GET export/csv/projects/{project_id}/casting.csv": TEAM_WIDE,
    "POST data/projects/{project_id}/concepts": ("staff",),
    "GET data/playlists": ("admin", "not-vendor-anywhere"),
    "GET data/playlists/{playlist_id}": ("staff",),
    "GET data/projects/{project_id}/playlists": ("not-vendor",),
    "GET data/projects/{project_id}/episodes/{episode_id}/playlists": ("not-vendor",),
    "GET data/output-files": ("admin", "not-vendor-anywhere"),
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
    # lists across projects: callers on a team (the rows are the caller's teams')
    "GET data/assets/all": ("admin", "in-a-team"),
    "GET data/shots/all": ("admin", "in-a-team"),
    "GET data/edits/all": ("admin", "in-a-team"),
    "GET data/episodes": ("admin", "in-a-team"),
    "GET data/sequences": ("admin", "in-a-team"),
}
RULES = ROUTES  # the name this table had before the model rules joined it

# ----------------------------------------------------------------------------- model rules

MODELS: dict[tuple[str, str], Relations] = {
    ("tasks", "create"): TASK_CREATORS,
    ("tasks", "update"): TASK_CREATORS,
    ("tasks", "delete"): TEAM_WIDE,
    ("preview-files", "read"): ("anyone",),  # rows scoped to the caller's teams (``crud.policy``)
    ("preview-files", "update"): TASK_ACTORS,
    ("output-files", "read"): ("admin", "not-vendor-anywhere"),  # rows scoped to the caller's teams
    ("output-files", "update"): TASK_ACTORS,
    ("asset-instances", "read_one"): ("admin", "vendor-assigned"),
    ("asset-instances", "update"): TEAM_WIDE,
    ("time-spents", "delete"): ("admin", "manager", "owner"),
    ("playlists", "create"): SUPERVISORS,
    ("comments", "read_one"): ("admin", "member"),
}

# ----------------------------------------------------------------------------- Zou's holes, refused

HOLES: dict[str, str] = {
    "POST data/tasks": "Zou checks nothing: anyone logged in creates tasks. foxtrack: managers of the team, "
                       "and supervisors for a task type of their departments.",
    "POST data/entities/{entity_id}/tasks": "Zou lets artists create tasks (deleting needs a manager). foxtrack: "
                                            "managers, and supervisors for their departments.",
    "DELETE data/sequences/{sequence_id}": "Zou: anyone deletes any sequence. foxtrack: managers of the team.",
    "GET data/persons/{person_id}/related-tasks/{task_type_id}": "Zou shows another project's tasks to anyone. "
                                                                 "foxtrack: the person, or someone sharing a team.",
    "POST data/scenes/{scene_id}/shots": "Zou's breakdown edits check only team access. foxtrack: managers.",
    "DELETE data/scenes/{scene_id}/shots/{shot_id}": "Breakdown edit: managers of the team.",
    "POST data/shots/{shot_id}/asset-instances": "Breakdown edit: managers of the team.",
    "DELETE data/shots/{shot_id}/asset-instances/{instance_id}": "Breakdown edit: managers of the team.",
    "POST data/scenes/{scene_id}/asset-instances": "Breakdown edit: managers of the team.",
    "POST data/assets/{asset_id}/asset-asset-instances": "Breakdown edit: managers of the team.",
    "PUT data/asset-instances/{asset_instance_id}": "Zou lets a client (any member) edit an asset instance. "
                                                    "foxtrack: managers of the team.",
    "POST data/tasks/{task_id}/working-files/new": "Zou lets clients (a review role) write a task's files. "
                                                  "foxtrack: the people working on the task.",
    "POST data/working-files/{working_file_id}/file": "A task's files: not for clients.",
    "PUT actions/working-files/{working_file_id}/comment": "A task's files: not for clients.",
    "PUT actions/working-files/{working_file_id}/modified": "A task's files: not for clients.",
    "POST data/entities/{entity_id}/output-files/new": "A task's files: not for clients.",
    "POST data/asset-instances/{asset_instance_id}/entities/{entity_id}/output-files/new":
        "A task's files: not for clients.",
    "PUT data/output-files/{output_file_id}": "A task's files: not for clients.",
    "PUT data/preview-files/{preview_id}": "Previews: not for clients.",
    "PUT actions/preview-files/{preview_id}/update-position": "Previews: not for clients.",
    "POST pictures/preview-files/{preview_id}": "Uploading a preview: not for clients.",
    "POST actions/tasks/{task_id}/comments/{comment_id}/add-preview": "Publishing a preview: not for clients.",
    "POST actions/tasks/{task_id}/comments/{comment_id}/preview-files/{preview_id}":
        "Adding previews to someone else's comment: not for clients.",
    "DELETE actions/tasks/{task_id}/comments/{comment_id}/preview-files/{preview_id}":
        "Zou lets assignees remove previews from someone else's comment. foxtrack: managers of the team.",
}


def model_rule(model: str, action: str) -> Relations | None:
    """The relations of ``action`` (read, read_one, create, update, delete) on a CRUD model, if declared."""
    found = MODELS.get((model, action))
    if found is None and action == "read_one":
        return None
    return found


# ----------------------------------------------------------------------------- matching routes

@dataclass
class Rule:
    method: str
    pattern: re.Pattern[str]
    relations: Relations
    specificity: int = field(default=0)


def _compile(key: str, relations: Relations) -> Rule:
    method, route = key.split(" ", 1)
    parts = []
    for segment in route.split("/"):
        found = re.fullmatch(r"\{(\w+)(:path)?\}(.*)", segment)  # an id, and a literal suffix (".png")
        if found is None:
            parts.append(re.escape(segment))
        elif found.group(2):
            parts.append(f"(?P<{found.group(1)}>.+)")
        else:
            parts.append(f"(?P<{found.group(1)}>[^/]+?){re.escape(found.group(3))}")
    literal = sum(1 for segment in route.split("/") if "{" not in segment)
    return Rule(method, re.compile("/".join(parts)), relations, literal)


_COMPILED = sorted((_compile(k, v) for k, v in ROUTES.items()), key=lambda r: -r.specificity)


def rule_for(method: str, path: str) -> tuple[Relations, dict[str, str]] | None:
    """The relations allowed on ``path`` (with or without ``/api``) and its ids, or None when no rule applies."""
    path = path.strip("/")
    if path.startswith("api/"):
        path = path[4:]
    for rule in _COMPILED:
        if rule.method == method:
            found = rule.pattern.fullmatch(path)
            if found is not None:
                return rule.relations, found.groupdict()
    return None


# ----------------------------------------------------------------------------- targets

@dataclass
class Target:
    """What a decision is about. ``scoped``: the object belongs to a project (None then means unknown)."""

    project_id: str | None = None
    entity_id: str | None = None
    task_id: str | None = None
    task_type_ids: tuple[str, ...] = ()
    person_id: str | None = None
    owner_id: str | None = None
    scoped: bool = False
    missing: bool = False


def _scalar(conn: Connection, column: sa.ColumnElement[str], key: sa.ColumnElement[str], value: str) -> str | None:
    found = conn.execute(sa.select(column).where(key == value)).scalar()
    return None if found is None else str(found)


def complete(conn: Connection, t: Target) -> Target:
    """Fill the project and task type from the task, the project from the entity."""
    if t.task_id is not None:
        row = conn.execute(sa.select(s.task.c.project_id, s.task.c.entity_id, s.task.c.task_type_id)
                           .where(s.task.c.id == t.task_id)).first()
        if row is not None:
            t.project_id = t.project_id or str(row[0])
            t.entity_id = t.entity_id or str(row[1])
            t.task_type_ids = t.task_type_ids or (str(row[2]),)
    if t.entity_id is not None and t.project_id is None:
        t.project_id = _scalar(conn, s.entity.c.project_id, s.entity.c.id, t.entity_id)
    return t


def _resolve(conn: Connection, ids: dict[str, str]) -> Target:
    t = Target(person_id=ids.get("person_id"), project_id=ids.get("project_id"), task_id=ids.get("task_id"))
    for name in ENTITY_PARAMS:
        if name in ids and t.entity_id is None:
            t.entity_id = ids[name]
    if "asset_instance_id" in ids and t.entity_id is None:
        t.entity_id = _scalar(conn, s.asset_instance.c.asset_id, s.asset_instance.c.id, ids["asset_instance_id"])
    if "preview_id" in ids:
        t.task_id = _scalar(conn, s.preview_file.c.task_id, s.preview_file.c.id, ids["preview_id"])
    if "comment_id" in ids and t.task_id is None:
        t.task_id = _scalar(conn, s.comment.c.object_id, s.comment.c.id, ids["comment_id"])
    if "attachment_id" in ids:
        comment = _scalar(conn, s.attachment_file.c.comment_id, s.attachment_file.c.id, ids["attachment_id"])
        t.task_id = comment and _scalar(conn, s.comment.c.object_id, s.comment.c.id, comment)
    if "working_file_id" in ids:
        t.task_id = _scalar(conn, s.working_file.c.task_id, s.working_file.c.id, ids["working_file_id"])
    if "output_file_id" in ids:
        row = conn.execute(sa.select(s.output_file.c.entity_id, s.output_file.c.task_type_id,
                                     s.output_file.c.asset_instance_id)
                           .where(s.output_file.c.id == ids["output_file_id"])).first()
        if row is not None:
            t.entity_id = str(row[0]) if row[0] else _scalar(conn, s.asset_instance.c.asset_id,
                                                             s.asset_instance.c.id, str(row[2]))
            t.task_type_ids = (str(row[1]),) if row[1] else ()
    if "playlist_id" in ids:
        t.project_id = _scalar(conn, s.playlist.c.project_id, s.playlist.c.id, ids["playlist_id"])
    if "day_off_id" in ids:
        t.person_id = _scalar(conn, s.day_off.c.person_id, s.day_off.c.id, ids["day_off_id"])
    complete(conn, t)
    t.scoped = any(k in ids for k in ("project_id", "playlist_id", "task_id", "preview_id", "comment_id",
                                      "attachment_id", "working_file_id", "output_file_id", "asset_instance_id",
                                      *ENTITY_PARAMS))
    t.missing = (t.scoped and t.project_id is None) or ("day_off_id" in ids and t.person_id is None)
    return t


# the column of each CRUD model that leads to its project, when it has no project_id
ROW_PROJECT: dict[str, tuple[str, str]] = {
    "asset-instances": ("entity", "asset_id"),
    "preview-files": ("task", "task_id"),
    "working-files": ("task", "task_id"),
    "time-spents": ("task", "task_id"),
    "comments": ("task", "object_id"),
    "output-files": ("entity", "entity_id"),
}
ROW_OWNER = {"comments": "person_id", "time-spents": "person_id", "day-offs": "person_id",
             "search-filters": "person_id", "search-filter-groups": "person_id", "notifications": "person_id",
             "persons": "id"}


def target_of_row(conn: Connection, model: str, row: dict[str, object], project_column: str | None = None,
                  owner_column: str | None = None) -> Target:
    """The target of a CRUD row: its project (directly or through its task or entity), task, task type
    and owner."""
    def text(key: str | None) -> str | None:
        value = row.get(key) if key else None
        return str(value) if value else None

    t = Target(project_id=text(project_column), task_type_ids=tuple(v for v in [text("task_type_id")] if v),
               owner_id=text(owner_column or ROW_OWNER.get(model)), scoped=project_column is not None)
    via = ROW_PROJECT.get(model)
    if via is not None:
        t.scoped = True
        if via[0] == "task":
            t.task_id = text(via[1])
        else:
            t.entity_id = text(via[1])
    elif model == "tasks":
        t.task_id = text("id")
        t.entity_id = text("entity_id")
    complete(conn, t)
    return t


# ----------------------------------------------------------------------------- relations

def _teams(ctx: RequestContext, conn: Connection) -> list[tuple[str, str]]:
    link = s.project_person_link
    rows = conn.execute(sa.select(link.c.project_id, link.c.role).where(link.c.person_id == ctx.person_id))
    return [(str(p), str(r or ctx.role)) for p, r in rows]


def _shares_team(ctx: RequestContext, conn: Connection, person_id: str | None) -> bool:
    if person_id is None:
        return False
    link = s.project_person_link
    mine = sa.select(link.c.project_id).where(link.c.person_id == ctx.person_id)
    shared = sa.select(sa.literal(1)).where(link.c.person_id == person_id, link.c.project_id.in_(mine))
    return conn.execute(shared).first() is not None


def _assigned_on(ctx: RequestContext, conn: Connection, t: Target) -> bool:
    tpl, task = s.task_person_link, s.task
    where = [tpl.c.person_id == ctx.person_id]
    if t.task_id is not None:
        where.append(tpl.c.task_id == t.task_id)
    elif t.entity_id is not None:
        tasks = sa.select(task.c.id).where(task.c.entity_id == t.entity_id)
        if t.task_type_ids:
            tasks = tasks.where(task.c.task_type_id.in_(t.task_type_ids))
        where.append(tpl.c.task_id.in_(tasks))
    else:
        return False
    return conn.execute(sa.select(sa.literal(1)).where(*where)).first() is not None


def _in_department(ctx: RequestContext, conn: Connection, task_type_ids: Iterable[str]) -> bool:
    ids = list(task_type_ids)
    if not ids:
        return False
    mine = sa.select(s.department_link.c.department_id).where(s.department_link.c.person_id == ctx.person_id)
    found = sa.select(sa.literal(1)).where(s.task_type.c.id.in_(ids), s.task_type.c.department_id.in_(mine))
    return conn.execute(found).first() is not None


Check = Callable[[RequestContext, Connection, Target], bool]


def _team(test: Callable[[str], bool]) -> Check:
    """A relation that holds for the caller's role on the team of the target's project."""
    def holds(ctx: RequestContext, conn: Connection, t: Target) -> bool:
        if t.project_id is None:
            return False
        role = ctx.project_role(conn, t.project_id)
        return role is not None and (role == ADMIN or test(role))
    return holds


def _manager(ctx: RequestContext, conn: Connection, t: Target) -> bool:
    if t.project_id is None:
        return not t.scoped and ctx.role == MANAGER
    return _team(lambda role: role == MANAGER)(ctx, conn, t)


def _department_supervisor(ctx: RequestContext, conn: Connection, t: Target) -> bool:
    role = ctx.project_role(conn, t.project_id) if t.project_id is not None else None
    if role in (ADMIN, MANAGER):
        return True
    return role == SUPERVISOR and _in_department(ctx, conn, t.task_type_ids)


def _vendor_assigned(ctx: RequestContext, conn: Connection, t: Target) -> bool:
    return _team(lambda role: role != VENDOR or _assigned_on(ctx, conn, t))(ctx, conn, t)


def _assignee(ctx: RequestContext, conn: Connection, t: Target) -> bool:
    return _team(lambda role: _assigned_on(ctx, conn, t))(ctx, conn, t)


def _self_quota(ctx: RequestContext, conn: Connection, t: Target) -> bool:
    """Zou: artists, supervisors and vendors read their own quotas anywhere; managers on the team."""
    if t.person_id != ctx.person_id or ctx.role == CLIENT:
        return False
    return ctx.role != MANAGER or (t.project_id is not None and ctx.project_role(conn, t.project_id) is not None)


def _self_assign(ctx: RequestContext, conn: Connection, t: Target) -> bool:
    """A supervisor assigning itself (the tasks are checked against its departments by the service)."""
    return t.person_id == ctx.person_id and ctx.role == SUPERVISOR


RELATIONS: dict[str, Check] = {
    "anyone": lambda ctx, conn, t: True,
    "admin": lambda ctx, conn, t: ctx.is_admin,
    "self": lambda ctx, conn, t: t.person_id is not None and t.person_id == ctx.person_id,
    "owner": lambda ctx, conn, t: t.owner_id is not None and t.owner_id == ctx.person_id,
    "own-row": lambda ctx, conn, t: t.owner_id is None or t.owner_id == ctx.person_id,
    "any-manager": lambda ctx, conn, t: ctx.role == MANAGER,
    "in-a-team": lambda ctx, conn, t: bool(_teams(ctx, conn)),
    "manager-in-a-team": lambda ctx, conn, t: ctx.role == MANAGER and bool(_teams(ctx, conn)),
    "not-vendor-anywhere": lambda ctx, conn, t: ctx.role != VENDOR,
    "staff-anywhere": lambda ctx, conn, t: ctx.role not in (VENDOR, CLIENT) and bool(_teams(ctx, conn)),
    "person-manager": lambda ctx, conn, t: ctx.role == MANAGER and _shares_team(ctx, conn, t.person_id),
    "co-member-not-vendor": lambda ctx, conn, t: ctx.role != VENDOR and _shares_team(ctx, conn, t.person_id),
    "self-quota": _self_quota,
    "self-assign": _self_assign,
    "manager": _manager,
    "supervisor": _team(lambda role: role in (MANAGER, SUPERVISOR)),
    "department-supervisor": _department_supervisor,
    "assignee": _assignee,
    "member": _team(lambda role: True),
    "staff": _team(lambda role: role not in (VENDOR, CLIENT)),
    "not-client": _team(lambda role: role != CLIENT),
    "not-vendor": _team(lambda role: role != VENDOR),
    "client": _team(lambda role: role == CLIENT),
    "vendor-assigned": _vendor_assigned,
}


def allowed(ctx: RequestContext, conn: Connection, relations: Relations, target: Target) -> bool:
    """Whether one of ``relations`` holds for the caller on ``target`` (``!self`` first refuses oneself)."""
    if relations and relations[0] == "!self":
        if target.person_id == ctx.person_id:
            return False
        relations = relations[1:]
    for relation in relations:
        if relation == "admin" and ctx.is_admin:
            return True
        holds = RELATIONS.get(relation)
        if holds is None:
            raise ValueError(f"unknown relation {relation!r}")
        if holds(ctx, conn, target):
            return True
    return False


def require(ctx: RequestContext, conn: Connection, relations: Relations, target: Target) -> None:
    """Refuse (403) unless one of ``relations`` holds."""
    if not allowed(ctx, conn, relations, target):
        raise Forbidden()


def check(ctx: RequestContext, method: str, path: str) -> None:
    """The route rule of a request: refuse (403) when one covers it and none of its relations holds.

    A plain function (its own read connection), so the request's hop or the handler's can call it."""
    check_rule(ctx, rule_for(method, path))


def check_rule(ctx: RequestContext, found: tuple[Relations, dict[str, str]] | None) -> None:
    """``check`` with the request's rule already looked up (``rule_for``, which the request context
    remembers per route: the lookup tries every rule's pattern)."""
    if found is None:
        return
    relations, ids = found
    if ctx.is_admin and "admin" in relations and relations[0] != "!self":
        return
    with ctx.read() as conn:
        target = _resolve(conn, ids)
        if target.missing:
            return  # the route answers its own 404
        require(ctx, conn, relations, target)
