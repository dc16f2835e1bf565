"""The application factory: ``create_app(settings)`` builds the ASGI app; nothing is global."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from foxtrack import __version__
from foxtrack.config import Settings
from foxtrack.core.context import AppState
from foxtrack.core.errors import METHOD_NOT_ALLOWED_TEXT, NOT_FOUND_TEXT, ApiError
from foxtrack.core.events import EventBus
from foxtrack.core.jsonutil import JSON
from foxtrack.db.engine import create_engine, migrate
from foxtrack.openapi import PREFIX_KEY

log = logging.getLogger("foxtrack")

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class ApiPrefix:
    """Serve every route both bare and under ``/api`` (Kitsu's proxy layout), and ignore a trailing
    slash as Zou does (``strict_slashes = False``)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            if path == "/api" or path.startswith("/api/"):
                path = path[4:] or "/"
                scope = dict(scope)
                scope[PREFIX_KEY] = "/api"  # for links the pages make (the API docs)
            if len(path) > 1 and path.endswith("/") and not path.startswith("/socket.io"):
                path = path.rstrip("/") or "/"
            if path != scope["path"]:
                scope = dict(scope)
                scope["path"] = path
                scope["raw_path"] = path.encode()
        await self.app(scope, receive, send)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> Response:
        return JSON(exc.to_body(), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            message = NOT_FOUND_TEXT
        elif exc.status_code == 405:
            message = METHOD_NOT_ALLOWED_TEXT
        else:
            message = str(exc.detail)
        return JSON({"error": True, "message": message}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", [])[1:]) or "body", "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        return JSON({"error": True, "message": "Invalid request.", "data": {"errors": errors}}, status_code=400)

    @app.exception_handler(IntegrityError)
    async def _conflict(_request: Request, exc: IntegrityError) -> Response:
        # two requests raced to create the same row (or to remove one still in use): the unit of work
        # was rolled back whole, so nothing was half-written
        log.info("integrity error: %s", exc.orig)
        return JSON({"error": True, "message": "A record with the same unique values already exists or this "
                     "record is still linked to other data."}, status_code=400)

    @app.exception_handler(DataError)
    async def _bad_value(_request: Request, exc: DataError) -> Response:
        log.info("data error: %s", exc.orig)
        return JSON({"error": True, "message": "One of the provided values has an invalid format."}, status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        return JSON({"error": True, "message": "Internal server error."}, status_code=500)


def build_state(settings: Settings) -> AppState:
    engine = create_engine(settings.resolved_database_url())
    state = AppState(settings=settings, engine=engine, bus=EventBus(), secret=settings.resolved_secret_key())
    from foxtrack.db.loop_guard import LoopGuard

    state.extras["loop_guard"] = LoopGuard(engine, settings.loop_guard)
    from foxtrack.cluster import install as coordinate

    coordinate(state)  # data versions and revocations, shared with the other processes through Redis
    return state


def _fastapi_telemetry_off() -> dict[str, Any]:
    """FastAPI's own OpenTelemetry spans, metrics and logs off (FastAPI 0.165 and later; foxtrack has
    its own, ``FOXTRACK_TRACING``): they cost about 10 us of every request even with no provider."""
    import inspect

    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}}


def create_app(settings: Settings | None = None, *, prepare_database: bool = True) -> Any:
    """Build the foxtrack ASGI application for ``settings``."""
    settings = settings or Settings()
    state = build_state(settings)
    from foxtrack.previews.media import picture_limit

    picture_limit(settings.max_image_pixels)
    if prepare_database:
        from foxtrack.db.seed import ensure_admin_from_settings, ensure_reference_data

        migrate(state.engine)
        ensure_reference_data(state.engine)
        ensure_admin_from_settings(state.engine, settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Long-lived objects (routes, compiled SQL, caches) move out of the collector's way, and
        # collections run less often: full collections over them were 50-100 ms pauses.
        from foxtrack.warmup import warm_up, warm_up_routes

        warm_up(state)
        await warm_up_routes(_app, state)
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        for hook in state.extras.get("startup", []):
            await hook()
        state.extras["loop_guard"].arm()  # from here on, statements run off the loop
        yield
        for hook in state.extras.get("shutdown", []):
            await hook()
        state.bus.close()
        state.extras["cluster"].stop()
        state.engine.dispose()

    app = FastAPI(
        title="foxtrack",
        version=__version__,
        description="A production tracker that speaks the Kitsu API.",
        docs_url=None,  # /docs, /redoc and /apidocs: foxtrack.openapi
        openapi_url="/openapi.json",
        redoc_url=None,
        lifespan=lifespan,
        **_fastapi_telemetry_off(),
    )
    app.state.foxtrack = state
    _install_error_handlers(app)

    from foxtrack import _routing, features, openapi
    from foxtrack.events import RealtimeServer

    openapi.install(app)  # the described document, built on its first request
    _routing.install(app, features.routers())
    state.extras["crud_policies"] = features.crud_policies()
    manager = None
    if settings.redis_url:
        import socketio

        # every worker process publishes through Redis and emits to its own connected clients
        manager = socketio.AsyncRedisManager(settings.redis_url, channel=f"{settings.redis_prefix}-events")
    realtime = RealtimeServer(state, client_manager=manager)
    state.extras["realtime"] = realtime
    state.extras.setdefault("startup", []).append(realtime.started)
    from foxtrack.jobs.background import install as install_worker

    install_worker(state)  # transcodes, playlist builds and webhook deliveries off the request
    from foxtrack.db import statistics

    statistics.install(state)  # planner statistics where PostgreSQL's autovacuum is off
    state.extras["shutdown"].append(realtime.stopped)
    asgi: Any = realtime.asgi(app)
    from foxtrack.events.sticky import StickyRelay, run_dir

    directory = run_dir()
    if directory is not None:  # one of the workers of ``foxtrack serve --workers N``
        relay = StickyRelay(asgi, realtime.sio, directory)
        state.extras["startup"].append(relay.start)
        state.extras["shutdown"].append(relay.stop)
        asgi = relay
    if manager is not None:
        from foxtrack.events.realtime import PublishBeforeAnswer

        asgi = PublishBeforeAnswer(asgi)
    from foxtrack.core.response_cache import ResponseCache, cache_is_safe

    if settings.response_cache and cache_is_safe(state):
        asgi = ResponseCache(asgi, state)
    from foxtrack.core.limits import BodyLimit

    asgi = BodyLimit(asgi, settings.max_json_bytes, settings.max_upload_bytes)
    from foxtrack.observability import install as observe

    asgi = observe(asgi, state)  # request ids, logs, /metrics and /health/*, optional spans
    if settings.ui_dir is not None:
        from foxtrack.ui import KitsuUI

        return KitsuUI(ApiPrefix(asgi), settings.ui_dir)
    return ApiPrefix(asgi)
