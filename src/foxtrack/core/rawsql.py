"""Fast reads for large result sets: the compiled SQL run through the driver, without
SQLAlchemy's per-value result processing.

JSON columns come back as text on SQLite; they are passed to the response as ``orjson.Fragment``
(embedded as they are, never parsed). Booleans come back as 0/1 on SQLite and are converted by the
caller's ``bools`` indexes. On PostgreSQL the driver already returns dicts and booleans.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable


def raw_rows(conn: Connection, stmt: Executable) -> Sequence[Any]:
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
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
