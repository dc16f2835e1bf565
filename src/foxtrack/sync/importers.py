"""``POST /import/kitsu/<model>``: rows serialised by another Kitsu instance, created or updated by id.

This is what Zou's instance sync (``zou sync-*``, gazu's ``sync`` module) sends: JSON arrays of
rows as that instance answers them. Ids and creation dates are kept, ``updated_at`` becomes now,
link lists (task assignees, project team...) replace the stored ones. A whole request is one
transaction: one bad row and nothing is written.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import BadRequest
from foxtrack.core.jsonutil import is_uuid, normalize_datetime
from foxtrack.core.models import (
    COMMENT,
    ENTITY,
    METADATA_DESCRIPTOR,
    MODELS,
    PROJECT,
    TASK,
    Model,
)
from foxtrack.crud.policy import policies_of
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.entities import removal, types

Row = dict[str, Any]

# URL name -> (model, the relationships taken from the rows)
IMPORTABLE: dict[str, tuple[Model, tuple[str, ...]]] = {
    "projects": (PROJECT, tuple(PROJECT.relations)),
    "entities": (ENTITY, ()),
    "entity-links": (MODELS["entity-links"], ()),
    "tasks": (TASK, ("assignees",)),
    "comments": (COMMENT, tuple(COMMENT.relations)),
    "metadata-descriptors": (METADATA_DESCRIPTOR, tuple(METADATA_DESCRIPTOR.relations)),
    "milestones": (MODELS["milestones"], ()),
    "schedule-items": (MODELS["schedule-items"], ()),
    "news": (MODELS["news"], ()),
    "notifications": (MODELS["notifications"], ()),
    "subscriptions": (MODELS["subscriptions"], ()),
    "time-spents": (MODELS["time-spents"], ()),
    "playlists": (MODELS["playlists"], ()),
    "preview-files": (MODELS["preview-files"], ()),
    "attachment-files": (MODELS["attachment-files"], ()),
    "build-jobs": (MODELS["build-jobs"], ()),
}
_NAMES = {"entity-links": "entity links", "time-spents": "time spents", "schedule-items": "schedule items",
          "preview-files": "preview files", "attachment-files": "attachment files", "build-jobs": "build jobs",
          "metadata-descriptors": "metadata descriptors"}


def _rows(kind: str, body: Any) -> list[Row]:
    if not isinstance(body, list):
        raise BadRequest(f"A list of {_NAMES.get(kind, kind)} is expected.", data=None)
    for i, row in enumerate(body):
        if not isinstance(row, dict):
            raise BadRequest(f"Item {i} is not an object.", data=None)
        if not is_uuid(row.get("id")):
            raise BadRequest(f"Item {i} has no valid id.", data=None)
    return body


def _event(ctx: RequestContext, tx: Tx, kind: str, model: Model, row: Row, verb: str) -> None:
    if model is ENTITY:
        prefix = types.json_type(ctx.state, tx.conn, row["entity_type_id"]).lower()
    else:
        prefix = crud.event_prefix(model, policies_of(ctx.state).get(model.path))
    project_id = row.get("project_id") if kind != "projects" else row["id"]
    tx.emit(f"{prefix}:{verb}", {f"{prefix.replace('-', '_')}_id": row["id"]}, project_id=project_id)


def _references(model: Model, kind: str) -> list[tuple[str, sa.Table]]:
    """(column, referenced table) pairs checked before writing (SQLite does not enforce them)."""
    refs = [(c.name, next(iter(c.foreign_keys)).column.table) for c in model.table.c if c.foreign_keys]
    if kind == "entity-links":
        refs += [("entity_in_id", s.entity), ("entity_out_id", s.entity)]
    return [(name, table) for name, table in refs if isinstance(table, sa.Table)]


def _check_references(tx: Tx, model: Model, kind: str, index: int, values: Row) -> None:
    for name, table in _references(model, kind):
        value = values.get(name)
        if value is None:
            continue
        if tx.execute(sa.select(table.c.id).where(table.c.id == value)).first() is None:
            raise BadRequest(f"Item {index}: {name} {value} does not exist.", data=None)


def _upsert(ctx: RequestContext, tx: Tx, kind: str, model: Model, relations: tuple[str, ...], index: int,
            item: Row) -> Row:
    values, links = crud.split_body(model, item)
    _check_references(tx, model, kind, index, values)
    links = {name: ids for name, ids in links.items() if name in relations}
    item_id = item["id"]
    exists = tx.execute(sa.select(model.table.c.id).where(model.table.c.id == item_id)).first() is not None
    if not exists and kind == "entity-links":
        # the same cast under another id on this side: update that one
        link = model.table.c
        local = tx.execute(sa.select(link.id).where(link.entity_in_id == values.get("entity_in_id"),
                                                   link.entity_out_id == values.get("entity_out_id"))).scalar()
        if local is not None:
            item_id, exists = local, True
    if exists:
        crud.update_row(tx, model, item_id, values)
        crud.write_relations(tx, model, item_id, links, replace=True)
        verb = "update"
    else:
        try:
            created_at = normalize_datetime(item.get("created_at"))
        except (ValueError, TypeError):
            created_at = None
        crud.insert(tx, model, {**values, "id": item_id, "created_at": created_at}, links)
        verb = "new"
    stored = crud.load(tx.conn, model, item_id)
    if model.relations and relations:
        model.add_relations(tx.conn, [stored], relations)
    _event(ctx, tx, kind, model, stored, verb)
    return stored


def import_rows(ctx: RequestContext, kind: str, body: Any) -> list[Row]:
    """Create or update every row of ``body`` (admins); answers the stored rows."""
    perm.require_admin(ctx)
    model, relations = IMPORTABLE[kind]
    rows = _rows(kind, body)
    try:
        with ctx.write() as tx:
            out = [_upsert(ctx, tx, kind, model, relations, i, row) for i, row in enumerate(rows)]
            if kind == "entity-links":
                removal.recount_casting(tx, sorted({r["entity_in_id"] for r in out if r.get("entity_in_id")}))
    except IntegrityError as exc:
        raise BadRequest(f"The rows do not fit the database: {exc.orig}", data=None) from exc
    return out
