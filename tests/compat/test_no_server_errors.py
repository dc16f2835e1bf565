"""Bad input never gives a 500: every route with garbage ids, every CRUD model with garbage
filters and bodies, and every query parameter a route reads with garbage values (a bounded loopback
sweep against a server of its own, on SQLite and on PostgreSQL)."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import gazu
import pytest
import requests

from foxtrack.core.models import MODELS
from foxtrack.openapi._reads import params_read_by, query_names
from foxtrack.features import routers
from foxtrack.testing import RunningServer, drop_postgres, postgres_url, start_server

BODIES: list[Any] = [{}, [], "text", {"name": 5}, {"name": None, "task_ids": "x", "entity_id": "x"},
                     {"data": "not a dict", "date": "2024-99-99", "duration": "abc", "active": "maybe"},
                     {"name": "x" * 2000, "description": "a\u0000b", "data": {"k": "\u0000"}},
                     {"name": {"a": 1}, "first_name": ["x"], "nb_frames": 2**40}]

# each query parameter a route reads gets each of these (page=0, "[" and the like: test_validation)
GARBAGE = ["x" * 2000, "a\x00b", "%", "-5", "abc", "99999999999999999999"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def lone_server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    url = None
    if request.param == "postgresql":
        url = postgres_url()
        if url is None:
            pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (set FOXTRACK_TEST_PG to point at one)")
    srv = start_server(database_url=url)
    yield srv
    srv.stop()
    if url:
        drop_postgres(url)


def session(server: RunningServer) -> requests.Session:
    c = gazu.client.create_client(server.api)
    gazu.log_in(server.email, server.password, client=c)
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {c.access_token}"
    return s


Call = tuple[str, str, dict[str, str] | None, Any]  # method, url, query, JSON body


def server_errors(http: requests.Session, calls: list[Call], workers: int = 6) -> list[str]:
    """Send ``calls`` a few at a time (the server serves them side by side), one session per thread;
    the calls that answered 5xx."""
    local = threading.local()

    def send(call: Call) -> str | None:
        if not hasattr(local, "http"):
            local.http = requests.Session()
            local.http.headers.update(http.headers)
        method, url, query, body = call
        try:
            r = local.http.request(method, url, params=query, json=body, timeout=60)
        except requests.ConnectionError:  # a kept-alive connection the server had closed: once more, anew
            local.http = requests.Session()
            local.http.headers.update(http.headers)
            r = local.http.request(method, url, params=query, json=body, timeout=60)
        if r.status_code >= 500:
            return f"{method} {url} {query or ''} {body!r}"[:300] + f": {r.status_code} {r.text[:100]}"
        return None

    with ThreadPoolExecutor(workers) as pool:
        return [found for found in pool.map(send, calls) if found is not None]


def test_routes_with_garbage(lone_server: RunningServer) -> None:
    http = session(lone_server)
    calls: list[Call] = []
    for router in routers():
        for route in router.routes:
            if route.path in ("/auth/logout", "/auth/logout/"):  # it would end the sweep's session
                continue
            for method in sorted(route.methods - {"HEAD"}):
                for value in (str(uuid.uuid4()), "garbage"):
                    url = lone_server.api + re.sub(r"\{[^}]+\}", value, route.path)
                    calls.extend((method, url, None, body) for body in (BODIES if method in ("POST", "PUT") else [None]))
    assert len(calls) > 1000
    failures = server_errors(http, calls)
    assert http.get(f"{lone_server.api}/auth/authenticated", timeout=30).status_code == 200  # still logged in
    assert not failures, "\n".join(failures[:30])


def test_crud_models_with_garbage(lone_server: RunningServer) -> None:
    http = session(lone_server)
    failures = []
    for name in MODELS:
        url = f"{lone_server.api}/data/{name}"
        for query in ("?page=abc", "?limit=-1&page=1", "?name=%25", "?relations=maybe", "?id=bad", "?project_id=[bad"):
            r = http.get(url + query, timeout=30)
            if r.status_code >= 500:
                failures.append(f"GET {name}{query}: {r.status_code}")
        made = []
        for body in BODIES:
            r = http.post(url, json=body, timeout=30)
            if r.status_code >= 500:
                failures.append(f"POST {name} {body!r}: {r.status_code} {r.text[:100]}")
            elif r.status_code == 201:
                made.append(r.json()["id"])
        for target in made[:1] or [str(uuid.uuid4())]:
            for body in BODIES:
                r = http.put(f"{url}/{target}", json=body, timeout=30)
                if r.status_code >= 500:
                    failures.append(f"PUT {name} {body!r}: {r.status_code} {r.text[:100]}")
    assert not failures, "\n".join(failures[:30])


# ----------------------------------------------------------------------------- query strings
# which query parameters a route reads: found by following the code it calls (the same reading the
# OpenAPI document is built from)

def _seed(server: RunningServer, http: requests.Session) -> dict[str, str]:
    """Real ids for path parameters, so routes get past their 404 and read their query strings."""
    gazu.set_host(server.api)
    gazu.log_in(server.email, server.password)
    project = gazu.project.new_project(f"Sweep {uuid.uuid4().hex[:6]}", production_type="tvshow")
    episode = gazu.shot.new_episode(project, "E01")
    sequence = gazu.shot.new_sequence(project, "SQ01", episode=episode)
    shot = gazu.shot.new_shot(project, sequence, "SH01")
    asset_type = gazu.asset.all_asset_types()[0]
    asset = gazu.asset.new_asset(project, asset_type, "Hero")
    task_type = gazu.task.get_task_type_by_name("Animation")
    task = gazu.task.new_task(shot, task_type)
    status = gazu.task.get_task_status(task["task_status_id"])
    comment = gazu.task.add_comment(task, status, "sweep")
    playlist = gazu.playlist.new_playlist(project, "Sweep")
    me = http.get(f"{server.api}/auth/authenticated", timeout=30).json()["user"]
    return {"project_id": project["id"], "episode_id": episode["id"], "sequence_id": sequence["id"],
            "shot_id": shot["id"], "entity_id": shot["id"], "temporal_entity_id": shot["id"],
            "asset_id": asset["id"], "asset_type_id": asset_type["id"], "task_id": task["id"],
            "task_type_id": task_type["id"], "task_status_id": status["id"], "comment_id": comment["id"],
            "playlist_id": playlist["id"], "person_id": me["id"], "model_name": "projects",
            "date": "2024-01-15", "year": "2024", "month": "1", "week": "1", "day": "1"}


def test_query_strings_with_garbage(lone_server: RunningServer) -> None:
    http = session(lone_server)
    ids = _seed(lone_server, http)
    known = query_names()
    order = {"GET": 0, "POST": 1, "PUT": 1, "DELETE": 2}  # deletions last: they remove the seed
    calls = []
    for router in routers():
        for route in router.routes:
            if route.path.startswith("/auth"):  # logging out would end the sweep's session
                continue
            names = params_read_by(route.endpoint, known)
            path = re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: ids.get(m.group(1), str(uuid.uuid4())), route.path)
            for method in route.methods - {"HEAD"}:
                calls.extend((order.get(method, 1), method, route.path, path, name) for name in sorted(names))
    assert len(calls) > 300, "the sweep found too few query parameters to be meaningful"
    failures = []
    for stage in sorted({c[0] for c in calls}):  # reads, then writes, then deletions
        failures += server_errors(http, [(method, lone_server.api + path, {name: value},
                                          {} if method in ("POST", "PUT") else None)
                                         for order, method, _template, path, name in sorted(calls) if order == stage
                                         for value in GARBAGE])
    assert not failures, "\n".join(failures[:30])
