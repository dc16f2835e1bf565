"""The OpenAPI document describes the API (bodies, query parameters, one path per CRUD model), its
pages are served bare and under /api, and a bounded schemathesis run over the whole document, with
bodies, finds no 5xx (a few examples per operation, real ids of a small production in the paths)."""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import gazu
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error

from foxtrack.core.models import MODELS
from foxtrack.testing import RunningServer, start_server

EXAMPLES = 3  # per operation
BUDGET_SECONDS = 70.0  # the whole run, on a loaded machine too
# logging out would end the run's session
SKIPPED = ("/auth/logout",)
# the model whose rows ``/data/<model>/{item_id}`` takes, by the fixture's id names
ITEM_IDS = {"projects": "project_id", "entities": "shot_id", "tasks": "task_id", "comments": "comment_id",
            "persons": "person_id", "playlists": "playlist_id", "task-types": "task_type_id",
            "task-status": "task_status_id", "entity-types": "asset_type_id", "asset-types": "asset_type_id"}


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    """A server of this module's own: schemathesis renames, deletes and rewrites reference data (task
    types, statuses, persons...), which the other modules' shared server must keep."""
    srv = start_server()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def document(server: RunningServer) -> dict[str, Any]:
    r = requests.get(f"{server.api}/openapi.json", timeout=120)
    assert r.status_code == 200
    doc: dict[str, Any] = r.json()
    return doc


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_document_describes_the_api(document: dict[str, Any]) -> None:
    validate(document)  # OpenAPI 3.1
    ops = list(operations(document))
    writes = [o for _, m, o in ops if m in ("post", "put")]
    with_body = [o for o in writes if "requestBody" in o]
    described = [o for o in with_body if any(c["schema"].get("properties") or c["schema"].get("anyOf")
                                             for c in o["requestBody"]["content"].values())]
    lists = [o for _, m, o in ops if m == "get"]
    with_query = [o for o in lists if any(p["in"] == "query" for p in o.get("parameters", []))]
    assert len(ops) > 700
    assert len(with_body) > 200 and len(described) > 180, (len(with_body), len(described))
    assert len(with_query) > 280, len(with_query)
    assert all(o.get("summary") for _, _, o in ops)
    # the generic CRUD: one path per model, its columns as body and filters
    for name in MODELS:
        assert f"/data/{name}" in document["paths"], name
    projects = document["paths"]["/data/projects"]
    assert projects["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["name"] == \
        {"type": "string", "maxLength": 80}
    filters = {p["name"] for p in projects["get"]["parameters"]}
    assert {"name", "project_status_id", "page", "limit", "relations"} <= filters
    # typed routes: the query parameters and body keys their code reads
    open_tasks = {p["name"] for p in document["paths"]["/data/tasks/open-tasks"]["get"]["parameters"]}
    assert {"project_id", "task_type_id", "page", "limit"} <= open_tasks
    comment = document["paths"]["/actions/tasks/{task_id}/comment"]["post"]["requestBody"]["content"]
    assert {"task_status_id", "comment"} <= set(comment["application/json"]["schema"]["properties"])
    assert "file" in comment["multipart/form-data"]["schema"]["properties"]
    # the path template of an item is the typed route's where one answers some of its methods
    templates = {re.sub(r"\{[^}]*\}", "{}", p) for p in document["paths"]}
    assert len(templates) == len(document["paths"])


@pytest.mark.parametrize("prefix", ["", "/api"])
def test_documentation_pages(server: RunningServer, prefix: str) -> None:
    root = server.api.removesuffix("/api")
    for page, marker in (("/docs", "swagger"), ("/apidocs", "swagger"), ("/redoc", "redoc")):
        r = requests.get(f"{root}{prefix}{page}", timeout=30)
        assert r.status_code == 200 and marker in r.text.lower(), page
        assert f"{prefix}/openapi.json" in r.text  # where the browser finds the document
    assert requests.get(f"{root}{prefix}/openapi.json", timeout=60).json()["openapi"].startswith("3.")


def _production(server: RunningServer) -> dict[str, str]:
    """A small production whose ids go into path parameters, so routes get past their 404."""
    gazu.set_host(server.api)
    gazu.log_in(server.email, server.password)
    project = gazu.project.new_project(f"Schemathesis {uuid.uuid4().hex[:6]}", production_type="tvshow")
    episode = gazu.shot.new_episode(project, "E01")
    sequence = gazu.shot.new_sequence(project, "SQ01", episode=episode)
    shot = gazu.shot.new_shot(project, sequence, "SH01", nb_frames=24)
    asset_type = gazu.asset.all_asset_types()[0]
    asset = gazu.asset.new_asset(project, asset_type, "Hero")
    task_type = gazu.task.get_task_type_by_name("Animation")
    task = gazu.task.new_task(shot, task_type)
    status = gazu.task.get_task_status(task["task_status_id"])
    comment = gazu.task.add_comment(task, status, "schemathesis")
    playlist = gazu.playlist.new_playlist(project, "Schemathesis")
    # not the admin: a generated body must not demote or deactivate the run's own account
    artist = gazu.person.new_person("Schema", "Thesis", f"st-{uuid.uuid4().hex[:6]}@example.com")
    gazu.project.add_person_to_team(project, artist)
    return {"project_id": project["id"], "episode_id": episode["id"], "sequence_id": sequence["id"],
            "shot_id": shot["id"], "entity_id": shot["id"], "temporal_entity_id": shot["id"],
            "asset_id": asset["id"], "asset_type_id": asset_type["id"], "task_id": task["id"],
            "task_type_id": task_type["id"], "task_status_id": status["id"], "comment_id": comment["id"],
            "playlist_id": playlist["id"], "person_id": artist["id"], "model_name": "projects",
            "date": "2024-01-15", "year": "2024", "month": "1", "week": "1", "day": "1"}


def _real_ids(path: str, generated: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    out = dict(generated)
    for name in out:
        key = name
        if name == "item_id":
            model = path.split("/")[2] if path.startswith("/data/") else ""
            key = ITEM_IDS.get(model, "")
        if key in ids:
            out[name] = ids[key]
    return out


def test_schemathesis_finds_no_server_error(server: RunningServer, document: dict[str, Any]) -> None:
    ids = _production(server)
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {gazu.client.default_client.tokens['access_token']}"
    schema = schemathesis.openapi.from_dict(document)
    found = [r.ok() for r in schema.get_all_operations() if r.ok().path not in SKIPPED]
    # deletions last: they remove the fixture production
    found.sort(key=lambda op: op.method.upper() == "DELETE")
    deadline = time.monotonic() + BUDGET_SECONDS
    failures: list[str] = []
    sent = ran = 0
    answers: Counter[str] = Counter()

    for operation in found:
        if time.monotonic() > deadline:
            break
        ran += 1

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                             phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            nonlocal sent
            if time.monotonic() > deadline:
                return
            if case.path_parameters:
                case.path_parameters = _real_ids(case.operation.path, case.path_parameters, ids)
            response = case.call(base_url=server.api, session=http, timeout=60)
            sent += 1
            answers[f"{response.status_code // 100}xx"] += 1
            try:
                case.validate_response(response, checks=[not_a_server_error])
            except Exception:  # noqa: BLE001 - a failure group: reported below, the run goes on
                failures.append(f"{case.method} {case.formatted_path} {case.query!r} {case.body!r}"[:400]
                                + f": {response.status_code} {response.text[:200]}")

        run()
    print(f"schemathesis: {ran} of {len(found)} operations, {sent} requests, {len(failures)} server errors; answers {dict(sorted(answers.items()))}")
    # the budget bounds the run on a slow or busy machine; on an idle one it covers every operation
    assert ran > 0.5 * len(found), f"the budget covered only {ran} of {len(found)} operations"
    assert not failures, "\n".join(failures[:40])
