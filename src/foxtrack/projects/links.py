"""A production's task type and task status links: their priority (the order of the columns and of
the board) and, for statuses, the roles that see them on the board. Managers of the production set
them; each change is a ``project:update``, as the clients read the links through the project.

foxtrack's link tables are keyed by the pair (project, task type or status), with no id or dates of
their own: an answered link's ``id`` is derived from the pair, so it is stable across calls."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import NotFound, validation_error, wrong_parameter
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import PROJECT
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.projects.service import check_id, load_project

Row = dict[str, Any]
LINK_NAMESPACE = uuid.UUID("6f0c55c2-8d1e-4d0e-9a55-1f7e3c2b9a10")


@dataclass(frozen=True)
class LinkKind:
    """Task type links or task status links: the table, its key column and the linked table."""

    table: sa.Table
    key: str
    target: sa.Table
    type_name: str
    list_key: str


TASK_TYPE = LinkKind(s.project_task_type_link, "task_type_id", s.task_type, "ProjectTaskTypeLink", "task_type_ids")
TASK_STATUS = LinkKind(s.project_task_status_link, "task_status_id", s.task_status, "ProjectTaskStatusLink",
                       "task_status_ids")


def _shape(kind: LinkKind, row: Row) -> Row:
    project_id, item_id = row["project_id"], row[kind.key]
    out: Row = {"id": str(uuid.uuid5(LINK_NAMESPACE, f"{project_id}:{item_id}")), "type": kind.type_name,
                "project_id": project_id, kind.key: item_id, "priority": row.get("priority")}
    if "roles_for_board" in kind.table.c:
        out["roles_for_board"] = row.get("roles_for_board") or []
    if "is_client_allowed" in kind.table.c:
        out["is_client_allowed"] = row.get("is_client_allowed")
    return out


def _read(tx: Tx, kind: LinkKind, project_id: str, item_id: str) -> Row | None:
    t = kind.table
    found = tx.execute(sa.select(t).where(t.c.project_id == project_id, t.c[kind.key] == item_id)).first()
    return None if found is None else dict(found._mapping)


def _priority(value: Any) -> int:
    if isinstance(value, bool):
        raise validation_error({"priority": "Input should be a valid integer"}, "Validation error.")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise validation_error({"priority": "Input should be a valid integer"}, "Validation error.") from exc


def _roles(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(role, str) for role in items):
        raise validation_error({"roles_for_board": "Input should be a valid string"}, "Validation error.")
    return list(items)


def _settings_changed(tx: Tx, project_id: str) -> None:
    crud.update_row(tx, PROJECT, project_id, {})
    tx.emit("project:update", {"project_id": project_id}, project_id=project_id)


def set_link(ctx: RequestContext, kind: LinkKind, body: Row) -> Row:
    """Create the link of a task type or status to a production, or update its priority (and board
    roles): ``{project_id, <key>, priority = 1, roles_for_board = []}``."""
    project_id = body.get("project_id")
    if project_id in (None, ""):
        raise validation_error({"project_id": "Field required"}, "Validation error.")
    project_id = check_id(project_id)
    item_id = body.get(kind.key)
    if not isinstance(item_id, str) or not is_uuid(item_id):
        raise wrong_parameter(f"{kind.key} is required and must be a valid UUID")
    values: Row = {"priority": _priority(body.get("priority", 1))}
    if kind is TASK_STATUS:
        values["roles_for_board"] = _roles(body.get("roles_for_board"))
    with ctx.write() as tx:
        load_project(tx.conn, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        if tx.execute(sa.select(kind.target.c.id).where(kind.target.c.id == item_id)).first() is None:
            raise NotFound()
        t = kind.table
        if _read(tx, kind, project_id, item_id) is None:
            tx.insert(t, {"project_id": project_id, kind.key: item_id, **values})
        else:
            tx.update(t, values, t.c.project_id == project_id, t.c[kind.key] == item_id)
        _settings_changed(tx, project_id)
        row = _read(tx, kind, project_id, item_id)
        assert row is not None
        return _shape(kind, row)


def reorder(ctx: RequestContext, kind: LinkKind, project_id: str, body: Any) -> list[Row]:
    """Priorities from an ordered id list (1-based); only existing links change. The changed links."""
    check_id(project_id)
    ids = body.get(kind.list_key) if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise wrong_parameter(f"Request body must be a JSON object with a '{kind.list_key}' list.")
    t = kind.table
    out: list[Row] = []
    with ctx.write() as tx:
        load_project(tx.conn, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        for priority, item_id in enumerate(ids, start=1):
            if tx.update(t, {"priority": priority}, t.c.project_id == project_id, t.c[kind.key] == item_id):
                row = _read(tx, kind, project_id, item_id)
                if row is not None:
                    out.append(_shape(kind, row))
        _settings_changed(tx, project_id)
    return out
