"""Request body limits, enforced while the body streams in: one ASGI layer for every route.

A declared ``Content-Length`` over the limit is answered at once; a body without one (chunked) is
counted as it arrives and refused as soon as it passes the limit, before the rest is read. Multipart
bodies (uploads) have ``max_upload_bytes``, every other body ``max_json_bytes``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from foxtrack.core.errors import ApiError

__all__ = ["BodyLimit", "BodyTooLarge"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
                   Awaitable[None]]


class BodyTooLarge(ApiError):
    """413: the request body passed its limit (raised from ``receive`` while it streams)."""

    status = 413

    def __init__(self, limit: int, upload: bool):
        what = "File too large." if upload else "Request body too large."
        super().__init__(what, data={"max_bytes": limit})


class BodyLimit:
    """Refuse request bodies over their limit with a 413 JSON error, without reading them whole."""

    def __init__(self, app: ASGIApp, max_json_bytes: int, max_upload_bytes: int):
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        upload = headers.get(b"content-type", b"").lower().startswith(b"multipart/")
        limit = self.max_upload_bytes if upload else self.max_json_bytes
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await _answer(send, BodyTooLarge(limit, upload))
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, upload)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge as exc:
            # raised where no handler answered it (a body read outside a route)
            if started:
                raise
            await _answer(send, exc)


async def _answer(send: Callable[[Message], Awaitable[None]], exc: BodyTooLarge) -> None:
    body = orjson.dumps(exc.to_body())
    # the rest of the body is never read: the connection closes after the answer
    await send({"type": "http.response.start", "status": exc.status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
