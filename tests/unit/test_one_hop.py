"""A request costs one thread-pool hop: ``authenticated`` leaves its database checks (the identity on
an auth cache miss, the route policy) to the plain handler's own thread-pool call
(``foxtrack._routing.settle_in_handlers``), and the checks still refuse what they refused before."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
import requests

from foxtrack import _routing as routing
from foxtrack.core.context import AppState, RequestContext
from foxtrack.testing._inprocess import Tracker, start_tracker
from foxtrack.testing._seed import Seed

VENDOR = {"email": "vendor@example.com", "first_name": "Vee", "last_name": "Vendor", "role": "vendor"}
ARTIST = {"email": "artist@example.com", "first_name": "Ada", "last_name": "Artist"}


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tracker]:
    # every request reaches its handler (no answer served again from the response cache)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FOXTRACK_RESPONSE_CACHE", "false")
        found = start_tracker(Seed(people=[ARTIST, VENDOR]), data_dir=Path(tmp_path_factory.mktemp("one-hop")))
    yield found
    found.stop()


class CountingPool:
    """The handlers' pool, naming what it is sent."""

    def __init__(self, pool: Any, sent: list[str]):
        self.pool, self.sent = pool, sent

    def submit(self, func: Any, *args: Any) -> Any:
        inner = func.args[0] if isinstance(func, functools.partial) and func.args else func
        self.sent.append(getattr(inner, "__name__", repr(inner)))
        return self.pool.submit(func, *args)


@pytest.fixture()
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions sent to a thread while the test runs: through anyio (FastAPI's
    ``run_in_threadpool``, ``authenticated``'s own hop) or the handlers' pool."""
    sent: list[str] = []
    original = anyio.to_thread.run_sync

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(func, "__name__", repr(func)))
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    monkeypatch.setattr(routing, "HANDLER_POOL", CountingPool(routing.HANDLER_POOL, sent))
    return sent


def fastapi_app(tracker: Tracker) -> Any:
    """The FastAPI app inside the ASGI layers ``create_app`` wraps it in."""
    assert tracker._server is not None
    layer: Any = tracker._server.config.app
    while not (hasattr(layer, "router") and hasattr(layer, "state")):
        layer = getattr(layer, "app", None) or layer.other_asgi_app
    return layer


def state_of(tracker: Tracker) -> AppState:
    state: AppState = fastapi_app(tracker).state.foxtrack
    return state


def session(tracker: Tracker, email: str, password: str) -> requests.Session:
    http = requests.Session()
    answer = http.post(f"{tracker.api}/auth/login", json={"email": email, "password": password}, timeout=10)
    assert answer.status_code == 200, answer.text
    http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return http


def test_plain_handlers_settle_the_context_and_async_ones_do_not(tracker: Tracker) -> None:
    state = state_of(tracker)
    routes = fastapi_app(tracker).router.routes
    paths = {(getattr(r, "path", ""), tuple(sorted(getattr(r, "methods", ()))))
             for r in routes if id(r) in state.handler_checked_routes}
    assert ("/data/tasks/{task_id}/full", ("GET",)) in paths
    assert ("/data/assets/{asset_id}", ("GET",)) in paths
    # an async handler awaits on the loop: its checks keep their own hop
    assert ("/actions/tasks/{task_id}/comment", ("POST",)) not in paths


def test_admin_request_is_one_hop_on_an_auth_cache_miss_too(tracker: Tracker, hops: list[str]) -> None:
    http = session(tracker, tracker.email, tracker.password)
    task = tracker.ids["sq170_sh0224/Anim3D"]
    hops.clear()
    assert http.get(f"{tracker.api}/data/tasks/{task}/full", timeout=10).status_code == 200
    assert hops == ["full_task"]  # the handler itself, on the handlers' pool (not anyio's threads)
    state_of(tracker).invalidate_auth()  # the identity must be read again
    hops.clear()
    answer = http.get(f"{tracker.api}/data/tasks/{task}/full", timeout=10)
    assert answer.status_code == 200 and answer.json()["id"] == task
    assert len(hops) == 1


def test_policy_checked_in_the_handler_hop(tracker: Tracker, hops: list[str]) -> None:
    """``GET data/assets/{id}`` has a rule (vendors: assigned ones only); an artist passes it and a
    vendor not assigned is refused, each in one hop, cache hit or miss."""
    asset = tracker.ids["Hero"]
    artist = session(tracker, ARTIST["email"], tracker.seed.people_password)
    vendor = session(tracker, VENDOR["email"], tracker.seed.people_password)
    for clear in (False, True):
        if clear:
            state_of(tracker).invalidate_auth()
        hops.clear()
        assert artist.get(f"{tracker.api}/data/assets/{asset}", timeout=10).status_code == 200
        assert len(hops) == 1
        if clear:
            state_of(tracker).invalidate_auth()
        hops.clear()
        refused = vendor.get(f"{tracker.api}/data/assets/{asset}", timeout=10)
        assert refused.status_code == 403, refused.text
        assert len(hops) == 1


def test_revoked_token_refused_when_checked_in_the_handler(tracker: Tracker) -> None:
    http = session(tracker, ARTIST["email"], tracker.seed.people_password)
    assert http.get(f"{tracker.api}/data/assets/{tracker.ids['Hero']}", timeout=10).status_code == 200
    assert http.get(f"{tracker.api}/auth/logout", timeout=10).status_code == 200
    state_of(tracker).auth_cache.clear()
    for path in (f"data/assets/{tracker.ids['Hero']}", f"data/projects/{tracker.project_id}"):
        answer = http.get(f"{tracker.api}/{path}", timeout=10)
        assert answer.status_code == 401, (path, answer.text)
        assert answer.json() == {"msg": "Token has been revoked"}


def test_settle_runs_pending_checks_once() -> None:
    calls: list[str] = []
    ctx = RequestContext(state=None, person_id="p", role="user", is_bot=False, claims={})  # type: ignore[arg-type]
    ctx._pending = lambda c: calls.append(c.person_id)
    ctx.settle()
    ctx.settle()
    assert calls == ["p"]


def test_included_routers_are_flattened_into_the_index(tracker: Tracker) -> None:
    """``auth`` includes the 2FA, password-reset and audit routers: their routes are entries of the
    app's own table (each with a path the index places), and they answer as before."""
    routes = fastapi_app(tracker).router.routes
    assert all(getattr(r, "path", None) for r in routes), [r for r in routes if not getattr(r, "path", None)]
    paths = {getattr(r, "path", "") for r in routes}
    assert {"/auth/totp", "/data/persons/{person_id}/login-logs"} <= paths
    http = session(tracker, tracker.email, tracker.password)
    me = http.get(f"{tracker.api}/auth/authenticated", timeout=10).json()["user"]["id"]
    logs = http.get(f"{tracker.api}/data/persons/{me}/login-logs", timeout=10)
    assert logs.status_code == 200, logs.text
    assert isinstance(logs.json(), list) and logs.json()
    assert http.get(f"{tracker.api}/auth/email-otp", timeout=10).status_code != 404
