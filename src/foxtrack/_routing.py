"""Indexed route dispatch.

FastAPI scans every route in order for every request; with a few hundred Kitsu routes that scan
costs more than most handlers. Routes are flattened into the app's router and indexed by the
request's segment count and first two literal segments, so a request only tries the handful of
routes that could match, in their original order (the order still decides ambiguities). Anything
the index cannot place (a 404, a trailing-slash redirect) falls back to the normal router.

A plain ``def`` handler runs on the thread pool; the request's database checks (``authenticated``:
the identity on an auth cache miss, the route policy) ride on that same thread-pool call instead of
hopping there on their own: the handler's call settles its ``RequestContext`` first (``settle_first``),
so a request costs one hop. That hop is a plain ``loop.run_in_executor`` on the handlers' own pool
(``HANDLER_POOL``) rather than FastAPI's ``run_in_threadpool``: anyio's worker-thread machinery
(capacity limiter, cancel scopes, run-variable lookups, its own queue) took about a tenth of a
write request's server CPU in a profile.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.routing import APIRoute, request_response
from starlette.routing import BaseRoute, Match

from foxtrack.core.context import RequestContext, authenticated

Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]

HANDLER_THREADS = 40  # as anyio's default thread limiter, which FastAPI's hop would use
HANDLER_POOL = ThreadPoolExecutor(max_workers=HANDLER_THREADS, thread_name_prefix="foxtrack-handler")


class _Shape:
    __slots__ = ("count", "literals", "variable")

    literals: tuple[str | None, str | None]

    def __init__(self, path: str | None):
        if path is None:
            self.count, self.literals, self.variable = 0, (None, None), True
            return
        segs = path.strip("/").split("/") if path.strip("/") else []
        self.variable = any(":path" in s for s in segs)
        self.count = len(segs)
        lits = [None if "{" in s else s for s in segs[:2]]
        while len(lits) < 2:
            lits.append("")
        self.literals = (lits[0], lits[1])

    def admits(self, count: int, first: str, second: str) -> bool:
        if not self.variable and self.count != count:
            return False
        a, b = self.literals
        return (a is None or a == first) and (b is None or b == second or (self.variable and b == ""))


class IndexedDispatch:
    def __init__(self, routes: list[BaseRoute], fallback: ASGI, router: Any):
        self.routes = routes
        self.fallback = fallback
        self.router = router
        self.shapes = [_Shape(getattr(r, "path", None)) for r in routes]
        self.known_second = {s.literals[1] for s in self.shapes if s.literals[1]}
        self.cache: dict[tuple[int, str, str], list[BaseRoute]] = {}

    def candidates(self, path: str) -> list[BaseRoute]:
        stripped = path.strip("/")
        segs = stripped.split("/") if stripped else []
        first = segs[0] if segs else ""
        second = segs[1] if len(segs) > 1 else ""
        if second and second not in self.known_second:
            second = "\x00"  # a value (an id): only parameter routes can take it
        key = (len(segs), first, second)
        found = self.cache.get(key)
        if found is None:
            found = [r for r, shape in zip(self.routes, self.shapes) if shape.admits(*key) or shape.variable]
            if len(self.cache) < 4096:
                self.cache[key] = found
        return found

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.fallback(scope, receive, send)
            return
        scope.setdefault("router", self.router)
        partial: tuple[BaseRoute, Scope] | None = None
        for route in self.candidates(scope["path"]):
            match, child = route.matches(scope)
            if match == Match.FULL:
                scope.update(child)
                await route.handle(scope, receive, send)
                return
            if match == Match.PARTIAL and partial is None:
                partial = (route, child)
        if partial is not None:
            route, child = partial
            scope.update(child)
            await route.handle(scope, receive, send)
            return
        await self.fallback(scope, receive, send)


def settle_first(call: Callable[..., Any], context_params: list[str]) -> Callable[..., Any]:
    """``call`` (a plain ``def`` handler) that first settles the request context it is given in
    ``context_params``, on the thread it runs on."""

    @functools.wraps(call)
    def handler(**values: Any) -> Any:
        for name in context_params:
            ctx = values.get(name)
            if isinstance(ctx, RequestContext):
                ctx.settle()
        return call(**values)

    handler.__foxtrack_settles__ = True  # type: ignore[attr-defined]
    return handler


def on_pool(call: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """``call`` as a coroutine that runs it on ``HANDLER_POOL`` in a copy of the caller's context."""

    @functools.wraps(call)
    async def handler(**values: Any) -> Any:
        run = contextvars.copy_context().run
        return await asyncio.get_running_loop().run_in_executor(HANDLER_POOL, functools.partial(run, call, **values))

    handler.__foxtrack_settles__ = True  # type: ignore[attr-defined]
    return handler


def settle_in_handlers(routes: list[BaseRoute]) -> set[int]:
    """Make every plain ``def`` handler that takes the request context (``Ctx``) settle it in its own
    thread-pool call; the ``id`` of the routes so made (``authenticated`` leaves their checks pending)."""
    settled: set[int] = set()
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        dependant = route.dependant
        call = dependant.call
        if getattr(call, "__foxtrack_settles__", False):  # routes are module objects: wrapped once
            settled.add(id(route))
            continue
        if call is None or inspect.iscoroutinefunction(call) or not callable(call):
            continue
        params = [d.name for d in dependant.dependencies if d.call is authenticated and d.name]
        # a context reached only through another dependency would be used before the handler runs
        nested = any(_uses_authenticated(d) for d in dependant.dependencies if d.call is not authenticated)
        if not params or nested:
            continue
        dependant.call = settle_first(call, params)
        if getattr(route, "max_body_size", None) is None:  # FastAPI's own limit wraps route.app
            dependant.call = on_pool(dependant.call)
            route.app = request_response(route.get_route_handler())  # it decided "sync" at init
        settled.add(id(route))
    return settled


def _uses_authenticated(dependant: Any) -> bool:
    return any(d.call is authenticated or _uses_authenticated(d) for d in dependant.dependencies)


def flatten(routes: list[BaseRoute]) -> list[BaseRoute]:
    """``routes`` with each router included without a prefix or dependencies (``include_router``)
    replaced by its own routes. FastAPI keeps an included router as one entry that matches by
    walking its routes, and such an entry has no path the index could place: it would be tried, the
    walk included, by every request."""
    out: list[BaseRoute] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        context = getattr(route, "include_context", None)
        if (included is not None and context is not None and not getattr(context, "prefix", "x")
                and not getattr(context, "dependencies", ["x"])):
            out.extend(flatten(list(included.routes)))
        else:
            out.append(route)
    return out


def install(app: Any, routers: list[Any]) -> None:
    """Flatten ``routers`` into ``app.router``, route through the index, and let plain handlers settle
    the request's checks in their own thread-pool call."""
    for router in routers:
        app.router.routes.extend(flatten(router.routes))
    state = getattr(app.state, "foxtrack", None)
    settled = settle_in_handlers(list(app.router.routes))
    if state is not None:
        state.handler_checked_routes |= settled
    dispatch = IndexedDispatch(list(app.router.routes), app.router.middleware_stack, app.router)
    app.router.middleware_stack = dispatch
