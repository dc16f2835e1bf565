"""Secondary reads around entities: asset types, task types, previews, news, child tasks."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import BadRequest, NotFound
from foxtrack.core.filters import compile_filters
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import ASSET_TYPE, ENTITY, ENTITY_TYPE, MODELS, TASK
from foxtrack.db import schema as s
from foxtrack.entities import queries as q
from foxtrack.entities import service, types

Row = dict[str, Any]
E = s.entity


def check_project(ctx: RequestContext, project_id: str) -> None:
    with ctx.read() as conn:
        service.load_project(conn, project_id)
        perm.check_project_access(ctx, conn, project_id)


def check_parent(ctx: RequestContext, entity_id: str, kind: str) -> Row:
    with ctx.read() as conn:
        return service.load(ctx, conn, entity_id, kind)


# ----------------------------------------------------------------------------- asset types

def _asset_type_rows(ctx: RequestContext, clauses: list[Any], relations: bool) -> list[Row]:
    with ctx.read() as conn:
        stmt = ASSET_TYPE.select().where(types.asset_clause(ctx.state, s.entity_type.c.id), *clauses)
        rows = ASSET_TYPE.to_dicts(conn.execute(stmt.order_by(s.entity_type.c.name)))
        if relations:
            ENTITY_TYPE.add_relations(conn, rows)
        return rows


def asset_types(ctx: RequestContext, params: dict[str, list[str]]) -> list[Row]:
    return _asset_type_rows(ctx, compile_filters(ASSET_TYPE, params), relations=True)


def asset_type(ctx: RequestContext, asset_type_id: str) -> Row:
    if not is_uuid(asset_type_id):
        raise NotFound()
    rows = _asset_type_rows(ctx, [s.entity_type.c.id == asset_type_id], relations=True)
    if not rows:
        raise NotFound()
    return rows[0]


def project_asset_types(ctx: RequestContext, project_id: str) -> list[Row]:
    check_project(ctx, project_id)
    used = sa.select(E.c.entity_type_id).where(E.c.project_id == project_id).distinct()
    return _asset_type_rows(ctx, [s.entity_type.c.id.in_(used)], relations=False)


# ----------------------------------------------------------------------------- casting-derived

def cast_assets(ctx: RequestContext, entity_id: str) -> list[Row]:
    """Assets cast in a shot (or an asset), typed "Asset"."""
    link = s.entity_link
    with ctx.read() as conn:
        service.load(ctx, conn, entity_id)
        ids = sa.select(link.c.entity_out_id).where(link.c.entity_in_id == entity_id)
        return q.select_entities(ctx.state, conn, [E.c.id.in_(ids)], types.ASSET)


def shot_asset_types(ctx: RequestContext, shot_id: str) -> list[Row]:
    link = s.entity_link
    with ctx.read() as conn:
        service.load(ctx, conn, shot_id, types.SHOT)
    ids = sa.select(E.c.entity_type_id).join(link, link.c.entity_out_id == E.c.id).where(link.c.entity_in_id == shot_id)
    return _asset_type_rows(ctx, [s.entity_type.c.id.in_(ids)], relations=False)


# ----------------------------------------------------------------------------- tasks

def task_types_of(ctx: RequestContext, entity_id: str, kind: str | None) -> list[Row]:
    model = MODELS["task-types"]
    tt = s.task_type
    with ctx.read() as conn:
        service.load(ctx, conn, entity_id, kind)
        used = sa.select(s.task.c.task_type_id).where(s.task.c.entity_id == entity_id)
        stmt = model.select().where(tt.c.id.in_(used)).order_by(tt.c.priority, tt.c.name)
        return model.to_dicts(conn.execute(stmt))


def _tasks(conn: Any, clause: Any) -> list[Row]:
    rows = TASK.to_dicts(conn.execute(TASK.select().where(clause)))
    TASK.add_relations(conn, rows)
    return rows


def tasks_of_entity(ctx: RequestContext, entity_id: str, kind: str) -> list[Row]:
    with ctx.read() as conn:
        service.load(ctx, conn, entity_id, kind)
        return _tasks(conn, s.task.c.entity_id == entity_id)


def child_tasks(ctx: RequestContext, kind: str, entity_id: str, child: str) -> list[Row]:
    """Tasks of the shots / assets / edits under an episode or sequence."""
    with ctx.read() as conn:
        parent = service.load(ctx, conn, entity_id, kind)
        if child == types.SHOT:
            if kind == types.EPISODE:
                sequences = sa.select(E.c.id).where(E.c.parent_id == entity_id)
                entities = sa.select(E.c.id).where(E.c.parent_id.in_(sequences))
            else:
                entities = sa.select(E.c.id).where(E.c.parent_id == entity_id)
        elif child == types.EDIT:
            entities = sa.select(E.c.id).where(E.c.parent_id == entity_id)
        else:
            entities = sa.select(E.c.id).where(  # the episode's own assets (Zou: not those cast in it)
                E.c.project_id == parent["project_id"],
                types.asset_clause(ctx.state, E.c.entity_type_id),
                E.c.source_id == entity_id,
            )
        return _tasks(conn, s.task.c.entity_id.in_(entities))


# ----------------------------------------------------------------------------- previews and news

PREVIEW_KEYS = ("id", "revision", "position", "original_name", "extension", "width", "height", "duration", "status",
                "annotations", "task_id", "created_at")


def preview_files_by_task_type(ctx: RequestContext, entity_id: str, kind: str | None) -> dict[str, list[Row]]:
    """{task_type_id: [preview files, newest revision first]}; files of the same revision are listed
    under the first one's ``previews``."""
    pf, t = s.preview_file, s.task
    with ctx.read() as conn:
        service.load(ctx, conn, entity_id, kind)
        stmt = (
            sa.select(*(pf.c[k] for k in PREVIEW_KEYS), t.c.task_type_id)
            .join(t, t.c.id == pf.c.task_id)
            .where(t.c.entity_id == entity_id)
            .order_by(pf.c.revision.desc(), pf.c.position, pf.c.created_at.desc())
        )
        grouped: dict[str, list[Row]] = {}
        heads: dict[tuple[str, int], Row] = {}
        for row in conn.execute(stmt):
            item = dict(zip(PREVIEW_KEYS, row[:-1]))
            item["created_at"] = (item["created_at"] or "")[:19]
            item.update({"original_duration": None, "original_file_size": None, "original_height": None,
                         "original_width": None})
            key = (item["task_id"], item["revision"])
            head = heads.get(key)
            sub = {k: item[k] for k in ("id", "revision", "position", "extension", "status", "annotations",
                                        "width", "height", "duration", "original_name", "task_id")}
            if head is None:
                item["previews"] = [sub]
                heads[key] = item
                grouped.setdefault(row[-1], []).append(item)
            else:
                head["previews"].append(sub)
        return grouped


