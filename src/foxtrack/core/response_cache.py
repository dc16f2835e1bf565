"""A cache of GET answers, keyed by the data version (embedded SQLite deployments).

Kitsu and pipeline scripts re-read the same big lists constantly (the with-tasks screens, the open
projects, news). Every change foxtrack makes commits a transaction, and every change made through
the API also writes an event row; the data version is (commits seen by this process, newest event
row). An answer is served again only while that version is unchanged, to the same token, so it is
exactly what the handler would compute. The token is still checked (signature, expiry) on every
hit; revocations and person changes are commits, so they change the version.

Only used on SQLite, where commits are serialised and the newest event rowid orders them; with
PostgreSQL and several workers every request is computed.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from typing import Any

import sqlalchemy as sa

from foxtrack.core.context import AppState, decode_token
from foxtrack.core.errors import ApiError
from foxtrack.core.etag import matches

MAX_BYTES = 128 * 1024 * 1024
MAX_ENTRY = 16 * 1024 * 1024
READ_ONLY_POSTS = frozenset({"/data/search"})
SKIP_PREFIXES = ("/socket.io", "/auth/login", "/auth/logout", "/auth/refresh-token", "/pictures/", "/movies/",
                 "/data/webhooks", "/status", "/health", "/docs", "/redoc", "/apidocs")


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class ResponseCache:
    def __init__(self, app: Any, state: AppState):
        self.app = app
        self.state = state
        self.entries: OrderedDict[tuple[str, bytes, str], tuple[Any, int, list[Any], bytes]] = OrderedDict()
        self.size = 0
        self.commits = 0
        sa.event.listen(state.engine, "commit", self._on_commit)
        # a connection of its own in autocommit mode: each read sees the newest committed state,
        # without a pool checkout per request
        database = state.engine.url.database
        self.raw = sqlite3.connect(database, check_same_thread=False, isolation_level=None) if database else None

    def _on_commit(self, _conn: Any) -> None:
        self.commits += 1

    def version(self) -> tuple[int, Any]:
        if self.raw is not None:
            return self.commits, self.raw.execute("SELECT max(rowid) FROM api_event").fetchone()[0]
        with self.state.engine.connect() as conn:
            newest = conn.exec_driver_sql("SELECT max(rowid) FROM api_event").scalar()
        return self.commits, newest

    @staticmethod
    def _token(scope: dict[str, Any]) -> str | None:
        for name, value in scope["headers"]:
            if name == b"authorization":
                text = value.decode("latin-1")
                return text[7:].strip() if text[:7].lower() == "bearer " else None
        return None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        if scope["method"] == "POST" and scope["path"] in READ_ONLY_POSTS:
            # a read that takes its query as a body: the body is part of the key, then replayed
            chunks = []
            while True:
                message = await receive()
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    break
            body = b"".join(chunks)
            replayed = False

            original = receive

            async def replay() -> dict[str, Any]:
                nonlocal replayed
                if replayed:
                    message: dict[str, Any] = await original()
                    return message
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            receive = replay
        elif scope["method"] != "GET" or scope["path"].startswith(SKIP_PREFIXES):
            await self.app(scope, receive, send)
            return
        token = self._token(scope)
        if not token:
            await self.app(scope, receive, send)
            return
        try:
            decode_token(self.state, token)
        except ApiError:
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope.get("query_string", b"") + body, token)
        version = self.version()
        hit = self.entries.get(key)
        if hit is not None and hit[0] == version:
            self.entries.move_to_end(key)
            _, status, headers, body = hit
            etag = next((v for k, v in headers if k == b"etag"), None)
            if etag is not None and matches(_header(scope, b"if-none-match"), etag.decode("latin-1")):
                # the answer carries a validator the client already holds: 304, as the handler would
                status, body = 304, b""
                headers = [(k, v) for k, v in headers if k in (b"etag", b"cache-control")]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        captured: dict[str, Any] = {"body": []}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        if captured.get("status") != 200:
            return
        headers = captured["headers"]
        if not any(k == b"content-type" and v.startswith(b"application/json") for k, v in headers):
            return
        body = b"".join(captured["body"])
        if len(body) > MAX_ENTRY or self.version() != version:
            return
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= len(old[3])
        self.entries[key] = (version, 200, headers, body)
        self.size += len(body)
        while self.size > MAX_BYTES and self.entries:
            _, dropped = self.entries.popitem(last=False)
            self.size -= len(dropped[3])
