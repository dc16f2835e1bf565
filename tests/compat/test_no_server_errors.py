"""Bad input never gives a 500: every route with garbage ids, and every CRUD model with garbage
filters and bodies (a bounded loopback sweep against a server of its own)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import gazu
import pytest
import requests

from foxtrack.core.models import MODELS
from foxtrack.routes import routers
from foxtrack.testing import RunningServer, start_server

BODIES: list[Any] = [{}, [], "text", {"name": 5}, {"name": None, "task_ids": "x", "entity_id": "x"},
                     {"data": "not a dict", "date": "2024-99-99", "duration": "abc", "active": "maybe"}]


@pytest.fixture(scope="module")
def lone_server() -> Iterator[RunningServer]:
    srv = start_server()
    yield srv
    srv.stop()


def session(server: RunningServer) -> requests.Session:
    c = gazu.client.create_client(server.api)
    gazu.log_in(server.email, server.password, client=c)
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {c.access_token}"
    return s


def test_routes_with_garbage(lone_server: RunningServer) -> None:
    http = session(lone_server)
    failures = []
    for router in routers():
        for route in router.routes:
            for method in sorted(route.methods - {"HEAD"}):
                for value in (str(uuid.uuid4()), "garbage"):
                    url = lone_server.api + re.sub(r"\{[^}]+\}", value, route.path)
                    for body in BODIES if method in ("POST", "PUT") else [None]:
                        r = http.request(method, url, json=body, timeout=30)
                        if r.status_code >= 500:
                            failures.append(f"{method} {route.path} {body!r}: {r.status_code} {r.text[:100]}")
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
