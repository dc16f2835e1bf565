"""A cache of GET answers, keyed by the versions of the data they show (``foxtrack.cluster``).

Kitsu and pipeline scripts re-read the same big lists constantly (the with-tasks screens, the open
projects, news). An answer under ``/data/projects/<id>/...`` (or asked with ``?project_id=<id>``)
shows one project's data: it depends on that project's version and on the version of what belongs
to no project (people, task types, tokens). Any other answer depends on every write. An answer is
served again only while its versions are unchanged, to the same token, so it is exactly what the
handler would compute; a comment in one project leaves the other projects' lists cached. The token
is still checked (signature, expiry) on every hit; revocations and person changes are writes that
belong to no project, so they change every version.

Both backends. With ``FOXTRACK_REDIS_URL`` the versions are Redis's, moved by every process that
writes (workers, separate servers, ``foxtrack worker``, the admin commands). Without it they are this
process's own, which is only trusted for embedded SQLite with one process and its own media worker:
PostgreSQL without Redis, or separate workers, serve without the cache.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qs

from foxtrack.cluster import ANY, UNSCOPED, Cluster, project_key
from foxtrack.core.context import AppState, decode_token
from foxtrack.core.errors import ApiError
from foxtrack.core.etag import matches

MAX_BYTES = 128 * 1024 * 1024
MAX_ENTRY = 16 * 1024 * 1024
READ_ONLY_POSTS = frozenset({"/data/search"})
SKIP_PREFIXES = ("/socket.io", "/auth/login", "/auth/logout", "/auth/refresh-token", "/pictures/", "/movies/",
                 "/data/webhooks", "/status", "/health", "/docs", "/redoc", "/apidocs")


HIT_HEADER = (b"x-foxtrack-cache", b"hit")  # says which answers came from the cache (tests, operators)
PROJECT_PATH = re.compile(r"^/data/projects/([0-9a-fA-F-]{32,36})(?:/|$)")
UUID = re.compile(r"^[0-9a-fA-F-]{32,36}$")


def cache_is_safe(state: AppState) -> bool:
    """Whether every process that writes the database moves the versions this one reads."""
    from foxtrack.events.sticky import run_dir

    cluster: Cluster = state.extras["cluster"]
    if cluster.versions.shared:
        return True
    alone = run_dir() is None and state.settings.media_workers > 0
    return alone and state.engine.dialect.name == "sqlite"


def version_keys(path: str, query: bytes) -> tuple[str, ...]:
    """The versions an answer to ``path?query`` depends on (see the module's docstring)."""
    if "shared" not in path:  # shared assets: other projects' data on a project's screen
        found = PROJECT_PATH.match(path)
        if found is not None:
            return project_key(found.group(1).lower()), UNSCOPED
        if b"project_id=" in query and path.startswith("/data/"):
            values = parse_qs(query.decode("latin-1")).get("project_id", [])
            if len(values) == 1 and UUID.match(values[0]):
                return project_key(values[0].lower()), UNSCOPED
    return (ANY,)


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
        cluster: Cluster = state.extras["cluster"]
        self.versions = cluster.versions
        self.hits = 0
        self.misses = 0

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "entries": len(self.entries), "bytes": self.size}

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
        query = scope.get("query_string", b"")
        key = (scope["path"], query + body, token)
        keys = version_keys(scope["path"], query)
        version = await self.versions.read(keys)
        hit = self.entries.get(key)
        if hit is not None and hit[0] == version:
            self.hits += 1
            self.entries.move_to_end(key)
            _, status, headers, body = hit
            etag = next((v for k, v in headers if k == b"etag"), None)
            if etag is not None and matches(_header(scope, b"if-none-match"), etag.decode("latin-1")):
                # the answer carries a validator the client already holds: 304, as the handler would
                status, body = 304, b""
                headers = [(k, v) for k, v in headers if k in (b"etag", b"cache-control")]
            await send({"type": "http.response.start", "status": status, "headers": [*headers, HIT_HEADER]})
            await send({"type": "http.response.body", "body": body})
            return
        self.misses += 1
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
        if len(body) > MAX_ENTRY or await self.versions.read(keys) != version:
            return
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= len(old[3])
        self.entries[key] = (version, 200, headers, body)
        self.size += len(body)
        while self.size > MAX_BYTES and self.entries:
            _, dropped = self.entries.popitem(last=False)
            self.size -= len(dropped[3])
