"""Request bodies: JSON parsing with Zou's 400 answers."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from foxtrack.core.errors import BadRequest

__all__ = ["json_any", "json_body"]


async def json_any(request: Request) -> Any:
    """The parsed JSON body, object or array (400 on garbage; None when empty)."""
    raw = await request.body()
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest("Invalid JSON body.") from exc


async def json_body(request: Request) -> dict[str, Any]:
    """The parsed JSON object of the body ({} when empty; 400 on garbage or a non-object)."""
    body = await json_any(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise BadRequest("JSON body must be an object.")
    return body
