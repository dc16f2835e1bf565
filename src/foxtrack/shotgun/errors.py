"""Data import errors of the ShotGrid sync (``data_import_error`` rows with source ``shotgun``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import BadRequest, NotFound
from foxtrack.core.jsonutil import is_uuid, new_id, now
from foxtrack.db import schema as s

Row = dict[str, Any]
_ERROR = s.data_import_error


def _shape(row: Any) -> Row:
    out = dict(row._mapping)
    for key in ("created_at", "updated_at"):
        out[key] = out[key][:19] if out[key] else out[key]
    out["type"] = "DataImportError"
    return out


def list_errors(ctx: RequestContext) -> list[Row]:
    perm.require_admin(ctx)
    with ctx.read() as conn:
        rows = conn.execute(sa.select(_ERROR).where(_ERROR.c.source == "shotgun").order_by(_ERROR.c.created_at))
        return [_shape(row) for row in rows]


def add_error(ctx: RequestContext, body: Any) -> Row:
    perm.require_admin(ctx)
    if body is None:
        raise BadRequest("Data are empty. Please verify that you sent JSON data and that you set the right headers.")
    stamp = now()
    row = {"id": new_id(), "created_at": stamp, "updated_at": stamp, "event_data": body, "source": "shotgun"}
    with ctx.write() as tx:
        tx.insert(_ERROR, row)
        tx.emit("data-import-error:new", {"data_import_error_id": row["id"]})
    return {**row, "created_at": stamp[:19], "updated_at": stamp[:19], "type": "DataImportError"}


def remove_error(ctx: RequestContext, error_id: str) -> None:
    perm.require_admin(ctx)
    if not is_uuid(error_id):
        raise NotFound()
    with ctx.write() as tx:
        if not tx.delete(_ERROR, _ERROR.c.id == error_id, _ERROR.c.source == "shotgun"):
            raise NotFound()
        tx.emit("data-import-error:delete", {"data_import_error_id": error_id})
