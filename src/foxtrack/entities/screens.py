"""Kitsu's production screens: the with-tasks lists (shots, assets, sequences, episodes, edits,
concepts) and the shared assets a production uses, in Zou's shapes.

``episode_id`` takes two words besides an id, as in Zou: ``all`` (every episode) and ``main`` (the
main pack: what belongs to no episode). Ids are checked before they reach SQL, with Zou's 400.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import BadRequest, Forbidden, NotFound
from foxtrack.core.jsonutil import is_uuid
from foxtrack.db import schema as s
from foxtrack.entities import queries as q
from foxtrack.entities import types
from foxtrack.entities.service import casting_episode_ids, load_project

Row = dict[str, Any]
Params = dict[str, list[str]]
E = s.entity
# entity aliases built once: an alias builds its column collection (every column) when first used
_CAST_SEQ_ALIAS = s.entity.alias("cast_seq")
_CAST_SHOT_ALIAS = s.entity.alias("cast_shot")
_EP_ALIAS = s.entity.alias("ep")
_FILTER_SEQ_ALIAS = s.entity.alias("filter_seq")
_SEQ_ALIAS = s.entity.alias("seq")
_USED_SEQ_ALIAS = s.entity.alias("used_seq")
_USED_SHOT_ALIAS = s.entity.alias("used_shot")
_VENDOR_SEQ_ALIAS = s.entity.alias("vendor_seq")
_VENDOR_SHOT_ALIAS = s.entity.alias("vendor_shot")

ALL, MAIN = "all", "main"
ID_PARAMS = ("id", "project_id", "episode_id")


def _first(params: Params, key: str) -> str | None:
    values = params.get(key)
    return values[0] if values else None


def check_id_params(params: Params, names: tuple[str, ...] = ID_PARAMS) -> None:
    """Zou's check of the id criterions of the with-tasks views (``all`` / ``main`` pass as episode)."""
    for name in names:
        value = _first(params, name)
        if value is None or (name == "episode_id" and value in (ALL, MAIN)) or is_uuid(value):
            continue
        message = f"Invalid UUID format for {name}: {value}"
        raise BadRequest(message, body={"error": True, "message": message, "data": None})


def _project_clauses(ctx: RequestContext, conn: Connection, params: Params,
                     require_project: bool = True) -> tuple[str, list[sa.ColumnElement[bool]]]:
    """The caller's role and the project restriction of a screen. Without ``project_id`` only admins
    may list everything (Zou's ``check_project_access(None)``), unless ``require_project`` is off:
    then the list is limited to the caller's projects."""
    project_id = _first(params, "project_id")
    if project_id is not None:
        return perm.check_project_access(ctx, conn, project_id), [E.c.project_id == project_id]
    if require_project:
        return perm.check_project_access(ctx, conn, None), []
    scope = perm.project_scope(ctx, E.c.project_id)
    return ctx.role, [] if scope is None else [scope]


def _vendor_scope(ctx: RequestContext, role: str,
                  kind: str) -> tuple[list[sa.ColumnElement[bool]], sa.ColumnElement[bool] | None]:
    """What a vendor sees (Zou's ``scope_criterions_to_vendor``): the entities holding a task assigned
    to them (a sequence through its shots, an episode through its shots or its assets), with only
    those tasks. Nothing for anyone else."""
    if role != perm.VENDOR:
        return [], None
    t, link = s.task, s.task_person_link
    mine = t.c.id.in_(sa.select(link.c.task_id).where(link.c.person_id == ctx.person_id))
    holders = sa.select(t.c.entity_id).where(mine)
    shot, seq = _VENDOR_SHOT_ALIAS, _VENDOR_SEQ_ALIAS
    if kind == types.SEQUENCE:
        return [E.c.id.in_(sa.select(shot.c.parent_id).where(shot.c.id.in_(holders)))], mine
    if kind == types.EPISODE:
        via_shots = (sa.select(seq.c.parent_id).join(shot, shot.c.parent_id == seq.c.id)
                     .where(shot.c.id.in_(holders)))
        via_assets = sa.select(shot.c.source_id).where(shot.c.id.in_(holders))
        return [sa.or_(E.c.id.in_(via_shots), E.c.id.in_(via_assets))], mine
    return [E.c.id.in_(holders)], mine


def _id_clause(params: Params) -> list[sa.ColumnElement[bool]]:
    entity_id = _first(params, "id")
    return [] if entity_id is None else [E.c.id == entity_id]


def _seconds(value: Any) -> Any:
    return value[:19] if isinstance(value, str) else value


# ----------------------------------------------------------------------------- shots

