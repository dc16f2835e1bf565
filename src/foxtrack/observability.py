"""Running foxtrack where it is watched: request ids, structured logs, Prometheus metrics, health
endpoints and optional OpenTelemetry spans, in one ASGI layer (``Observe``) that every request crosses.

* ``X-Request-Id`` (``FOXTRACK_REQUEST_ID_HEADER``): a well-formed id sent by the client or the proxy
  is kept, else one is made; it is answered in the same header and is on every log line of the request.
* Logs: ``FOXTRACK_LOG_FORMAT=json`` writes one JSON object per line (time, level, logger, message,
  request id); ``FOXTRACK_ACCESS_LOG=true`` adds a line per request (method, route, status, duration).
* ``GET /metrics`` (Prometheus text format): requests and latencies per route template, the database
  pool, the job queue by kind and state (transcodes are the media queue), webhook deliveries by state,
  Socket.IO connections. Only the addresses of ``FOXTRACK_METRICS_ALLOW`` (loopback by default) or a
  caller with ``Authorization: Bearer $FOXTRACK_METRICS_TOKEN`` read it; others get 403.
* ``GET /health/live`` answers while the process serves; ``GET /health/ready`` also reads the database
  (503 when it cannot).

The per-request work is a few dictionary lookups and two metric updates: labelled children are cached,
and the route template is read from the scope FastAPI's router fills in.
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import os
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from typing import Any

import orjson
import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool

from foxtrack.config import Settings
from foxtrack.core.context import AppState
from foxtrack.db import schema as s

__all__ = ["JsonFormatter", "Observe", "configure_logging", "install", "request_id"]

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("foxtrack_request_id", default=None)
GOOD_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
HEALTH_PATHS = ("/health/live", "/health/ready")
access = logging.getLogger("foxtrack.access")


def request_id() -> str | None:
    """The id of the request this code runs for (None outside a request)."""
    return _request_id.get()


# ----------------------------------------------------------------------------- logs

class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; fields passed as ``extra={"fields": {...}}`` are merged in."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            out["request_id"] = rid
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def configure_logging(settings: Settings) -> None:
    """Give the root logger one handler in the configured format (JSON lines, or text with the request id)."""
    root = logging.getLogger()
    if any(getattr(h, "_foxtrack", False) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler._foxtrack = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    if settings.log_format.lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    if settings.access_log:
        access.setLevel(logging.INFO)
    if settings.log_format.lower() == "json":
        for name in ("uvicorn", "uvicorn.error"):  # uvicorn's own lines in the same format
            logger = logging.getLogger(name)
            logger.handlers = []
            logger.propagate = True


# ----------------------------------------------------------------------------- metrics

class StateCollector(Collector):
    """Values read when scraped: the database pool, queues and connections."""

    def __init__(self, state: AppState):
        self.state = state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._pool()
        yield from self._database()
        realtime = self.state.extras.get("realtime")
        sockets = GaugeMetricFamily("foxtrack_socketio_connections", "Socket.IO clients connected to this process.")
        sockets.add_metric([], float(_connections(realtime)))
        yield sockets

    def _pool(self) -> Iterable[GaugeMetricFamily]:
        pool: Any = self.state.engine.pool
        family = GaugeMetricFamily("foxtrack_db_pool_connections", "Database connections of this process's pool.",
                                   labels=["state"])
        for name, read in (("size", "size"), ("checked_out", "checkedout"), ("idle", "checkedin"),
                           ("overflow", "overflow")):
            method = getattr(pool, read, None)
            if callable(method):
                family.add_metric([name], float(method()))
        yield family

    def _database(self) -> Iterable[GaugeMetricFamily]:
        jobs = GaugeMetricFamily("foxtrack_job_queue_depth", "Background jobs waiting or running, by kind "
                                 "(transcode: the media queue) and state.", labels=["kind", "state"])
        webhooks = GaugeMetricFamily("foxtrack_webhook_deliveries", "Webhook deliveries by status (failed: "
                                     "given up after their retries).", labels=["status"])
        failures = GaugeMetricFamily("foxtrack_webhook_failures", "Webhook deliveries that failed for good.")
        up = GaugeMetricFamily("foxtrack_database_up", "1 when the database answered this scrape.")
        try:
            with self.state.engine.connect() as conn:
                j = s.job.c
                for kind, state, count in conn.execute(
                        sa.select(j.kind, j.state, sa.func.count()).where(j.state.in_(("queued", "running")))
                        .group_by(j.kind, j.state)):
                    jobs.add_metric([kind, state], float(count))
                w = s.webhook_delivery.c
                failed = 0
                for status, count in conn.execute(sa.select(w.status, sa.func.count()).group_by(w.status)):
                    webhooks.add_metric([str(status)], float(count))
                    failed += count if status == "failed" else 0
                failures.add_metric([], float(failed))
            up.add_metric([], 1.0)
        except sa.exc.SQLAlchemyError:
            up.add_metric([], 0.0)
        yield from (jobs, webhooks, failures, up)


def _connections(realtime: Any) -> int:
    try:
        from foxtrack.events.realtime import NAMESPACE

        rooms = realtime.sio.manager.rooms.get(NAMESPACE, {})
        return len(rooms.get(None, {}))
    except AttributeError:
        return 0


class Metrics:
    """This app's metrics, on a registry of its own (none is global)."""

    def __init__(self, state: AppState):
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("foxtrack_http_requests", "HTTP requests answered, by route template.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("foxtrack_http_request_duration_seconds", "Time to answer, by route template.",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.registry.register(StateCollector(state))
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._timers: dict[tuple[str, str], Any] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        counter = self._counters.get((method, route, status))
        if counter is None:
            counter = self._counters[(method, route, status)] = self.requests.labels(method, route, str(status))
        timer = self._timers.get((method, route))
        if timer is None:
            timer = self._timers[(method, route)] = self.latency.labels(method, route)
        counter.inc()
        timer.observe(seconds)

    def exposition(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # several worker processes: their files, summed
            from prometheus_client import multiprocess

            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return generate_latest(merged) + generate_latest(_only_state(self.registry))
        return generate_latest(self.registry)


def _only_state(registry: CollectorRegistry) -> CollectorRegistry:
    out = CollectorRegistry()
    for collector in list(getattr(registry, "_collector_to_names", {})):
        if isinstance(collector, StateCollector):
            out.register(collector)
    return out


def _networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for item in text.split(","):
        if item.strip():
            out.append(ipaddress.ip_network(item.strip(), strict=False))
    return out


# ----------------------------------------------------------------------------- the ASGI layer

class Observe:
    """Request id, metrics, access log and spans around ``app``; serves ``/metrics`` and ``/health/*``."""

    def __init__(self, app: ASGIApp, state: AppState):
        settings = state.settings
        self.app = app
        self.state = state
        self.header = settings.request_id_header.lower().encode()
        self.header_name = settings.request_id_header.encode()
        self.metrics = Metrics(state) if settings.metrics_enabled else None
        self.allowed = _networks(settings.metrics_allow)
        self.token = settings.metrics_token
        self.access_log = settings.access_log
        self.tracer = _tracer() if settings.tracing else None
        self.routes = Routes()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in HEALTH_PATHS or path == "/metrics":
            await self._own(scope, receive, send, path)
            return
        rid = self._incoming_id(scope) or uuid.uuid4().hex
        token = _request_id.set(rid)
        started = time.perf_counter()
        status = 500
        header = (self.header_name, rid.encode())

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        span = self._span(scope) if self.tracer is not None else None
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = self.routes.of(scope, status)
            if self.metrics is not None:
                self.metrics.observe(scope["method"], route, status, seconds)
            if span is not None:
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                span.update_name(f"{scope['method']} {route}")
                span.end()
            if self.access_log:
                access.info("%s %s %s", scope["method"], path, status, extra={"fields": {
                    "method": scope["method"], "path": path, "route": route, "status": status,
                    "duration_ms": round(seconds * 1000, 2), "client": (scope.get("client") or ("",))[0]}})
            _request_id.reset(token)

    def _incoming_id(self, scope: Scope) -> str | None:
        for name, value in scope.get("headers", ()):
            if name == self.header:
                text = value.decode("latin-1")
                return text if GOOD_ID.match(text) else None
        return None

    def _span(self, scope: Scope) -> Any:
        assert self.tracer is not None
        span = self.tracer.start_span(scope["method"], attributes={
            "http.request.method": scope["method"], "url.path": scope["path"], "foxtrack.request_id": _request_id.get()})
        return span

    async def _own(self, scope: Scope, receive: Any, send: Any, path: str) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await _answer(send, 405, b'{"error": true, "message": "Method not allowed."}')
        elif path == "/health/live":
            await _answer(send, 200, b'{"status": "alive"}')
        elif path == "/health/ready":
            ok = await run_in_threadpool(self._database_answers)
            await _answer(send, 200 if ok else 503, b'{"status": "ready", "database": "ok"}' if ok
                          else b'{"status": "not ready", "database": "unreachable", "error": true}')
        elif self.metrics is None:
            await _answer(send, 404, b'{"error": true, "message": "Metrics are disabled."}')
        elif not self._may_scrape(scope):
            await _answer(send, 403, b'{"error": true, "message": "Metrics are not public: scrape from an address '
                                     b'of FOXTRACK_METRICS_ALLOW or with the FOXTRACK_METRICS_TOKEN bearer token."}')
        else:
            body = await run_in_threadpool(self.metrics.exposition)
            await _answer(send, 200, body, CONTENT_TYPE_LATEST.encode())

    def _may_scrape(self, scope: Scope) -> bool:
        if self.token:
            for name, value in scope.get("headers", ()):
                if name == b"authorization" and value.decode("latin-1").strip() == f"Bearer {self.token}":
                    return True
        client = scope.get("client")
        if not client:
            return False
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        return any(address in network for network in self.allowed)

    def _database_answers(self) -> bool:
        try:
            with self.state.engine.connect() as conn:
                conn.execute(sa.select(sa.literal(1)))
            return True
        except sa.exc.SQLAlchemyError:
            logging.getLogger("foxtrack").warning("readiness: the database does not answer", exc_info=True)
            return False


class Routes:
    """The route template of a request: FastAPI's route path, with the CRUD model named (a bounded set:
    the converter only matches known models). Paths the response cache answers before any route runs get
    the template that path had when it was last routed here."""

    LIMIT = 20_000

    def __init__(self) -> None:
        self.by_path: dict[str, str] = {}
        self.named: dict[tuple[str, str], str] = {}

    def of(self, scope: Scope, status: int) -> str:
        path: str = scope["path"]
        template = getattr(scope.get("route"), "path", None)
        if isinstance(template, str):
            model = (scope.get("path_params") or {}).get("model_name")
            if isinstance(model, str) and "{model_name" in template:
                named = self.named.get((template, model))
                if named is None:
                    named = re.sub(r"\{model_name[^}]*\}", model, template)
                    if len(self.named) < self.LIMIT:
                        self.named[(template, model)] = named
                template = named
            if len(self.by_path) >= self.LIMIT:
                self.by_path.clear()
            self.by_path[path] = template
            return template
        if path.startswith("/socket.io"):
            return "/socket.io"
        known = self.by_path.get(path)
        if known is not None and status not in (404, 405):
            return known
        # no route ran: an unknown path (or a cached answer of a path not routed since this process started)
        return "(unmatched)" if status in (404, 405) else "(cached)"


async def _answer(send: Any, status: int, body: bytes, content_type: bytes = b"application/json") -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


def _tracer() -> Any:
    """An OpenTelemetry tracer when the packages are installed (None otherwise). With the SDK and the OTLP
    exporter installed and no provider configured, spans go to ``OTEL_EXPORTER_OTLP_ENDPOINT``."""
    try:
        from opentelemetry import trace
    except ImportError:
        logging.getLogger("foxtrack").warning("FOXTRACK_TRACING is set but opentelemetry is not installed")
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        if type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider":
            provider = TracerProvider(resource=Resource.create({"service.name": "foxtrack"}))
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
            trace.set_tracer_provider(provider)
    except ImportError:
        pass  # the API alone: spans go to whatever provider the process was given
    return trace.get_tracer("foxtrack")


def install(asgi: ASGIApp, state: AppState) -> ASGIApp:
    """Wrap the app (inside the ``/api`` prefix layer, so route templates are FastAPI's) and set the logs up."""
    configure_logging(state.settings)
    layer = Observe(asgi, state)
    state.extras["observe"] = layer
    return layer
