"""Filtered entity lists (``data/shots?...``, ``data/projects/{id}/assets``...) and the with-tasks screens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
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


def _first(params: Params, key: str) -> str | None:
    values = params.get(key)
    return values[0] if values else None


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


def list_entities(ctx: RequestContext, kind: str, params: Params, clauses: list[sa.ColumnElement[bool]] | None = None,
                  enrich: Callable[[Connection, list[Row]], None] | None = None) -> list[Row]:
    """Entities of ``kind`` matching the query-string filters, limited to the caller's projects."""
    where = [kind_clause(ctx, kind), *compile_filters(ENTITY, params, VIRTUAL.get(kind)), *(clauses or [])]
    scope = perm.project_scope(ctx, E.c.project_id)
    if scope is not None:
        where.append(scope)
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


# ----------------------------------------------------------------------------- with-tasks

def _screen_scope(ctx: RequestContext, conn: Connection, params: Params, alias: Any) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    project_id = _first(params, "project_id")
    if project_id:
        if not is_uuid(project_id):
            raise BadRequest("Malformed ID.", data=None)
        perm.check_project_access(ctx, conn, project_id)
        where.append(alias.c.project_id == project_id)
    else:
        scope = perm.project_scope(ctx, alias.c.project_id)
        if scope is not None:
            where.append(scope)
    return where


SHOT_KEYS = ("canceled", "data", "description", "entity_type_id", "id", "name", "nb_frames", "parent_id",
             "preview_file_id", "project_id", "source_id", "nb_entities_out", "is_casting_standby")


def shots_with_tasks(ctx: RequestContext, params: Params) -> list[Row]:
    """Kitsu's shot list: shots with sequence/episode names and their tasks (flat queries)."""
    shot_type = types.type_id(ctx.state, types.SHOT)
    seq, ep, p = E.alias("seq"), E.alias("ep"), s.project
    with ctx.read() as conn:
        where = [E.c.entity_type_id == shot_type, *_screen_scope(ctx, conn, params, E)]
        episode_id = _first(params, "episode_id")
        if episode_id:
            if not is_uuid(episode_id):
                raise BadRequest("Malformed ID.", data=None)
            where.append(_grandparent_in([episode_id]))
        stmt = (
            sa.select(*(E.c[k] for k in SHOT_KEYS), seq.c.name, seq.c.parent_id, ep.c.name, p.c.name)
            .select_from(E.join(seq, seq.c.id == E.c.parent_id).outerjoin(ep, ep.c.id == seq.c.parent_id)
                         .join(p, p.c.id == E.c.project_id))
            .where(*where)
            .order_by(ep.c.name, seq.c.name, E.c.name)
        )
        rows = conn.execute(stmt).all()
        tasks = q.tasks_for_screen(conn, sa.and_(*where), ctx.person_id, q.WITH_TASKS_TASK_COLUMNS) if rows else {}
    out = []
    n = len(SHOT_KEYS)
    for row in rows:
        shot = dict(zip(SHOT_KEYS, row[:n]))
        sequence_name, episode_id_, episode_name, project_name = row[n:]
        data = shot["data"] or {}
        shot["data"] = data
        shot["episode_id"] = episode_id_
        shot["episode_name"] = episode_name
        shot["sequence_id"] = shot["parent_id"]
        shot["sequence_name"] = sequence_name
        shot["project_name"] = project_name
        shot["fps"] = data.get("fps")
        shot["frame_in"] = data.get("frame_in")
        shot["frame_out"] = data.get("frame_out")
        shot["tasks"] = tasks.get(shot["id"], [])
        shot["type"] = types.SHOT
        out.append(shot)
    return out


ASSET_KEYS = ("id", "name", "preview_file_id", "description", "entity_type_id", "canceled", "ready_for", "source_id",
              "is_casting_standby", "is_shared", "data")


def assets_with_tasks(ctx: RequestContext, params: Params) -> list[Row]:
    """Kitsu's asset list: assets with their type name, casting episodes and tasks."""
    from foxtrack.entities.service import casting_episode_ids

    t = s.entity_type
    with ctx.read() as conn:
        where = [types.asset_clause(ctx.state, E.c.entity_type_id), *_screen_scope(ctx, conn, params, E)]
        for key in ("asset_type_id", "entity_type_id"):
            value = _first(params, key)
            if value:
                where.append(E.c.entity_type_id == _ids([value])[0])
        episode_id = _first(params, "episode_id")
        if episode_id:
            _ids([episode_id])
            where.append(E.c.source_id == episode_id)
        stmt = (
            sa.select(*(E.c[k] for k in ASSET_KEYS), t.c.name)
            .select_from(E.join(t, t.c.id == E.c.entity_type_id))
            .where(*where)
            .order_by(t.c.name, E.c.name)
        )
        rows = conn.execute(stmt).all()
        tasks = q.tasks_for_screen(conn, sa.and_(*where), ctx.person_id, q.ASSET_TASK_COLUMNS) if rows else {}
        episodes = casting_episode_ids(ctx, conn, [r[0] for r in rows]) if rows else {}
    out = []
    n = len(ASSET_KEYS)
    for row in rows:
        asset = dict(zip(ASSET_KEYS, row[:n]))
        source_id = asset.pop("source_id")
        type_id = asset.pop("entity_type_id")
        asset["preview_file_id"] = asset["preview_file_id"] or ""
        asset["asset_type_name"] = row[n]
        asset["asset_type_id"] = type_id
        asset["ready_for"] = str(asset["ready_for"])
        asset["episode_id"] = source_id or ""
        asset["casting_episode_ids"] = episodes.get(asset["id"], [])
        asset["data"] = asset["data"] or {}
        asset["tasks"] = tasks.get(asset["id"], [])
        out.append(asset)
    return out
