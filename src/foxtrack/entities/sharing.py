"""Production-wide changes on many entities at once: sharing assets with the other productions of
the studio, and setting shots' frame counts from the previews delivered for a task type."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import MalformedId, NotFound, validation_error, wrong_parameter
from foxtrack.core.jsonutil import is_uuid, now
from foxtrack.core.models import ENTITY
from foxtrack.db import schema as s
from foxtrack.entities import types

Row = dict[str, Any]
E = s.entity
TRUE_TEXTS, FALSE_TEXTS = ("true", "1", "yes", "on", "t", "y"), ("false", "0", "no", "off", "f", "n")


def _is_shared(body: Row) -> bool:
    value = body.get("is_shared", True)
    if value is None or isinstance(value, bool):
        return value is not False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in TRUE_TEXTS + FALSE_TEXTS:
        return value.lower() in TRUE_TEXTS
    raise validation_error({"is_shared": "Input should be a valid boolean"}, "Validation error.")


def _asset_ids(body: Row) -> list[str] | None:
    value = body.get("asset_ids")
    if value is None:
        return None
    if not isinstance(value, list):
        raise validation_error({"asset_ids": "Input should be a valid list"}, "Validation error.")
    for index, item in enumerate(value):
        if not is_uuid(item):
            raise validation_error({f"asset_ids.{index}": "Input should be a valid UUID"}, "Validation error.")
    return [str(item) for item in value]


def share_assets(ctx: RequestContext, body: Row, project_id: str | None = None, asset_type_id: str | None = None,
                 by_ids: bool = False) -> list[Row]:
    """Set ``is_shared`` (default true) on the assets of a production (of one asset type), or on
    the listed ``asset_ids`` (``by_ids``: managers of each of their productions); the assets changed."""
    is_shared = _is_shared(body)
    asset_ids = None if asset_type_id is not None else _asset_ids(body)
    if by_ids:
        asset_ids = asset_ids or []
    for value in (project_id, asset_type_id):
        if value is not None and not is_uuid(value):
            raise MalformedId()
    clauses: list[Any] = [types.asset_clause(ctx.state, E.c.entity_type_id)]
    with ctx.write() as tx:
        if project_id is not None:
            if tx.execute(sa.select(s.project.c.id).where(s.project.c.id == project_id)).first() is None:
                raise NotFound()
            perm.check_manager_project_access(ctx, tx.conn, project_id)
            clauses.append(E.c.project_id == project_id)
        if asset_type_id is not None:
            clauses.append(E.c.entity_type_id == asset_type_id)
        if asset_ids is not None:
            found = {r[0]: r[1] for r in tx.execute(sa.select(E.c.id, E.c.project_id)
                                                    .where(E.c.id.in_(asset_ids), *clauses))}
            if by_ids and len(found) < len(set(asset_ids)):
                raise NotFound()
            for asset_project in sorted(set(found.values())):
                perm.check_manager_project_access(ctx, tx.conn, asset_project)
            clauses.append(E.c.id.in_(asset_ids))
        ids = [row[0] for row in tx.execute(sa.select(E.c.id).where(*clauses).order_by(E.c.name, E.c.id))]
        for start in range(0, len(ids), 900):
            tx.update(E, {"is_shared": is_shared, "updated_at": now()}, E.c.id.in_(ids[start:start + 900]))
        assets = ENTITY.to_dicts(tx.execute(ENTITY.select().where(E.c.id.in_(ids)).order_by(E.c.name, E.c.id))) \
            if ids else []
    for asset in assets:
        asset["type"] = "Asset"
    return assets


def set_shot_frames(ctx: RequestContext, project_id: str, task_type_id: str, episode_id: str | None) -> list[Row]:
    """Each shot's ``nb_frames`` from the duration of its newest preview of the task type (times the
    production's fps); ``[{id, nb_frames}]`` of the shots changed."""
    if not is_uuid(project_id) or not is_uuid(task_type_id):
        raise wrong_parameter("Invalid project or task type id")
    if episode_id == "":
        episode_id = None
    if episode_id is not None and not is_uuid(episode_id):
        raise wrong_parameter("Invalid episode id")
    shot_type = types.type_id(ctx.state, types.SHOT)
    pf, task, seq = s.preview_file, s.task, E.alias("sequence")
    with ctx.write() as tx:
        fps_row = tx.execute(sa.select(s.project.c.fps).where(s.project.c.id == project_id)).first()
        if fps_row is None:
            raise NotFound()
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        try:
            fps = float(fps_row[0] or 25)
        except ValueError:
            fps = 25.0
        stmt = (sa.select(E.c.id, pf.c.duration, pf.c.created_at)
                .join(task, task.c.entity_id == E.c.id).join(pf, pf.c.task_id == task.c.id)
                .where(E.c.project_id == project_id, E.c.entity_type_id == shot_type,
                       task.c.task_type_id == task_type_id)
                .order_by(E.c.id, pf.c.created_at.desc(), pf.c.revision.desc()))
        if episode_id is not None:
            stmt = stmt.join(seq, seq.c.id == E.c.parent_id).where(seq.c.parent_id == episode_id)
        newest: dict[str, float | None] = {}
        for shot_id, duration, _created in tx.execute(stmt):
            newest.setdefault(shot_id, duration)
        updates = [{"id": shot_id, "nb_frames": round(float(duration) * fps)}
                   for shot_id, duration in newest.items() if duration is not None]
        stamp = now()
        for update in updates:
            tx.update(E, {"nb_frames": update["nb_frames"], "updated_at": stamp}, E.c.id == update["id"])
    return updates
