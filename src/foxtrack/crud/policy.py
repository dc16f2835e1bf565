"""Per-model rules of the generic CRUD: who may read/write, how rows are scoped and shaped.

Feature packages register their hooks (``register_crud(policies)``, called by the app factory
through ``foxtrack.features``) instead of re-implementing the CRUD: one write path for every model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core.context import CLIENT, AppState, RequestContext, Tx
from foxtrack.core.filters import VirtualFilter

Row = dict[str, Any]


@dataclass
class Policy:
    # "all", "admin", "manager", "project" (caller's projects), "self" (person_id = caller)
    read: str = "admin"
    read_one: str | None = None
    create: str = "admin"
    update: str = "admin"
    delete: str = "admin"
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
        """The rules of ``path`` (admin-only defaults when nobody registered any)."""
        found = self._by_path.get(path)
        if found is None:
            found = self._by_path[path] = Policy()
        return found

    def register(self, path: str, **kw: Any) -> Policy:
        p = self.get(path)
        for key, value in kw.items():
            if not hasattr(p, key):
                raise AttributeError(key)
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
    return policies


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
