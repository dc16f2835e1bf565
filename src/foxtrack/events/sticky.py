"""Socket.IO on several worker processes sharing one port (``foxtrack serve --workers N``).

An Engine.IO session lives in the process that opened it, but the kernel hands each new connection
to any worker: a client's next long-polling request, or its WebSocket upgrade, may reach another
one. Each worker therefore names its sessions (``<worker>.<random>``) and listens on a Unix socket
of its own in the cluster's run directory; a ``/socket.io`` request for another worker's session is
relayed there (HTTP polling as one request, a WebSocket message by message). API requests are never
relayed. Clients (gazu, the Kitsu UI) need no change and no sticky proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

log = logging.getLogger("foxtrack.events")

RUN_DIR_ENV = "FOXTRACK_CLUSTER_DIR"
HOP_HEADERS = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"upgrade", b"content-length",
                         b"sec-websocket-key", b"sec-websocket-version", b"sec-websocket-extensions",
                         b"sec-websocket-accept", b"host"})
WORKER_HEADER = b"x-foxtrack-worker"  # the worker that answered (or owns the relayed session)
RELAY_HEADER = b"x-foxtrack-relayed-by"


def run_dir() -> Path | None:
    """The cluster's run directory (set by ``foxtrack serve --workers N``), or None for one process."""
    value = os.environ.get(RUN_DIR_ENV)
    return Path(value) if value else None


def owner_of(sid: str) -> str | None:
    worker, dot, _ = sid.partition(".")
    return worker if dot else None


class StickyRelay:
    """ASGI wrapper around the Socket.IO app: foreign sessions' requests go to their worker."""

    def __init__(self, app: Any, sio: Any, directory: Path, worker: str | None = None):
        self.app = app
        self.directory = directory
        self.worker = worker or f"w{os.getpid()}"
        self.worker_header = self.worker.encode()
        eio = sio.eio
        base = eio.generate_id
        eio.generate_id = lambda: f"{self.worker}.{base()}"  # sessions named after their worker
        self.inner: Any = None  # the private listener (a uvicorn server on the Unix socket)
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.private_app = app

    def socket_path(self, worker: str) -> Path:
        return self.directory / f"{worker}.sock"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind in ("http", "websocket") and scope["path"].startswith("/socket.io"):
            values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("sid")
            owner = owner_of(values[0]) if values else None
            if owner is not None and owner != self.worker and owner.isalnum():
                if kind == "http":
                    await self._relay_http(owner, scope, receive, send)
                else:
                    await self._relay_websocket(owner, scope, receive, send)
                return
        if kind != "http":
            await self.app(scope, receive, send)
            return

        async def tagged(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  (WORKER_HEADER, self.worker_header)]}
            await send(message)

        await self.app(scope, receive, tagged)

    # ------------------------------------------------------------------ relaying

    def _client(self, owner: str) -> httpx.AsyncClient:
        client = self.clients.get(owner)
        if client is None:
            transport = httpx.AsyncHTTPTransport(uds=str(self.socket_path(owner)))
            # a long poll is held for up to the ping interval (25 s) plus its timeout
            client = httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(90.0, connect=5.0))
            self.clients[owner] = client
        return client

    async def _relay_http(self, owner: str, scope: dict[str, Any], receive: Any, send: Any) -> None:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        url = f"http://worker{scope['path']}?{scope.get('query_string', b'').decode('latin-1')}"
        headers = [(k, v) for k, v in scope["headers"] if k not in HOP_HEADERS and k != b"accept-encoding"]
        try:
            answer = await self._client(owner).request(scope["method"], url, headers=headers,
                                                       content=b"".join(chunks))
        except httpx.HTTPError:
            # the worker is gone (restarted): its sessions are; the client reconnects
            answer = httpx.Response(400, content=b'"Invalid session"', headers={"content-type": "text/plain"})
        out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()
               if k.encode("latin-1") not in HOP_HEADERS and k.lower() != "content-encoding"]
        out += [(WORKER_HEADER, owner.encode()), (RELAY_HEADER, self.worker_header)]
        await send({"type": "http.response.start", "status": answer.status_code, "headers": out})
        await send({"type": "http.response.body", "body": answer.content})

    async def _relay_websocket(self, owner: str, scope: dict[str, Any], receive: Any, send: Any) -> None:
        from websockets.asyncio.client import unix_connect
        from websockets.exceptions import ConnectionClosed

        first = await receive()
        if first["type"] != "websocket.connect":
            return
        query = scope.get("query_string", b"").decode("latin-1")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]
                   if k not in HOP_HEADERS and not k.startswith(b"sec-websocket")]
        try:
            upstream = await unix_connect(str(self.socket_path(owner)), f"ws://worker{scope['path']}?{query}",
                                          additional_headers=headers, compression=None, ping_interval=None,
                                          max_size=None, user_agent_header=None, proxy=None)
        except (OSError, ConnectionClosed, Exception):  # noqa: BLE001 - any failure: the session is gone
            await send({"type": "websocket.close", "code": 1011})
            return
        await send({"type": "websocket.accept", "headers": [(RELAY_HEADER, self.worker_header)]})

        async def downstream() -> None:
            with contextlib.suppress(ConnectionClosed):
                async for data in upstream:
                    if isinstance(data, str):
                        await send({"type": "websocket.send", "text": data})
                    else:
                        await send({"type": "websocket.send", "bytes": data})
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": 1000})

        pump = asyncio.ensure_future(downstream())
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message["type"] == "websocket.receive":
                    text = message.get("text")
                    await upstream.send(text if text is not None else message.get("bytes") or b"")
        except ConnectionClosed:
            pass
        finally:
            await upstream.close()
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump

    # ------------------------------------------------------------------ the private listener

    async def start(self) -> None:
        """Listen on this worker's Unix socket (relayed requests of this worker's sessions)."""
        import uvicorn

        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.socket_path(self.worker)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        config = uvicorn.Config(self.private_app, uds=str(path), lifespan="off", log_level="warning",
                                access_log=False, ws_ping_interval=None)
        config.load()
        self.inner = uvicorn.Server(config)
        # started beside the worker's own server, which owns the signals: Server.serve() would take them
        self.inner.lifespan = config.lifespan_class(config)
        await self.inner.startup()

    async def stop(self) -> None:
        for client in self.clients.values():
            await client.aclose()
        self.clients.clear()
        if self.inner is not None:
            self.inner.should_exit = True
            await self.inner.shutdown()
            self.inner = None
        with contextlib.suppress(FileNotFoundError):
            self.socket_path(self.worker).unlink()
