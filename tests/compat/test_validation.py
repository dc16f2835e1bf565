"""Validation answers the same 4xx, body for body, on SQLite and PostgreSQL: Zou's column sizes,
NUL characters, strict string types, literal ``%``/``_`` in name filters, bad ``page``/``limit``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import gazu
import pytest
import requests

from foxtrack.testing import RunningServer, drop_postgres, postgres_url, start_server


@dataclass
class Backend:
    server: RunningServer
    http: requests.Session
    ids: dict[str, str]

    def call(self, method: str, path: str, **kw: Any) -> tuple[int, Any]:
        r = self.http.request(method, self.server.api + path.format(**self.ids), timeout=30, **kw)
        return r.status_code, r.json()


def _seed(server: RunningServer) -> Backend:
    client = gazu.client.create_client(server.api)
    gazu.log_in(server.email, server.password, client=client)
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {client.access_token}"
    backend = Backend(server, http, {})

    def made(path: str, body: dict[str, Any]) -> str:
        r = http.post(server.api + path.format(**backend.ids), json=body, timeout=30)
        assert r.status_code in (200, 201), r.text
        return str(r.json()["id"])

    backend.ids["project"] = made("/data/projects", {"name": "Validation"})
    backend.ids["sequence"] = made("/data/projects/{project}/sequences", {"name": "SQ01"})
    for name in ("SH_1", "SHX1", "100%"):
        backend.ids[name] = made("/data/projects/{project}/shots", {"name": name, "sequence_id": backend.ids["sequence"]})
    backend.ids["shot"] = backend.ids["SH_1"]
    backend.ids["webhook"] = made("/data/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["*"]})
    return backend


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, Backend]]:
    started: list[tuple[RunningServer, str | None]] = []
    out: dict[str, Backend] = {}
    try:
        srv = start_server()
        started.append((srv, None))
        out["sqlite"] = _seed(srv)
        url = postgres_url()
        if url is not None:
            srv = start_server(database_url=url)
            started.append((srv, url))
            out["postgresql"] = _seed(srv)
        yield out
    finally:
        for srv, url in started:
            srv.stop()
            if url:
                drop_postgres(url)


def invalid(field: str, message: str) -> dict[str, Any]:
    return {"error": True, "message": "Validation error.", "data": {"errors": [{"field": field, "message": message}]}}


def wrong(message: str) -> dict[str, Any]:
    return {"error": True, "message": message, "data": None}


NUL = "String should not contain NUL characters"
SHOTS = "/data/projects/{project}/shots"

# (label, method, path, request keywords, expected status, expected body or a function of the body)
CASES: list[tuple[str, str, str, dict[str, Any], int, Any]] = [
    ("long shot name", "POST", SHOTS, {"json": {"name": "x" * 2000}}, 400,
     invalid("name", "String should have at most 160 characters")),
    ("shot name of 160", "POST", SHOTS, {"json": {"name": "y" * 160}}, 201, lambda b: len(b["name"]) == 160),
    ("NUL in a shot name", "POST", SHOTS, {"json": {"name": "SH\u0000"}}, 400, invalid("name", NUL)),
    ("long name on update", "PUT", "/data/entities/{shot}", {"json": {"name": "x" * 2000}}, 400,
     invalid("name", "String should have at most 160 characters")),
    ("NUL in data", "PUT", "/data/entities/{shot}", {"json": {"data": {"k": "a\u0000"}}}, 400, invalid("data.k", NUL)),
    ("NUL in a description", "PUT", "/data/entities/{shot}", {"json": {"description": "\u0000"}}, 400,
     invalid("description", NUL)),
    ("NUL in ?name=", "GET", "/data/shots?name=SH%00", {}, 400, wrong("Wrong value for parameter name.")),
    ("NUL in a project's ?name=", "GET", SHOTS + "?name=%00", {}, 400, wrong("Wrong value for parameter name.")),
    ("NUL in any parameter", "GET", "/data/projects/{project}?relations=%00", {}, 400,
     wrong("Wrong value for parameter relations.")),
    ("long ?name=", "GET", SHOTS + "?name=" + "x" * 2000, {}, 200, []),
    ("?name=% is literal", "GET", SHOTS + "?name=%25", {}, 200, []),
    ("?name=_ is literal", "GET", SHOTS + "?name=SH_1", {}, 200, lambda b: [s["name"] for s in b] == ["SH_1"]),
    ("?name=100% matches itself", "GET", "/data/entities?name=100%25", {}, 200,
     lambda b: [s["name"] for s in b] == ["100%"]),
    ("project name as an object", "POST", "/data/projects", {"json": {"name": {"a": 1}}}, 400,
     invalid("name", "Input should be a valid string")),
    ("project name as a boolean", "POST", "/data/projects", {"json": {"name": True}}, 400,
     invalid("name", "Input should be a valid string")),
    ("long project name", "POST", "/data/projects", {"json": {"name": "p" * 81}}, 400,
     invalid("name", "String should have at most 80 characters")),
    ("long task type name", "POST", "/data/task-types", {"json": {"name": "t" * 41}}, 400,
     invalid("name", "String should have at most 40 characters")),
    ("integer out of range", "PUT", "/data/projects/{project}", {"json": {"man_days": 2**40}}, 400,
     invalid("man_days", "Input should be less than or equal to 2147483647")),
    ("limit=abc", "GET", "/data/projects?page=1&limit=abc", {}, 400, wrong("limit must be an integer.")),
    ("limit=-5", "GET", "/data/projects?page=1&limit=-5", {}, 400, wrong("limit must be a non-negative integer.")),
    ("page=0", "GET", "/data/projects?page=0", {}, 400, wrong("page must be a positive integer.")),
    ("page too large", "GET", "/data/projects?page=99999999999", {}, 400, wrong("page must be 2147483647 or less.")),
    ("deliveries limit=abc", "GET", "/data/webhooks/{webhook}/deliveries?limit=abc", {}, 400,
     wrong("limit must be an integer.")),
    ("project tasks page=-1", "GET", "/data/projects/{project}/tasks?page=-1", {}, 400,
     wrong("page must be a positive integer.")),
    ("open tasks limit=x", "GET", "/data/tasks/open-tasks?limit=x", {}, 400, wrong("limit must be an integer.")),
    ("events limit=-5", "GET", "/data/events/last?limit=-5", {}, 400, wrong("limit must be a non-negative integer.")),
    ("entity links page=0", "GET", "/data/projects/{project}/entity-links?page=0", {}, 400,
     wrong("page must be a positive integer.")),
    ("playlists page=abc", "GET", "/data/projects/{project}/playlists?page=abc", {}, 400,
     wrong("page must be an integer.")),
]


@pytest.mark.parametrize(("label", "method", "path", "kw", "status", "expected"), CASES, ids=[c[0] for c in CASES])
def test_same_answer_on_every_backend(backends: dict[str, Backend], label: str, method: str, path: str,
                                      kw: dict[str, Any], status: int, expected: Any) -> None:
    answers = {name: b.call(method, path, **kw) for name, b in backends.items()}
    for name, (got_status, body) in answers.items():
        assert got_status == status, f"{name}: {got_status} {body}"
        if isinstance(expected, Callable):  # type: ignore[arg-type]
            assert expected(body), f"{name}: {body}"
        else:
            assert body == expected, name
    if status >= 400:
        assert len({repr(a) for a in answers.values()}) == 1, answers


def test_refused_values_were_not_stored(backends: dict[str, Backend]) -> None:
    for name, b in backends.items():
        _, shots = b.call("GET", SHOTS)
        assert all(len(s["name"]) <= 160 and "\x00" not in s["name"] for s in shots), name
        _, shot = b.call("GET", "/data/entities/{shot}")
        assert shot["name"] == "SH_1" and not shot["data"] and shot["description"] is None, name
        _, projects = b.call("GET", "/data/projects")
        assert [p["name"] for p in projects] == ["Validation"], name


def test_postgresql_is_compared(backends: dict[str, Backend]) -> None:
    if "postgresql" not in backends:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432: answers checked on SQLite only")
