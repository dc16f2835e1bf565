"""What every stored value must satisfy, the same on SQLite and PostgreSQL.

SQLite stores anything; PostgreSQL refuses a string longer than its column, a NUL character (in text and
in JSON), or a value of the wrong type, and answers with an error that used to surface as a 500. Every
write of the operations engine runs its values through the table's checker first, so both backends
answer the same 400 (Zou's validation shape, ``data.errors``), and neither stores what the other refuses.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from foxtrack.core.errors import BadRequest, validation_error

__all__ = ["check_rows", "checker", "has_nul"]

Check = Callable[[Any], str | None]


def has_nul(value: Any) -> bool:
    """A NUL character anywhere in a string, or in the keys and strings of a JSON value."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_nul(v) for v in value)
    return False


def _string(length: int | None) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return "Must be a string."
        if "\x00" in value:
            return "Must not contain NUL characters."
        if length is not None and len(value) > length:
            return f"Must be at most {length} characters long."
        return None
    return check


def _integer(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return "Must be an integer."
    if not -(2**63) <= value < 2**63:
        return "Is out of range."
    return None


def _float(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "Must be a number."
    if isinstance(value, float) and not math.isfinite(value):
        return "Must be a finite number."
    return None


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "Must be true or false."


def _json(value: Any) -> str | None:
    return "Must not contain NUL characters." if has_nul(value) else None


def _column_check(column: sa.Column[Any]) -> Check | None:
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return _boolean
    if isinstance(kind, sa.Integer):
        return _integer
    if isinstance(kind, sa.Float):
        return _float
    if isinstance(kind, sa.String):  # Text is a String without a length
        return _string(kind.length)
    if isinstance(kind, sa.JSON) or isinstance(getattr(kind, "impl", None), sa.JSON):
        return _json
    return _json


@lru_cache(maxsize=None)
def checker(table: sa.Table) -> dict[str, Check]:
    """Column name -> its check, computed once per table."""
    out: dict[str, Check] = {}
    for column in table.c:
        found = _column_check(column)
        if found is not None:
            out[column.name] = found
    return out


def check_rows(table: sa.Table, rows: Iterable[dict[str, Any]]) -> None:
    """400 (Zou's shape) on the first row with a value its column cannot store."""
    checks = checker(table)
    for row in rows:
        errors: dict[str, str] = {}
        for key, value in row.items():
            if value is None:
                continue
            check = checks.get(key)
            if check is None:
                if key not in table.c:
                    raise BadRequest(f"Unknown field {key}.")
                continue
            problem = check(value)
            if problem is not None:
                errors[key] = problem
        if errors:
            raise validation_error(errors)
