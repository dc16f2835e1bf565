"""Fast reads for large result sets: the compiled SQL run through the driver, without
SQLAlchemy's per-value result processing.

JSON columns come back as text on SQLite; they are passed to the response as ``orjson.Fragment``
(embedded as they are, never parsed). Booleans come back as 0/1 on SQLite and are converted by the
caller's ``bools`` indexes. On PostgreSQL the driver already returns dicts and booleans.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable


def _compiled(conn: Connection, stmt: Any) -> tuple[Any, Any]:
    """The statement compiled for the connection's dialect, reused while its shape repeats
    (SQLAlchemy's cache key; statements with expanding IN lists are compiled each time)."""
    key = stmt._generate_cache_key()
    cache: dict[Any, Any] = conn.engine.__dict__.setdefault("_foxtrack_raw_sql", {})
    if key is not None:
        compiled = cache.get(key.key)
        if compiled is not None:
            return compiled, compiled.construct_params(extracted_parameters=key.bindparams)
    compiled = stmt.compile(dialect=conn.dialect, cache_key=key) if key is not None else None
    if compiled is not None and not compiled.post_compile_params and not compiled.literal_execute_params:
        if len(cache) > 2000:
            cache.clear()
        cache[key.key] = compiled
        return compiled, compiled.construct_params(extracted_parameters=key.bindparams)
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    return compiled, compiled.construct_params()


def raw_rows(conn: Connection, stmt: Executable) -> Sequence[Any]:
    compiled, params = _compiled(conn, stmt)
    args: Any
    if compiled.positional and compiled.positiontup is not None:
        args = tuple(params[k] for k in compiled.positiontup)
    else:
        args = params
    return conn.exec_driver_sql(compiled.string, args).all()


def json_value(value: Any) -> Any:
    """A JSON column value ready for orjson: text stays unparsed (SQLite), objects pass."""
    if isinstance(value, str):
        return orjson.Fragment(value)
    return value


def parse_json(value: Any) -> Any:
    if isinstance(value, (str, bytes)):
        return orjson.loads(value)
    return value


def in_ids(column: Any, ids: Sequence[Any]) -> Any:
    """``column IN ids``, written as an equality for a single id: SQLAlchemy rewrites the SQL text
    of an expanding IN on every execution, which costs more than a one-row lookup."""
    return column == ids[0] if len(ids) == 1 else column.in_(ids)


class ForIds:
    """A statement over the rows picked by a list of ids, built once in its two shapes: ``column = :id``
    for one id and ``column IN (...)`` (an expanding list) for several. ``build`` makes the statement
    from the condition it is handed for a column; only the ids are bound at execution."""

    def __init__(self, build: Callable[[Callable[[Any], Any]], Executable]):
        self.one = build(lambda column: column == sa.bindparam("_for_id"))
        self.many = build(lambda column: column.in_(sa.bindparam("_for_ids", expanding=True)))

    def execute(self, conn: Connection, ids: Sequence[Any]) -> Any:
        """The result for ``ids`` (at least one)."""
        if len(ids) == 1:
            return conn.execute(self.one, {"_for_id": ids[0]})
        return conn.execute(self.many, {"_for_ids": list(ids)})