SHOT_KEYS = ("canceled", "data", "description", "entity_type_id", "id", "name", "nb_frames", "parent_id",
             "preview_file_id", "project_id", "source_id", "nb_entities_out", "is_casting_standby")


def _shot_episode_clause(episode_id: str | None) -> list[sa.ColumnElement[bool]]:
    if episode_id is None or episode_id == ALL:
        return []
    seq = _FILTER_SEQ_ALIAS
    parent = seq.c.parent_id.is_(None) if episode_id == MAIN else seq.c.parent_id == episode_id
    return [E.c.parent_id.in_(sa.select(seq.c.id).where(parent))]


def shots_with_tasks(ctx: RequestContext, params: Params) -> list[Row]:
    """Kitsu's shot list: shots with sequence/episode names and their tasks (flat queries)."""
    check_id_params(params)
    shot_type = types.type_id(ctx.state, types.SHOT)
    seq, ep, p = _SEQ_ALIAS, _EP_ALIAS, s.project
    with ctx.read() as conn:
        role, scope = _project_clauses(ctx, conn, params)
        vendor, task_clause = _vendor_scope(ctx, role, types.SHOT)
        where = [E.c.entity_type_id == shot_type, *scope, *vendor, *_id_clause(params),
                 *_shot_episode_clause(_first(params, "episode_id"))]
        stmt = (
            sa.select(*(E.c[k] for k in SHOT_KEYS), seq.c.name, seq.c.parent_id, ep.c.name, p.c.name)
            .select_from(E.join(seq, seq.c.id == E.c.parent_id).outerjoin(ep, ep.c.id == seq.c.parent_id)
                         .join(p, p.c.id == E.c.project_id))
            .where(*where)
            .order_by(ep.c.name, seq.c.name, E.c.name)
        )
        rows = conn.execute(stmt).all()
        tasks = q.tasks_for_screen(conn, sa.and_(*where), ctx.person_id, q.WITH_TASKS_TASK_COLUMNS,
                                   task_clause) if rows else {}
    out = []
    n = len(SHOT_KEYS)
    for row in rows:
        shot = dict(zip(SHOT_KEYS, row[:n]))
        sequence_name, episode_id, episode_name, project_name = row[n:]
        data = shot["data"] or {}
        shot["data"] = data
        shot["episode_id"] = episode_id
        shot["episode_name"] = episode_name or ""
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


# ----------------------------------------------------------------------------- assets

ASSET_KEYS = ("id", "name", "preview_file_id", "description", "entity_type_id", "canceled", "ready_for", "source_id",
              "is_casting_standby", "is_shared", "data")


def _cast_in_episode(episode_id: str) -> sa.ColumnElement[bool]:
    """The asset is cast in the episode itself or in a shot of one of its sequences."""
    link = s.entity_link
    shot, seq = _CAST_SHOT_ALIAS, _CAST_SEQ_ALIAS
    direct = sa.select(link.c.entity_out_id).where(link.c.entity_in_id == episode_id)
    via_shots = (sa.select(link.c.entity_out_id)
                 .join(shot, shot.c.id == link.c.entity_in_id)
                 .join(seq, seq.c.id == shot.c.parent_id)
                 .where(seq.c.parent_id == episode_id))
    return sa.or_(E.c.id.in_(direct), E.c.id.in_(via_shots))


def _asset_episode_clause(episode_id: str | None) -> list[sa.ColumnElement[bool]]:
    if episode_id is None or episode_id == ALL:
        return []
    if episode_id == MAIN:
        return [E.c.source_id.is_(None)]
    return [sa.or_(E.c.source_id == episode_id, _cast_in_episode(episode_id))]


def assets_with_tasks(ctx: RequestContext, params: Params) -> list[Row]:
    """Kitsu's asset list: assets with their type name, casting episodes and tasks. ``episode_id``:
    the assets created in that episode or cast in it; ``main``: the assets of no episode."""
    check_id_params(params)
    t = s.entity_type
    episode_id = _first(params, "episode_id")
    with ctx.read() as conn:
        role, scope = _project_clauses(ctx, conn, params, require_project=False)
        vendor, task_clause = _vendor_scope(ctx, role, types.ASSET)
        where = [types.asset_clause(ctx.state, E.c.entity_type_id), *scope, *vendor, *_id_clause(params),
                 *_asset_episode_clause(episode_id)]
        for key in ("asset_type_id", "entity_type_id"):
            value = _first(params, key)
            if value:
                check_id_params(params, (key,))
                where.append(E.c.entity_type_id == value)
        stmt = (
            sa.select(*(E.c[k] for k in ASSET_KEYS), t.c.name)
            .select_from(E.join(t, t.c.id == E.c.entity_type_id))
            .where(*where)
            .order_by(t.c.name, E.c.name)
        )
        rows = conn.execute(stmt).all()
        tasks = q.tasks_for_screen(conn, sa.and_(*where), ctx.person_id, q.ASSET_TASK_COLUMNS,
                                   task_clause) if rows else {}
        episodes: dict[str, list[str]] = {}
        if rows and _first(params, "project_id") is not None:
            # as Zou: casting episodes are listed on a project's screen, only the chosen one's
            episodes = casting_episode_ids(ctx, conn, sa.select(E.c.id).where(*where),
                                           None if episode_id in (None, ALL, MAIN) else episode_id)
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


