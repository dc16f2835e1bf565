"""Socket.IO (Engine.IO 4 / Socket.IO 5) at ``/socket.io`` on the host root, served by the API
process itself, with Zou's namespaces ``/`` and ``/events``.

Better than Zou's broadcast: a client joins one room per project it can see (admins see all), so
it receives only those projects' events plus the project-less ones. A client that passes the id of
the last event it saw (``?last_event_id=`` or ``{"last_event_id": ...}`` in the CONNECT payload)
first receives what it missed, in order.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
from collections.abc import Coroutine
from http.cookies import SimpleCookie
from typing import Any

import socketio
import sqlalchemy as sa

from foxtrack.core.context import AppState, decode_token, load_identity
from foxtrack.core.errors import ApiError
from foxtrack.core.events import Event
from foxtrack.db import schema as s

log = logging.getLogger("foxtrack.events")

NAMESPACE = "/events"
ADMINS = "admins"
EVERYONE = "everyone"


def project_room(project_id: str) -> str:
    return f"project:{project_id}"


class RealtimeServer:
    """Wraps a python-socketio AsyncServer fed by the app's event bus."""

    def __init__(self, state: AppState, client_manager: Any = None):
        self.state = state
        self.sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*", client_manager=client_manager,
                                        logger=False, engineio_logger=False)
        self.loop: asyncio.AbstractEventLoop | None = None
        # publications and replays in flight, kept referenced until done (the loop holds tasks weakly)
        self.tasks: set[asyncio.Task[None]] = set()
        self.ordered = client_manager is not None
        self.sio.on("connect", self._connect_root, namespace="/")
        self.sio.on("connect", self._connect_events, namespace=NAMESPACE)
        self.sio.on("disconnect", self._disconnect_events, namespace=NAMESPACE)
        from foxtrack.events.review_rooms import ReviewRooms

        self.review_rooms = ReviewRooms(self.sio, state)
        state.bus.subscribe(self.publish)

    def asgi(self, other: Any) -> Any:
        return socketio.ASGIApp(self.sio, other_asgi_app=other, socketio_path="socket.io")

    # ------------------------------------------------------------------ connections

    def _identify(self, environ: dict[str, Any]) -> tuple[str, str]:
        token = None
        header = environ.get("HTTP_AUTHORIZATION", "")
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
        if not token and environ.get("HTTP_COOKIE"):
            cookie = SimpleCookie(environ["HTTP_COOKIE"]).get("access_token_cookie")
            token = cookie.value if cookie else None
        if not token:
            raise socketio.exceptions.ConnectionRefusedError("Missing JWT")
        try:
            claims = decode_token(self.state, token)
            with self.state.read() as conn:
                role, _ = load_identity(self.state, conn, claims)
        except ApiError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.message) from exc
        return str(claims["sub"]), role

    async def _connect_root(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await asyncio.to_thread(self._identify, environ)

    def _rooms(self, environ: dict[str, Any]) -> tuple[str, str, list[str]]:
        """The person connecting, their role and the rooms they listen in (on a worker thread)."""
        person_id, role = self._identify(environ)
        rooms = [EVERYONE]
        if role == "admin":
            rooms.append(ADMINS)
        else:
            with self.state.read() as conn:
                link = s.project_person_link
                rooms += [project_room(p) for (p,) in conn.execute(
                    sa.select(link.c.project_id).where(link.c.person_id == person_id))]
        return person_id, role, rooms

    async def _connect_events(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        person_id, role, rooms = await asyncio.to_thread(self._rooms, environ)
        for room in rooms:
            await self.sio.enter_room(sid, room, namespace=NAMESPACE)
        await self.sio.save_session(sid, {"person_id": person_id, "role": role}, namespace=NAMESPACE)
        last = _last_event_id(environ, auth)
        if last:
            self._spawn(self._replay(sid, person_id, role, last))

    async def _disconnect_events(self, sid: str, *_args: Any) -> None:
        await self.review_rooms.disconnected(sid)

    def _missed(self, person_id: str, role: str, last_event_id: str) -> list[Any]:
        """The events after ``last_event_id`` this person may see (on a worker thread)."""
        ev = s.api_event
        with self.state.read() as conn:
            since = conn.execute(sa.select(ev.c.created_at).where(ev.c.id == last_event_id)).scalar()
            if since is None:
                return []
            stmt = sa.select(ev.c.id, ev.c.name, ev.c.data, ev.c.project_id).where(ev.c.created_at > since)
            if role != "admin":
                link = s.project_person_link
                mine = sa.select(link.c.project_id).where(link.c.person_id == person_id)
                stmt = stmt.where(sa.or_(ev.c.project_id.is_(None), ev.c.project_id.in_(mine)))
            return list(conn.execute(stmt.order_by(ev.c.created_at).limit(10000)).all())

    async def _replay(self, sid: str, person_id: str, role: str, last_event_id: str) -> None:
        rows = await asyncio.to_thread(self._missed, person_id, role, last_event_id)
        for event_id, name, data, _project in rows:
            await self.sio.emit(name, {**(data or {}), "event_id": event_id}, to=sid, namespace=NAMESPACE)

    # ------------------------------------------------------------------ publishing

    async def started(self) -> None:
        """Startup hook: events are published from this loop, whether or not a client connected
        here (with Redis, other processes' clients are listening). With Redis, the process listens
        to the channel before it serves: a client connected here gets every event published after."""
        self.loop = asyncio.get_running_loop()
        if self.ordered and not self.sio.manager_initialized:
            self.sio.manager_initialized = True
            self.sio.manager.initialize()
            for _ in range(200):  # bounded: 2 s, then serve anyway (the listener keeps retrying)
                pubsub = getattr(self.sio.manager, "pubsub", None)
                if pubsub is not None and pubsub.subscribed:
                    await asyncio.sleep(0.02)  # the SUBSCRIBE is on its way to Redis
                    break
                await asyncio.sleep(0.01)

    async def stopped(self) -> None:
        """Shutdown hook: publications still in flight are cancelled and awaited."""
        self.loop = None
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """A task of this server's loop, referenced until it is done (call on the loop)."""
        assert self.loop is not None
        task = self.loop.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def publish(self, events: list[Event]) -> None:
        """Bus listener: called after commit, from the loop or from a worker thread.

        With several processes (Redis), the publication of a request's events is awaited before its
        answer is sent (see ``PublishBeforeAnswer``): a client that makes changes one after the
        other through different processes then sees them in that order."""
        loop = self.loop
        if loop is None:
            return  # not serving yet
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        pending = PENDING.get() if self.ordered else None
        if running is loop:
            task = self._spawn(self._emit_all(events))
            if pending is not None:
                pending.append(task)
        else:
            # a handler on the thread pool (the request's context is copied there): the answer
            # still waits for the publication, through a future the loop resolves
            done: concurrent.futures.Future[None] | None = None
            if pending is not None:
                done = concurrent.futures.Future()
                pending.append(done)
            loop.call_soon_threadsafe(self._publish_here, events, done)

    def _publish_here(self, events: list[Event], done: concurrent.futures.Future[None] | None = None) -> None:
        if self.loop is None:
            if done is not None:
                done.set_result(None)
            return
        task = self._spawn(self._emit_all(events))
        if done is not None:
            task.add_done_callback(lambda _task: done.set_result(None))

    async def _emit_all(self, events: list[Event]) -> None:
        for event in events:
            payload = {**event["data"], "event_id": event["id"]}
            project_id = event.get("project_id")
            if project_id:
                await self.sio.emit(event["name"], payload, room=[ADMINS, project_room(project_id)],
                                    namespace=NAMESPACE)
            else:
                await self.sio.emit(event["name"], payload, room=EVERYONE, namespace=NAMESPACE)


Publication = asyncio.Task[None] | concurrent.futures.Future[None]
PENDING: contextvars.ContextVar[list[Publication] | None] = contextvars.ContextVar(
    "foxtrack_pending_publications", default=None)
PUBLISH_WAIT_SECONDS = 5.0


class PublishBeforeAnswer:
    """ASGI wrapper: the event publications a request started are finished before its answer
    starts (used with the Redis fan-out, where publishing is a network round trip)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pending: list[Publication] = []
        token = PENDING.set(pending)

        async def send_after_publish(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and pending:
                waits = [asyncio.wrap_future(p) if isinstance(p, concurrent.futures.Future) else p
                         for p in pending]
                pending.clear()
                await asyncio.wait(waits, timeout=PUBLISH_WAIT_SECONDS)
            await send(message)

        try:
            await self.app(scope, receive, send_after_publish)
        finally:
            PENDING.reset(token)


def _last_event_id(environ: dict[str, Any], auth: Any) -> str | None:
    if isinstance(auth, dict) and isinstance(auth.get("last_event_id"), str):
        return str(auth["last_event_id"])
    from urllib.parse import parse_qs

    values = parse_qs(environ.get("QUERY_STRING", "")).get("last_event_id")
    return values[0] if values else None
