"""Asset instances (an asset placed in a scene, or inside another asset) and the shots of a scene."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import BadRequest, NotFound, validation_error
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import ENTITY, MODELS
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.entities import service as entities

Row = dict[str, Any]
INSTANCE = MODELS["asset-instances"]
ai, link = s.asset_instance, s.asset_instance_link


def _instances(conn: Connection, *clauses: Any) -> list[Row]:
    rows = INSTANCE.to_dicts(conn.execute(INSTANCE.select().where(*clauses).order_by(ai.c.number, ai.c.created_at)))
    for row in rows:
        # columns of Zou's table foxtrack does not use (instances inside non-shot entities)
        row.setdefault("entity_id", None)
        row.setdefault("entity_type_id", None)
    return rows


def _grouped(rows: list[Row], key: str) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        out[row[key]].append(row)
    return dict(out)


def _field(body: Any, field: str) -> str:
    if not isinstance(body, dict) or not body.get(field):
        raise validation_error({field: "Field required"}, message="Validation error.")
    value = body[field]
    if not is_uuid(value):
        raise BadRequest(f"{field} must be a valid UUID")
    return str(value)


def _entity_for_write(ctx: RequestContext, conn: Connection, entity_id: str, kind: str) -> Row:
    row = entities.load(ctx, conn, entity_id, kind)
    perm.check_manager_project_access(ctx, conn, row["project_id"])
    return row


def _raw_entity(conn: Connection, entity_id: str) -> Row:
    row = ENTITY.get(conn, entity_id)
    if row is None:
        raise NotFound()
    return row


def _new_instance(tx: Tx, asset: Row, values: Row, scope: Any, description: Any) -> Row:
    number = tx.conn.execute(sa.select(sa.func.max(ai.c.number)).where(ai.c.asset_id == asset["id"], scope)).scalar()
    number = (number or 0) + 1
    row = crud.insert(tx, INSTANCE, {
        **values, "asset_id": asset["id"], "number": number, "name": f"{asset['name']}_{number:04d}",
        "description": description if isinstance(description, str) else None,
    })
    row.update(entity_id=None, entity_type_id=None)
    tx.emit("asset_instance:new", {"asset_instance_id": row["id"]}, project_id=asset["project_id"])
    return row


# ----------------------------------------------------------------------------- scenes

def scene_shots(ctx: RequestContext, scene_id: str) -> list[Row]:
    with ctx.read() as conn:
        scene = entities.load(ctx, conn, scene_id, "Scene")
        e, parent, project = s.entity, s.entity.alias("parent"), s.project
        stmt = (
            sa.select(*ENTITY.columns, project.c.name, parent.c.name)
            .join(project, project.c.id == e.c.project_id)
            .outerjoin(parent, parent.c.id == e.c.parent_id)
            .where(e.c.source_id == scene["id"])
            .order_by(e.c.name)
        )
        out = []
        for row in conn.execute(stmt):
            item = ENTITY.to_dict(row[: len(ENTITY.columns)], "Shot")
            item["project_name"], item["sequence_name"] = row[len(ENTITY.columns):]
            out.append(item)
        return out


def add_shot_to_scene(ctx: RequestContext, scene_id: str, body: Any) -> Row:
    shot_id = _field(body, "shot_id")
    with ctx.write() as tx:
        scene = _entity_for_write(ctx, tx.conn, scene_id, "Scene")
        shot = entities.load(ctx, tx.conn, shot_id, "Shot")
        crud.update_row(tx, ENTITY, shot["id"], {"source_id": scene["id"]})
        tx.emit("shot:update", {"shot_id": shot["id"]}, project_id=shot["project_id"])
        return _raw_entity(tx.conn, shot["id"])


def remove_shot_from_scene(ctx: RequestContext, scene_id: str, shot_id: str) -> None:
    with ctx.write() as tx:
        scene = _entity_for_write(ctx, tx.conn, scene_id, "Scene")
        shot = entities.load(ctx, tx.conn, shot_id, "Shot")
        if shot["source_id"] == scene["id"]:
            crud.update_row(tx, ENTITY, shot["id"], {"source_id": None})
            tx.emit("shot:update", {"shot_id": shot["id"]}, project_id=shot["project_id"])


def scene_instances(ctx: RequestContext, scene_id: str, cameras: bool = False) -> dict[str, list[Row]]:
    with ctx.read() as conn:
        scene = entities.load(ctx, conn, scene_id, "Scene")
        clauses: list[Any] = [ai.c.scene_id == scene["id"]]
        if cameras:
            camera_assets = (sa.select(s.entity.c.id).join(s.entity_type, s.entity_type.c.id == s.entity.c.entity_type_id)
                             .where(s.entity_type.c.name == "Camera"))
            clauses.append(ai.c.asset_id.in_(camera_assets))
        return _grouped(_instances(conn, *clauses), "asset_id")


def new_scene_instance(ctx: RequestContext, scene_id: str, body: Any) -> Row:
    asset_id = _field(body, "asset_id")
    with ctx.write() as tx:
        scene = _entity_for_write(ctx, tx.conn, scene_id, "Scene")
        asset = entities.load(ctx, tx.conn, asset_id, "Asset")
        return _new_instance(tx, asset, {"scene_id": scene["id"]}, ai.c.scene_id == scene["id"],
                             body.get("description"))


# ----------------------------------------------------------------------------- shots

def shot_instances(ctx: RequestContext, shot_id: str) -> dict[str, list[Row]]:
    with ctx.read() as conn:
        shot = entities.load(ctx, conn, shot_id, "Shot")
        linked = sa.select(link.c.asset_instance_id).where(link.c.entity_id == shot["id"])
        return _grouped(_instances(conn, ai.c.id.in_(linked)), "asset_id")


def add_instance_to_shot(ctx: RequestContext, shot_id: str, body: Any) -> Row:
    instance_id = _field(body, "asset_instance_id")
    with ctx.write() as tx:
        shot = _entity_for_write(ctx, tx.conn, shot_id, "Shot")
        crud.load(tx.conn, INSTANCE, instance_id)
        present = tx.conn.execute(sa.select(link.c.entity_id).where(
            link.c.entity_id == shot["id"], link.c.asset_instance_id == instance_id)).first()
        if present is None:
            tx.insert(link, {"entity_id": shot["id"], "asset_instance_id": instance_id})
        tx.emit("asset_instance:add-to-shot", {"shot_id": shot["id"], "asset_instance_id": instance_id},
                project_id=shot["project_id"])
        return _raw_entity(tx.conn, shot["id"])


def remove_instance_from_shot(ctx: RequestContext, shot_id: str, instance_id: str) -> None:
    with ctx.write() as tx:
        shot = _entity_for_write(ctx, tx.conn, shot_id, "Shot")
        crud.load(tx.conn, INSTANCE, instance_id)
        tx.delete(link, link.c.entity_id == shot["id"], link.c.asset_instance_id == instance_id)
        tx.emit("asset_instance:remove-from-shot", {"shot_id": shot["id"], "asset_instance_id": instance_id},
                project_id=shot["project_id"])


# ----------------------------------------------------------------------------- assets

def asset_shot_instances(ctx: RequestContext, asset_id: str) -> dict[str, list[Row]]:
    with ctx.read() as conn:
        asset = entities.load(ctx, conn, asset_id, "Asset")
        stmt = (
            sa.select(link.c.entity_id, *INSTANCE.columns)
            .join(ai, ai.c.id == link.c.asset_instance_id)
            .where(ai.c.asset_id == asset["id"])
            .order_by(ai.c.number)
        )
        out: dict[str, list[Row]] = defaultdict(list)
        for row in conn.execute(stmt):
            item = INSTANCE.to_dict(row[1:])
            item.update(entity_id=None, entity_type_id=None)
            out[row[0]].append(item)
        return dict(out)


def asset_scene_instances(ctx: RequestContext, asset_id: str) -> dict[str, list[Row]]:
    with ctx.read() as conn:
        asset = entities.load(ctx, conn, asset_id, "Asset")
        return _grouped(_instances(conn, ai.c.asset_id == asset["id"], ai.c.scene_id.is_not(None)), "scene_id")


def asset_asset_instances(ctx: RequestContext, asset_id: str) -> dict[str, list[Row]]:
    with ctx.read() as conn:
        asset = entities.load(ctx, conn, asset_id, "Asset")
        return _grouped(_instances(conn, ai.c.target_asset_id == asset["id"]), "asset_id")


def new_asset_asset_instance(ctx: RequestContext, asset_id: str, body: Any) -> Row:
    instantiated_id = _field(body, "asset_to_instantiate_id")
    with ctx.write() as tx:
        target = _entity_for_write(ctx, tx.conn, asset_id, "Asset")
        asset = entities.load(ctx, tx.conn, instantiated_id, "Asset")
        return _new_instance(tx, asset, {"target_asset_id": target["id"]}, ai.c.target_asset_id == target["id"],
                             body.get("description"))