def shared_assets_used(ctx: RequestContext, project_id: str, episode_id: str | None = None) -> list[Row]:
    """Shared assets of other productions cast in this production's shots (in one episode's shots
    when ``episode_id`` is an id), not canceled."""
    if episode_id is not None and episode_id not in (ALL, MAIN) and not is_uuid(episode_id):
        raise NotFound()
    link = s.entity_link
    shot, seq = _USED_SHOT_ALIAS, _USED_SEQ_ALIAS
    used = (sa.select(link.c.entity_out_id)
            .join(shot, shot.c.id == link.c.entity_in_id)
            .join(seq, seq.c.id == shot.c.parent_id)
            .where(shot.c.project_id == project_id))
    if episode_id is not None and episode_id not in (ALL, MAIN):
        used = used.where(seq.c.parent_id == episode_id)
    with ctx.read() as conn:
        load_project(conn, project_id)
        perm.check_project_access(ctx, conn, project_id)
        where = [types.asset_clause(ctx.state, E.c.entity_type_id), E.c.is_shared.is_(True),
                 E.c.canceled.is_not(True), E.c.project_id != project_id, E.c.id.in_(used)]
        return q.select_entities(ctx.state, conn, where, types.ASSET)


# ----------------------------------------------------------------------------- sequences, episodes

ENTITY_TASK_COLUMNS = ("id", "estimation", "entity_id", "end_date", "due_date", "done_date", "duration",
                       "last_comment_date", "last_preview_file_id", "priority", "real_start_date", "retake_count",
                       "start_date", "difficulty", "task_status_id", "task_type_id", "data")
ENTITY_KEYS = ("id", "name", "status", "parent_id", "description", "data", "preview_file_id", "canceled")


def entities_with_tasks(ctx: RequestContext, kind: str, params: Params) -> list[Row]:
    """Sequences or episodes with their tasks (Zou's ``get_entities_and_tasks``). Its quirks are
    kept: ``episode_id`` filters on the parent (``all`` answers nothing, ``main``: no parent) and
    ``episode_id`` is the parent id as text ("None" for none)."""
    check_id_params(params, ("project_id", "episode_id"))
    episode_id = _first(params, "episode_id")
    with ctx.read() as conn:
        role, scope = _project_clauses(ctx, conn, params)
        if episode_id == ALL:
            return []
        vendor, task_clause = _vendor_scope(ctx, role, kind)
        where = [E.c.entity_type_id == types.type_id(ctx.state, kind), *scope, *vendor]
        if episode_id is not None:
            where.append(E.c.parent_id.is_(None) if episode_id == MAIN else E.c.parent_id == episode_id)
        stmt = sa.select(*(E.c[k] for k in ENTITY_KEYS)).where(*where).order_by(E.c.name, E.c.id)
        rows = conn.execute(stmt).all()
        tasks = q.tasks_for_screen(conn, sa.and_(*where), ctx.person_id, ENTITY_TASK_COLUMNS,
                                   task_clause) if rows else {}
    out = []
    for row in rows:
        item = dict(zip(ENTITY_KEYS, row))
        data = item.pop("data") or {}
        parent_id = item.pop("parent_id")
        out.append({
            "id": item["id"], "name": item["name"], "status": item["status"] or "running",
            "episode_id": str(parent_id), "description": item["description"],
            "frame_in": data.get("frame_in"), "frame_out": data.get("frame_out"), "fps": data.get("fps"),
            "preview_file_id": item["preview_file_id"] or "", "canceled": item["canceled"], "data": data,
            "tasks": tasks.get(item["id"], []),
        })
    return out


# ----------------------------------------------------------------------------- edits, concepts

EDIT_TASK_COLUMNS = ("id", "duration", "due_date", "entity_id", "end_date", "estimation", "last_comment_date",
                     "last_preview_file_id", "nb_assets_ready", "priority", "real_start_date", "retake_count",
                     "start_date", "task_status_id", "task_type_id", "data")
