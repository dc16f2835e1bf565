"""Serving a built Kitsu UI on the API's origin, as the UI expects (``foxtrack serve --ui DIR``).

Which requests go where, once a UI is configured:

1. ``/api``, ``/api/...`` and ``/socket.io/...``: always the API and Socket.IO.
2. Any other ``GET``/``HEAD`` naming a file of the UI (``/assets/app-1234.js``, ``/favicon.ico``):
   that file.
3. Any other ``GET``/``HEAD`` that accepts HTML (a browser navigating to ``/productions/...``):
   ``index.html``, so the single-page app routes it itself.
4. Everything else (other methods, clients such as gazu pointed at the bare host, curl): the API's
   bare paths, as without a UI.

A path with a ``..`` segment, a backslash or a NUL answers 404 and never reaches a file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import anyio
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles

from foxtrack.core.errors import NOT_FOUND_TEXT
from foxtrack.core.jsonutil import JSON

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

# vite names everything under assets/ by content hash: a changed file gets a new name
HASHED_CACHE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_UNSAFE = ("\\", "\x00")


def is_api_path(path: str) -> bool:
    """Paths that belong to the API (and Socket.IO) whatever the UI holds."""
    return (path == "/api" or path.startswith("/api/") or path == "/socket.io"
            or path.startswith("/socket.io/"))


def _accepts_html(scope: Scope) -> bool:
    accept = Headers(scope=scope).get("accept", "")
    return "text/html" in accept or "application/xhtml+xml" in accept


class _UiFiles(StaticFiles):
    """Starlette's static files (confined lookup, ETag / 304) with the UI's cache headers."""

    def __init__(self, directory: Path):
        super().__init__(directory=directory)
        self.hashed = directory / "assets"

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = FileResponse(full_path, status_code=status_code, stat_result=stat_result)
        hashed = Path(full_path).is_relative_to(self.hashed)
        response.headers["Cache-Control"] = HASHED_CACHE if hashed else REVALIDATE
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response

    async def find(self, relative: str, scope: Scope) -> Response | None:
        """The response for a regular file at ``relative`` inside the UI folder, if there is one."""
        try:
            full_path, stat_result = await anyio.to_thread.run_sync(self.lookup_path, relative)
        except (OSError, ValueError):  # a name too long, or one the OS refuses
            return None
        if stat_result is None or not stat.S_ISREG(stat_result.st_mode):
            return None
        return self.file_response(full_path, stat_result, scope)


class KitsuUI:
    """The UI's files and single-page-app fallback in front of the API application."""

    def __init__(self, api: ASGIApp, directory: Path):
        directory = directory.resolve()
        if not (directory / "index.html").is_file():
            raise ValueError(f"{directory} holds no index.html: not a built Kitsu UI")
        self.api = api
        self.files = _UiFiles(directory=directory)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or is_api_path(scope["path"]):
            await self.api(scope, receive, send)
            return
        path: str = scope["path"]
        if ".." in path.split("/") or any(c in path for c in _UNSAFE):
            await JSON({"error": True, "message": NOT_FOUND_TEXT}, status_code=404)(scope, receive, send)
            return
        response = await self.files.find(path.lstrip("/"), scope)
        if response is None and _accepts_html(scope):
            response = await self.files.find("index.html", scope)
        if response is None:
            await self.api(scope, receive, send)
            return
        await response(scope, receive, send)