def entity_news(ctx: RequestContext, entity_id: str) -> Any:
    """The news of an entity's tasks, newest first, in the project feed's paginated shape (Zou reads
    up to 2,000)."""
    from foxtrack.events_api.service import project_news

    with ctx.read() as conn:
        entity = service.load(ctx, conn, entity_id)
    return project_news(ctx, [entity["project_id"]], {"limit": "2000"}, entity_id=entity_id)


def entity_time_spents(ctx: RequestContext, entity_id: str) -> list[Row]:
    """Time spent on the tasks of an entity, newest day first."""
    model = MODELS["time-spents"]
    with ctx.read() as conn:
        service.load(ctx, conn, entity_id)
        tasks = sa.select(s.task.c.id).where(s.task.c.entity_id == entity_id)
        stmt = model.select().where(s.time_spent.c.task_id.in_(tasks)).order_by(s.time_spent.c.date.desc())
        return model.to_dicts(conn.execute(stmt))


def entity_versions(ctx: RequestContext, entity_id: str, kind: str) -> list[Row]:
    """Zou's ``ShotVersion`` / ``EditVersion`` history. foxtrack records no metadata versions, so a
    shot or edit the caller may read has none (404 for anything else)."""
    with ctx.read() as conn:
        service.load(ctx, conn, entity_id, kind)
    return []


# ----------------------------------------------------------------------------- bulk removal

def delete_many(ctx: RequestContext, project_id: str, body: Any, force: bool) -> list[str]:
    """``POST actions/projects/{id}/delete-entities``: remove the listed entities of the project."""
    if not isinstance(body, list) or not all(is_uuid(i) for i in body):
        raise BadRequest("A list of entity ids is expected.")
    done = []
    with ctx.write() as tx:
        service.load_project(tx.conn, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        for entity_id in dict.fromkeys(body):
            row = ENTITY.get(tx.conn, entity_id)
            if row is None or row["project_id"] != project_id:
                continue
            row["type"] = types.json_type(ctx.state, tx.conn, row["entity_type_id"])
            service.remove_loaded(tx, row, force)
            done.append(entity_id)
    return done

