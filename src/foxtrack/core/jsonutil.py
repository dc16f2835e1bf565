"""Fast JSON responses (orjson) and the time formats Zou uses."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import orjson
from starlette.responses import Response

_OPTS = orjson.OPT_NON_STR_KEYS


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=_OPTS, default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode()
    raise TypeError


def ok(content: Any, status: int = 200) -> JSON:
    return JSON(content, status_code=status)


def created(content: Any) -> JSON:
    return JSON(content, status_code=201)


def no_content() -> Response:
    return Response(status_code=204)


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=_OPTS, default=_default)


def now() -> str:
    """Naive-UTC timestamp with microseconds (sorts as text)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def new_id() -> str:
    return str(uuid.uuid4())


def is_uuid(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def normalize_datetime(value: Any) -> str | None:
    """Accept ``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM:SS[.f][Z|+00:00]`` or a space; store ISO text."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError("not a date")
    text = value.strip().replace(" ", "T")
    if len(text) == 10:
        datetime.strptime(text, "%Y-%m-%d")
        return text + "T00:00:00"
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S")


def normalize_date(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError("not a date")
    text = value.strip()[:10]
    datetime.strptime(text, "%Y-%m-%d")
    return text
