"""Filtered entity lists (``data/shots?...``, ``data/projects/{id}/assets``...); the with-tasks screens are in
``screens``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import VENDOR, RequestContext
from foxtrack.core.errors import BadRequest
from foxtrack.core.filters import VirtualFilter, compile_filters
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import ENTITY
from foxtrack.db import schema as s
from foxtrack.entities import queries as q
from foxtrack.entities import types

Row = dict[str, Any]
Params = dict[str, list[str]]
E = s.entity


def _ids(values: list[str]) -> list[str]:
    for v in values:
        if not is_uuid(v):
            raise BadRequest("Malformed ID.", data=None)
    return values


def _parent_in(values: list[str]) -> sa.ColumnElement[bool]:
    return E.c.parent_id.in_(_ids(values))


def _grandparent_in(values: list[str]) -> sa.ColumnElement[bool]:
    parents = sa.select(E.c.id).where(E.c.parent_id.in_(_ids(values)))
    return E.c.parent_id.in_(parents)


def _asset_type_in(values: list[str]) -> sa.ColumnElement[bool]:
    return E.c.entity_type_id.in_(_ids(values))


def _asset_episode_in(values: list[str]) -> sa.ColumnElement[bool]:
    return E.c.source_id.in_(_ids(values))


VIRTUAL: dict[str, dict[str, VirtualFilter]] = {
    types.SHOT: {"sequence_id": _parent_in, "episode_id": _grandparent_in},
    types.SCENE: {"sequence_id": _parent_in, "episode_id": _grandparent_in},
    types.SEQUENCE: {"episode_id": _parent_in},
    types.EDIT: {"episode_id": _parent_in},
    types.ASSET: {"asset_type_id": _asset_type_in, "episode_id": _asset_episode_in},
}


def kind_clause(ctx: RequestContext, kind: str) -> sa.ColumnElement[bool]:
    if kind == types.ASSET:
        return types.asset_clause(ctx.state, E.c.entity_type_id)
    return E.c.entity_type_id == types.type_id(ctx.state, kind)


# kinds a vendor sees only where one of its tasks is (Zou's ``assigned_to`` criterion); episodes and
# sequences stay listed, as in Zou
VENDOR_SCOPED = (types.ASSET, types.SHOT, types.SCENE, types.EDIT)


def assigned_to(person_id: str) -> sa.ColumnElement[bool]:
    """Entities with a task assigned to ``person_id``."""
    task, link = s.task, s.task_person_link
    return E.c.id.in_(sa.select(task.c.entity_id).join(link, link.c.task_id == task.c.id)
                      .where(link.c.person_id == person_id))


def list_entities(ctx: RequestContext, kind: str, params: Params, clauses: list[sa.ColumnElement[bool]] | None = None,
                  enrich: Callable[[Connection, list[Row]], None] | None = None) -> list[Row]:
    """Entities of ``kind`` matching the query-string filters, limited to the caller's projects (and, for
    a vendor, to the entities it has a task on)."""
    where = [kind_clause(ctx, kind), *compile_filters(ENTITY, params, VIRTUAL.get(kind)), *(clauses or [])]
    scope = perm.project_scope(ctx, E.c.project_id)
    if scope is not None:
        where.append(scope)
    if ctx.role == VENDOR and kind in VENDOR_SCOPED:
        where.append(assigned_to(ctx.person_id))
    with ctx.read() as conn:
        rows = q.select_entities(ctx.state, conn, where, kind)
        if enrich is not None and rows:
            enrich(conn, rows)
        return rows


def with_project_and_sequence_names(conn: Connection, rows: list[Row]) -> None:
    q.add_project_names(conn, rows)
    q.add_sequence_names(conn, rows)


def with_project_names(conn: Connection, rows: list[Row]) -> None:
    q.add_project_names(conn, rows)