EDIT_KEYS = ("canceled", "data", "description", "entity_type_id", "id", "name", "parent_id", "preview_file_id",
             "project_id", "source_id", "nb_entities_out")


def edits_with_tasks(ctx: RequestContext, params: Params) -> list[Row]:
    """Kitsu's edit list: edits with their episode and project names and their tasks."""
    check_id_params(params)
    episode_id = _first(params, "episode_id")
    ep, p = _EP_ALIAS, s.project
    with ctx.read() as conn:
        role, scope = _project_clauses(ctx, conn, params)
        vendor, task_clause = _vendor_scope(ctx, role, types.EDIT)
        where = [E.c.entity_type_id == types.type_id(ctx.state, types.EDIT), *scope, *vendor, *_id_clause(params)]
        if episode_id is not None and episode_id != ALL:
            where.append(E.c.parent_id.is_(None) if episode_id == MAIN else E.c.parent_id == episode_id)
        stmt = (
            sa.select(*(E.c[k] for k in EDIT_KEYS), ep.c.id, ep.c.name, p.c.name)
            .select_from(E.join(p, p.c.id == E.c.project_id).outerjoin(ep, ep.c.id == E.c.parent_id))
            .where(*where)
            .order_by(ep.c.name, E.c.name, E.c.id)
        )
        rows = conn.execute(stmt).all()
        tasks = q.tasks_for_screen(conn, sa.and_(*where), ctx.person_id, EDIT_TASK_COLUMNS,
                                   task_clause) if rows else {}
    out = []
    n = len(EDIT_KEYS)
    for row in rows:
        edit = dict(zip(EDIT_KEYS, row[:n]))
        edit_episode_id, episode_name, project_name = row[n:]
        edit["data"] = edit["data"] or {}
        edit.update(episode_id=edit_episode_id, episode_name=episode_name or "", project_name=project_name,
                    tasks=tasks.get(edit["id"], []), type=types.EDIT)
        out.append(edit)
    return out


CONCEPT_TASK_COLUMNS = ("id", "duration", "due_date", "end_date", "entity_id", "estimation", "last_comment_date",
                        "nb_assets_ready", "priority", "real_start_date", "retake_count", "start_date",
                        "task_status_id", "task_type_id", "data")
CONCEPT_KEYS = ("canceled", "data", "description", "entity_type_id", "id", "name", "nb_frames", "parent_id",
                "preview_file_id", "project_id", "source_id", "nb_entities_out", "is_casting_standby", "created_by",
                "created_at", "updated_at")


def concepts_with_tasks(ctx: RequestContext, params: Params) -> list[Row]:
    """Kitsu's concept list: concepts with their tasks and the entities they are linked to.
    Vendors and clients are refused, as in Zou."""
    check_id_params(params, ("id", "project_id"))
    p, link = s.project, s.entity_concept_link
    with ctx.read() as conn:
        role, scope = _project_clauses(ctx, conn, params)
        if role in (perm.VENDOR, perm.CLIENT):
            raise Forbidden()
        where = [E.c.entity_type_id == types.type_id(ctx.state, types.CONCEPT), *scope, *_id_clause(params)]
        stmt = (sa.select(*(E.c[k] for k in CONCEPT_KEYS), p.c.name)
                .select_from(E.join(p, p.c.id == E.c.project_id)).where(*where).order_by(E.c.name, E.c.id))
        rows = conn.execute(stmt).all()
        tasks = q.tasks_for_screen(conn, sa.and_(*where), ctx.person_id, CONCEPT_TASK_COLUMNS) if rows else {}
        links: dict[str, list[str]] = {}
        if rows:
            concept_ids = sa.select(E.c.id).where(*where)
            for concept_id, entity_id in conn.execute(sa.select(link.c.entity_in_id, link.c.entity_out_id)
                                                      .where(link.c.entity_in_id.in_(concept_ids))):
                links.setdefault(concept_id, []).append(entity_id)
    out = []
    n = len(CONCEPT_KEYS)
    for row in rows:
        concept = dict(zip(CONCEPT_KEYS, row[:n]))
        data = concept["data"] or {}
        concept.update(data=data, fps=data.get("fps"), frame_in=data.get("frame_in"), frame_out=data.get("frame_out"),
                       project_name=row[n], tasks=tasks.get(concept["id"], []),
                       entity_concept_links=links.get(concept["id"], []), type=types.CONCEPT,
                       created_at=_seconds(concept["created_at"]), updated_at=_seconds(concept["updated_at"]))
        out.append(concept)
    return out
