"""JSON schemas from the tables: a column's type and size, a model's body, a key typed by name."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from foxtrack.core.models import Model
from foxtrack.db import schema as db

__all__ = ["READ_ONLY", "column_schema", "key_schema", "model_body", "model_filters"]

# keys a CRUD body may hold but the server sets itself (ignored or refused, never stored as given)
READ_ONLY = frozenset({"id", "created_at", "updated_at", "type", "seq"})


def column_schema(column: sa.Column[Any]) -> dict[str, Any]:
    """The JSON schema of what ``column`` stores (null allowed where the column allows it)."""
    kind = column.type
    out: dict[str, Any]
    if isinstance(kind, sa.Boolean):
        out = {"type": "boolean"}
    elif isinstance(kind, sa.Integer):
        out = {"type": "integer"}
    elif isinstance(kind, sa.Float | sa.Numeric):
        out = {"type": "number"}
    elif isinstance(kind, sa.JSON):
        return {}
    elif isinstance(kind, sa.String):
        out = {"type": "string"}
        if kind.length:
            out["maxLength"] = kind.length
        if column.info.get("ts"):
            out["format"] = "date-time"
        elif kind.length == 36 and (column.name == "id" or column.name.endswith("_id") or column.foreign_keys):
            out["format"] = "uuid"
    else:
        out = {"type": "string"}
    if column.nullable and not column.primary_key:
        return {"anyOf": [out, {"type": "null"}]}
    return out


def model_body(model: Model) -> dict[str, Any]:
    """The body of a CRUD create or update: the model's writable columns and relations."""
    properties: dict[str, Any] = {
        str(c.name): column_schema(c) for c in model.columns if c.name not in READ_ONLY
    }
    for name in model.relations:
        properties[name] = {"type": "array", "items": {"type": "string", "format": "uuid"}}
    return {"type": "object", "properties": properties}


def model_filters(model: Model) -> list[str]:
    """The query parameters a CRUD list takes: one filter per column, then the list options."""
    return [str(c.name) for c in model.columns] + ["relations", "fields", "page", "limit"]


@functools.cache
def _columns_by_name() -> dict[str, list[sa.Column[Any]]]:
    found: dict[str, list[sa.Column[Any]]] = {}
    for table in db.metadata.tables.values():
        for column in table.c:
            found.setdefault(str(column.name), []).append(column)
    return found


def key_schema(key: str, tables: Iterable[sa.Table] = ()) -> dict[str, Any]:
    """The schema of a body key: from the column it is written to (the first of ``tables`` with a
    column of that name, else any table's when they all agree), else from its name."""
    for table in tables:
        if key in table.c:
            return column_schema(table.c[key])
    everywhere = {repr(column_schema(c)) for c in _columns_by_name().get(key, [])}
    if len(everywhere) == 1:
        return column_schema(_columns_by_name()[key][0])
    if key.endswith("_ids"):
        return {"type": "array", "items": {"type": "string", "format": "uuid"}}
    if key.startswith("is_"):
        return {"type": "boolean"}
    return {"type": "string"}
