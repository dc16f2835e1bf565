"""Hooks of the generic CRUD for ``data/entities`` and ``data/entity-types`` (asset types)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from foxtrack.core.context import RequestContext, Tx
from foxtrack.crud.policy import Policies
from foxtrack.entities import queries as q
from foxtrack.entities import service, types

Row = dict[str, Any]


def _typed_one(ctx: RequestContext, conn: Connection, row: Row) -> Row:
    row["type"] = types.json_type(ctx.state, conn, row["entity_type_id"])
    q.add_entity_relations(conn, [row])
    return row


def _typed_many(ctx: RequestContext, conn: Connection, rows: list[Row]) -> list[Row]:
    for row in rows:
        row["type"] = types.json_type(ctx.state, conn, row["entity_type_id"])
    return rows


def _before_create(ctx: RequestContext, tx: Tx, values: Row) -> Row:
    values["__relations__"] = {}
    values.setdefault("created_by", ctx.person_id)
    if values.get("data") is None:
        values["data"] = {}
    return values


def _after_create(ctx: RequestContext, tx: Tx, row: Row, body: Row) -> Row:
    row["type"] = types.json_type(ctx.state, tx.conn, row["entity_type_id"])
    service.emit_new(ctx, tx, row)
    return row


def _before_update(ctx: RequestContext, tx: Tx, current: Row, values: Row) -> Row:
    values["__relations__"] = {}  # casting is written through the casting routes only
    links = (values.get("__body__") or {}).get("entity_concept_links")
    if links is not None:
        service.replace_concept_links(tx, current["id"], links)
    return service.merge_update_values(current, values)


def _after_update(ctx: RequestContext, tx: Tx, row: Row, current: Row) -> Row:
    row = _typed_one(ctx, tx.conn, row)
    prefix = service.kind_event(row["type"])
    tx.emit(f"{prefix}:update", {f"{prefix}_id": row["id"]}, project_id=row["project_id"])
    return row


def _delete(ctx: RequestContext, tx: Tx, current: Row, force: bool) -> None:
    current["type"] = types.json_type(ctx.state, tx.conn, current["entity_type_id"])
    service.remove_loaded(tx, current, force)


def _forget_types(ctx: RequestContext, tx: Tx, row: Row, *_: Any) -> Row:
    types.forget(ctx.state)
    return row


def _delete_type(ctx: RequestContext, tx: Tx, current: Row, force: bool) -> None:
    import sqlalchemy as sa

    from foxtrack.core.errors import BadRequest
    from foxtrack.db import schema as s

    used = tx.execute(sa.select(s.entity.c.id).where(s.entity.c.entity_type_id == current["id"]).limit(1)).first()
    if used is not None:
        raise BadRequest("This record is still linked to other data and cannot be deleted.")
    link = s.task_type_asset_type_link
    tx.delete(link, link.c.asset_type_id == current["id"])
    tx.delete(s.project_asset_type_link, s.project_asset_type_link.c.asset_type_id == current["id"])
    tx.delete(s.entity_type, s.entity_type.c.id == current["id"])
    tx.emit("asset-type:delete", {"asset_type_id": current["id"]})
    types.forget(ctx.state)


def register_crud(policies: Policies) -> None:
    """This feature's rules for the generic ``/data/<model>`` routes (called by the app factory)."""
    policies.register(
        "entities",
        event_prefix="",
        before_create=_before_create,
        after_create=_after_create,
        before_update=_before_update,
        after_update=_after_update,
        delete_hook=_delete,
        shape_one=_typed_one,
        shape_many=_typed_many,
    )
    policies.register(
        "entity-types",
        event_prefix="asset-type",
        after_create=_forget_types,
        after_update=_forget_types,
        delete_hook=_delete_type,
    )
