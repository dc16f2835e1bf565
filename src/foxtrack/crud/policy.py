"""Per-model rules of the generic CRUD: who may read/write, how rows are scoped and shaped.

Feature packages register their hooks here (``register(path, ...)``) instead of re-implementing
the CRUD: one write path for every model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core.context import RequestContext, Tx
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


POLICIES: dict[str, Policy] = {}


def policy(path: str) -> Policy:
    if path not in POLICIES:
        POLICIES[path] = Policy()
    return POLICIES[path]


def register(path: str, **kw: Any) -> Policy:
    p = policy(path)
    for key, value in kw.items():
        if not hasattr(p, key):
            raise AttributeError(key)
        setattr(p, key, value)
    return p


_EVERYONE = ["persons", "task-types", "task-status", "departments", "studios", "file-status", "output-types",
             "softwares", "organisations", "entity-types", "project-status", "hardware-items", "custom-actions",
             "status-automations", "preview-background-files"]
for _path in _EVERYONE:
    register(_path, read="all")

register("projects", read="project", project_column="id", update="manager_project", delete="admin")
for _path in ("entities", "tasks", "metadata-descriptors", "playlists", "milestones", "schedule-items"):
    register(_path, read="project", project_column="project_id", create="manager_project",
             update="manager_project", delete="manager_project")
register("events", read="admin", project_column="project_id")
register("time-spents", read="admin", read_one="all", owner_column="person_id")
register("day-offs", read="admin", read_one="all", create="self", update="self", delete="self", owner_column="person_id")
register("search-filters", read="self", create="self", update="self", delete="self", owner_column="person_id")
register("search-filter-groups", read="self", create="self", update="self", delete="self", owner_column="person_id")
register("notifications", read="self", update="self", owner_column="person_id")
register("comments", read="admin", read_one="all")
register("preview-files", read="admin", read_one="all")
register("attachment-files", read="admin", read_one="all")
