"""One filter compiler: Zou's query-string filters become SQL clauses.

``?name=x`` is a case-insensitive match (ILIKE, as Zou, with ``%`` and ``_`` taken literally),
``?k=[a,b]`` and repeated keys are IN,
a relationship key (``assignees``, ``team``, ``departments``) is an EXISTS on its link table,
booleans accept ``True``/``true``/``1``, UUID columns refuse malformed values, integers outside
the column's range and NUL characters are refused (400). Unknown keys are ignored, as Zou does;
only whitelisted columns ever reach SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson
import sqlalchemy as sa

from foxtrack.core.errors import BadRequest, wrong_parameter
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import Model

RESERVED = frozenset({"page", "limit", "relations", "fields", "offset", "with_pass_hash", "force", "order_by"})

TRUE = frozenset({"true", "1", "yes", "t", "y"})
FALSE = frozenset({"false", "0", "no", "f", "n"})

VirtualFilter = Callable[[list[str]], sa.ColumnElement[bool]]

INT_RANGE = (-(2**31), 2**31 - 1)  # an INTEGER column on PostgreSQL
LIKE_ESCAPE = "\\"


def parse_bool(value: str) -> bool:
    low = value.strip().lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    raise BadRequest(f"Invalid boolean value: {value}")


def group_params(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, value in items:
        grouped.setdefault(key, []).append(value)
    return grouped


def like_literal(value: str) -> str:
    """``value`` as a LIKE pattern that matches itself only (``%``, ``_`` and the escape taken
    literally); use with ``escape=LIKE_ESCAPE``."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _expand(key: str, values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        if v.startswith("["):
            try:
                parsed = orjson.loads(v)
            except orjson.JSONDecodeError as exc:
                raise BadRequest(f"Invalid list filter: {v}") from exc
            out.extend(str(x) for x in parsed)
        else:
            out.append(v)
    for v in out:
        if "\x00" in v:
            raise wrong_parameter(f"Wrong value for parameter {key.replace(chr(0), '')}.")
    return out


def _cast(column: sa.Column[Any], value: str) -> Any:
    t = column.type
    if isinstance(t, sa.Boolean):
        return parse_bool(value)
    if isinstance(t, sa.Integer):
        try:
            number = int(value)
        except ValueError as exc:
            raise BadRequest(f"Invalid integer value for {column.name}: {value}") from exc
        if not isinstance(t, sa.BigInteger) and not INT_RANGE[0] <= number <= INT_RANGE[1]:
            raise BadRequest(f"Invalid integer value for {column.name}: {value}")
        return number
    if isinstance(t, sa.Float):
        try:
            return float(value)
        except ValueError as exc:
            raise BadRequest(f"Invalid number value for {column.name}: {value}") from exc
    if isinstance(t, sa.String) and t.length == 36 and value not in ("None", "null"):
        if not is_uuid(value):
            raise BadRequest("Malformed ID.", data=None)
    return value


def compile_filters(
    model: Model,
    params: dict[str, list[str]],
    virtual: dict[str, VirtualFilter] | None = None,
) -> list[sa.ColumnElement[bool]]:
    """Clauses for the query-string filters that apply to ``model``."""
    clauses: list[sa.ColumnElement[bool]] = []
    table = model.table
    for key, raw_values in params.items():
        if key in RESERVED:
            continue
        values = _expand(key, raw_values)
        if virtual and key in virtual:
            clauses.append(virtual[key](values))
            continue
        if key in model.relations:
            rel = model.relations[key]
            for v in values:
                if not is_uuid(v):
                    raise BadRequest("Malformed ID.", data=None)
            link = rel.table
            clauses.append(
                sa.exists().where(link.c[rel.local] == table.c.id, link.c[rel.remote].in_(values))
            )
            continue
        if key not in model.column_names or key in model.hidden:
            continue
        column = table.c[key]
        if any(v in ("None", "null") for v in values) and len(values) == 1:
            clauses.append(column.is_(None))
            continue
        cast = [_cast(column, v) for v in values]
        if key == "name" and isinstance(column.type, sa.String):
            # a name longer than its column matches nothing (and SQLite refuses LIKE patterns
            # over 50,000 bytes)
            longest = column.type.length or 50_000
            likes = [column.ilike(like_literal(v), escape=LIKE_ESCAPE) if len(v) <= longest else sa.false()
                     for v in cast]
            clauses.append(likes[0] if len(likes) == 1 else sa.or_(sa.false(), *likes))
        elif len(cast) == 1:
            clauses.append(column == cast[0])
        else:
            clauses.append(column.in_(cast))
    return clauses
