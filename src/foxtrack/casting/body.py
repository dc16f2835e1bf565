"""Request bodies that are JSON arrays (casting updates, bulk removals)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from foxtrack.core.errors import BadRequest


async def json_any(request: Request) -> Any:
    """The parsed JSON body, object or array (400 on garbage; None when empty)."""
    raw = await request.body()
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest("Invalid JSON body.") from exc
