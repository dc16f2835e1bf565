"""Conditional GET for big JSON lists: an ``ETag`` computed from the answer's bytes, and 304 when
the client already holds them.

Kitsu re-requests its with-tasks lists on every move between the list, the task page and the
playlist page; the browser revalidates with ``If-None-Match`` and Zou answers 304 when nothing
changed (``Cache-Control: private, no-cache``: keep it, but ask every time). Hashing the body works
the same on every backend and with any number of processes, unlike a version counter.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from foxtrack.core.jsonutil import dumps

__all__ = ["CACHE_CONTROL", "etag_of", "json_with_etag", "matches"]

CACHE_CONTROL = "private, no-cache"


def etag_of(body: bytes) -> str:
    """A strong validator for ``body`` (quoted, as the header carries it)."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """True when an ``If-None-Match`` header names ``etag`` (weak comparison, as for GET) or ``*``."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags


def json_with_etag(request: Request, content: Any) -> Response:
    """``content`` as JSON with its ETag, or an empty 304 when the request already has that ETag."""
    body = dumps(content)
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=200, media_type="application/json", headers=headers)
