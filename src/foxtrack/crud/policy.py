"""Per-model rules of the generic CRUD: who may read/write, how rows are scoped and shaped.

Feature packages register their hooks (``register_crud(policies)``, called by the app factory
through ``foxtrack.features``) instead of re-implementing the CRUD: one write path for every model.

Who may act is one decision of the policy (``core.policy``): an action's rule is a tuple of its
relations, or one of the short names below (``LEGACY``) that stand for such a tuple. An action that
``core.policy.MODELS`` declares for a model is the table's, whatever a feature registers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import policy as core_policy
from foxtrack.core.context import CLIENT, AppState, RequestContext, Tx
from foxtrack.core.errors import Forbidden
from foxtrack.core.filters import VirtualFilter
from foxtrack.db import schema as s

Row = dict[str, Any]
Rule = str | tuple[str, ...]
ACTIONS = ("read", "read_one", "create", "update", "delete")
# the short names of the common rules, as relations of the policy
LEGACY: dict[str, tuple[str, ...]] = {
    "all": ("anyone",),
    "admin": ("admin",),
    "manager": ("admin", "any-manager"),
    "project": ("admin", "member"),
    "manager_project": ("admin", "manager"),
    "self": ("admin", "own-row"),
}


def relations_of(rule: Rule) -> tuple[str, ...]:
    """The policy relations of a rule (a tuple of relations, or a short name of ``LEGACY``)."""
    if isinstance(rule, tuple):
        return rule
    found = LEGACY.get(rule)
    if found is None:
        raise ValueError(f"unknown CRUD rule {rule!r}")
    return found


@dataclass
class Policy:
    # relations of ``core.policy``, or "all", "admin", "manager", "project" (the caller's projects),
    # "manager_project", "self" (the row's person is the caller): see ``LEGACY``
    read: Rule = "admin"
    read_one: Rule | None = None
    create: Rule = "admin"
    update: Rule = "admin"
    delete: Rule = "admin"
    # column holding the project id, for "project" scoping and manager checks
    project_column: str | None = None
    # a subquery-able expression giving the project id when the table has no such column
    project_of: Callable[[sa.Table], sa.ColumnElement[Any]] | None = None
    owner_column: str | None = None
    # a further condition on the rows a non-admin lists (None: no condition for that caller)
    row_scope: Callable[[RequestContext, sa.Table], sa.ColumnElement[bool] | None] | None = None
    virtual_filters: dict[str, VirtualFilter] = field(default_factory=dict)
    # hooks
    before_create: Callable[[RequestContext, Tx, Row], Row] | None = None
    after_create: Callable[[RequestContext, Tx, Row, Row], Row] | None = None
    before_update: Callable[[RequestContext, Tx, Row, Row], Row] | None = None
    after_update: Callable[[RequestContext, Tx, Row, Row], Row] | None = None
    delete_hook: Callable[[RequestContext, Tx, Row, bool], None] | None = None
    shape_one: Callable[[RequestContext, Connection, Row], Row] | None = None
    shape_many: Callable[[RequestContext, Connection, list[Row]], list[Row]] | None = None
    event_prefix: str | None = None
    protected: frozenset[str] = frozenset()


class Policies:
    """The rules of every model of the generic CRUD, built by the app factory (``features``): each
    feature registers its own, so what exists never depends on which module was imported first."""

    def __init__(self) -> None:
        self._by_path: dict[str, Policy] = {}

    def get(self, path: str) -> Policy:
        """The rules of ``path`` (admin-only defaults when nobody registered any, then the policy's table)."""
        found = self._by_path.get(path)
        if found is None:
            found = self._by_path[path] = Policy()
            for action in ACTIONS:
                declared = core_policy.model_rule(path, action)
                if declared is not None:
                    setattr(found, action, declared)
        return found

    def register(self, path: str, **kw: Any) -> Policy:
        p = self.get(path)
        for key, value in kw.items():
            if not hasattr(p, key):
                raise AttributeError(key)
            if key in ACTIONS and core_policy.model_rule(path, key) is not None:
                continue  # the policy's table decides this action
            setattr(p, key, value)
        return p


EVERYONE = ("persons", "task-types", "task-status", "departments", "studios", "file-status", "output-types",
            "softwares", "organisations", "entity-types", "project-status", "hardware-items", "custom-actions",
            "status-automations", "preview-background-files")


def base_policies() -> Policies:
    """The rules of the models that no feature owns."""
    policies = Policies()
    for path in EVERYONE:
        policies.register(path, read="all")
    policies.register("projects", read="project", project_column="id", update="manager_project", delete="admin")
    for path in ("entities", "tasks", "metadata-descriptors", "playlists", "milestones", "schedule-items"):
        policies.register(path, read="project", project_column="project_id", create="manager_project",
                          update="manager_project", delete="manager_project")
    policies.register("events", read="admin", project_column="project_id")
    policies.register("time-spents", read="admin", read_one="all", owner_column="person_id")
    policies.register("day-offs", read="admin", read_one="all", create="self", update="self", delete="self",
                      owner_column="person_id")
    for path in ("search-filters", "search-filter-groups"):
        policies.register(path, read="self", create="self", update="self", delete="self", owner_column="person_id")
    policies.register("notifications", read="self", update="self", owner_column="person_id")
    for path in ("comments", "preview-files", "attachment-files"):
        policies.register(path, read="admin", read_one="all")
    for path in ("metadata-descriptors", "playlists"):
        policies.register(path, row_scope=for_client_only)
    policies.register("preview-files", row_scope=team_scope(_task_project))
    policies.register("output-files", row_scope=team_scope(_entity_project))
    return policies


def allowed(ctx: RequestContext, conn: Connection, path: str, pol: Policy, rule: Rule, row: Row | None) -> bool:
    """Whether the caller may apply ``rule`` of model ``path`` to ``row`` (None: a list, or no row yet)."""
    relations = relations_of(rule)
    if relations == ("anyone",) or (ctx.is_admin and "admin" in relations):
        return True
    owner = pol.owner_column or ("person_id" if {"owner", "own-row"} & set(relations) else None)
    target = core_policy.target_of_row(conn, path, row or {}, pol.project_column, owner)
    target.scoped = True  # a CRUD row of no known project is nobody's but the admins'
    return core_policy.allowed(ctx, conn, relations, target)


def require(ctx: RequestContext, conn: Connection, path: str, pol: Policy, rule: Rule, row: Row | None) -> None:
    """Refuse (403) unless ``allowed``."""
    if not allowed(ctx, conn, path, pol, rule, row):
        raise Forbidden()


def team_scope(column: Callable[[sa.Table], sa.ColumnElement[Any]]) -> Callable[
        [RequestContext, sa.Table], sa.ColumnElement[bool] | None]:
    """A row scope: non-admins list the rows whose project (``column`` of the table) is one of their teams'."""
    def scope(ctx: RequestContext, table: sa.Table) -> sa.ColumnElement[bool] | None:
        if ctx.is_admin:
            return None
        link = s.project_person_link
        return column(table).in_(sa.select(link.c.project_id).where(link.c.person_id == ctx.person_id))
    return scope


def _task_project(table: sa.Table) -> sa.ColumnElement[Any]:
    return sa.select(s.task.c.project_id).where(s.task.c.id == table.c.task_id).scalar_subquery()


def _entity_project(table: sa.Table) -> sa.ColumnElement[Any]:
    return sa.select(s.entity.c.project_id).where(s.entity.c.id == table.c.entity_id).scalar_subquery()


def for_client_only(ctx: RequestContext, table: sa.Table) -> sa.ColumnElement[bool] | None:
    """Clients list only the rows flagged ``for_client`` (Zou's review role)."""
    return table.c.for_client.is_(True) if ctx.role == CLIENT else None


def policies_of(state: AppState) -> Policies:
    """The app's CRUD rules (built on first use for states made outside ``create_app``)."""
    found = state.extras.get("crud_policies")
    if not isinstance(found, Policies):
        from foxtrack.features import crud_policies

        found = state.extras["crud_policies"] = crud_policies()
    return found
