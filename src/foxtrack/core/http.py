"""Request parsing with Zou's 400 answers: JSON bodies, pagination and NUL-free query strings.

Every string that reaches the database is NUL-free (PostgreSQL refuses NUL in text and JSONB;
SQLite would store it): JSON bodies and query strings are checked here, with a byte search that
costs nothing on the common path and a walk only when a NUL may be there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, overload
from urllib.parse import parse_qsl

import orjson
from fastapi import Depends, Request

from foxtrack.core.errors import BadRequest, validation_error, wrong_parameter

__all__ = [
    "MAX_INT",
    "NUL_MESSAGE",
    "Page",
    "json_any",
    "json_body",
    "nul_path",
    "pagination",
    "query_int",
    "refuse_nul_query",
]

# the largest page number or size taken: an INTEGER on PostgreSQL, and offsets stay in a BIGINT
MAX_INT = 2**31 - 1
NUL_MESSAGE = "String should not contain NUL characters"


# ----------------------------------------------------------------------------- JSON bodies

async def json_any(request: Request) -> Any:
    """The parsed JSON body, object or array (400 on garbage or a NUL in a string; None when empty)."""
    raw = await request.body()
    if not raw:
        return None
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest("Invalid JSON body.") from exc
    # a NUL can only arrive escaped (a raw control character is invalid JSON)
    if b"\\u0000" in raw:
        path = nul_path(body)
        if path is not None:
            raise validation_error({path or "body": NUL_MESSAGE}, "Validation error.")
    return body


async def json_body(request: Request) -> dict[str, Any]:
    """The parsed JSON object of the body ({} when empty; 400 on garbage or a non-object)."""
    body = await json_any(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise BadRequest("JSON body must be an object.")
    return body


# The body read on the event loop, for handlers that run on the thread pool (plain ``def``):
# ``def handler(payload: JsonBody, ctx: Ctx)``.
JsonBody = Annotated[dict[str, Any], Depends(json_body)]
JsonAny = Annotated[Any, Depends(json_any)]


def nul_path(value: Any, prefix: str = "") -> str | None:
    """Where ``value`` holds a NUL character (in a string or a key), as pydantic names a field
    (``data.key``, ``items.0``); None when it holds none."""
    if isinstance(value, str):
        return prefix if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{prefix}.{key}" if prefix else str(key)
            if "\x00" in str(key):
                return here.replace("\x00", "")
            found = nul_path(item, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_path(item, f"{prefix}.{index}" if prefix else str(index))
            if found is not None:
                return found
    return None


# ----------------------------------------------------------------------------- query strings

def refuse_nul_query(query_string: bytes) -> None:
    """400 (Zou's "Wrong value for parameter <name>.") when a query parameter holds a NUL."""
    if b"%00" not in query_string and b"\x00" not in query_string:
        return
    for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if "\x00" in key or "\x00" in value:
            raise wrong_parameter(f"Wrong value for parameter {key.replace(chr(0), '')}.")


@overload
def query_int(params: Mapping[str, str], name: str, default: int, *, minimum: int = 1,
              maximum: int = MAX_INT) -> int: ...


@overload
def query_int(params: Mapping[str, str], name: str, default: None, *, minimum: int = 1,
              maximum: int = MAX_INT) -> int | None: ...


def query_int(params: Mapping[str, str], name: str, default: int | None, *, minimum: int = 1,
              maximum: int = MAX_INT) -> int | None:
    """An integer query parameter: ``default`` when absent or empty, else a whole number from
    ``minimum`` to ``maximum``; 400 with Zou's parameter error otherwise."""
    raw = params.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise wrong_parameter(f"{name} must be an integer.") from exc
    if value < minimum:
        kind = {1: "a positive integer", 0: "a non-negative integer"}.get(minimum, f"{minimum} or more")
        raise wrong_parameter(f"{name} must be {kind}.")
    if value > maximum:
        raise wrong_parameter(f"{name} must be {maximum} or less.")
    return value


@dataclass(frozen=True)
class Page:
    """A requested page: ``page`` counts from 1, ``limit`` rows per page."""

    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


@overload
def pagination(params: Mapping[str, str], default_limit: int, *, default_page: int,
               max_limit: int | None = None) -> Page: ...


@overload
def pagination(params: Mapping[str, str], default_limit: int, *, default_page: None = None,
               max_limit: int | None = None) -> Page | None: ...


def pagination(params: Mapping[str, str], default_limit: int, *, default_page: int | None = None,
               max_limit: int | None = None) -> Page | None:
    """``page`` and ``limit`` of a list read, the one parser of both. None when no page is asked for
    and ``default_page`` is None (the whole list). ``limit=0`` or no limit means ``default_limit``
    (Zou's ``limit or NB_RECORDS_PER_PAGE``); a limit above ``max_limit`` is cut to it; a page
    below 1 or a negative limit is a 400."""
    # both are checked even when no page is asked for, as Zou reads both
    limit = query_int(params, "limit", default_limit, minimum=0) or default_limit
    page = query_int(params, "page", default_page)
    if page is None:
        return None
    if max_limit is not None:
        limit = min(limit, max_limit)
    return Page(page, limit)
