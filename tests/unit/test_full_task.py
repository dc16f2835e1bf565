"""``GET data/tasks/{id}/full`` (gazu's ``get_task``) embeds its assigner and assignees from one read of
the person table: on PostgreSQL every statement is a round trip, and this route was the slowest
per-entity read against Zou (``bench/profile_routes.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from foxtrack.testing._inprocess import ADMIN_EMAIL, ADMIN_PASSWORD, Tracker, start_tracker
from foxtrack.testing._seed import Seed

ARTISTS = [{"email": "ada@example.com", "first_name": "Ada", "last_name": "Artist"},
           {"email": "bob@example.com", "first_name": "Bob", "last_name": "Builder"}]


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tracker]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FOXTRACK_RESPONSE_CACHE", "false")  # every call reaches the handler
        found = start_tracker(Seed(people=ARTISTS), data_dir=Path(tmp_path_factory.mktemp("full-task")))
    yield found
    found.stop()


def engine_of(tracker: Tracker) -> sa.Engine:
    assert tracker._server is not None
    layer: Any = tracker._server.config.app
    while not (hasattr(layer, "router") and hasattr(layer, "state")):
        layer = getattr(layer, "app", None) or layer.other_asgi_app
    engine: sa.Engine = layer.state.foxtrack.engine
    return engine


def admin(tracker: Tracker) -> requests.Session:
    http = requests.Session()
    answer = http.post(f"{tracker.api}/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
                       timeout=10)
    assert answer.status_code == 200, answer.text
    http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return http


def person_reads(tracker: Tracker, http: requests.Session, task_id: str) -> tuple[dict[str, Any], int]:
    """The full task and how many statements read the person table to answer it."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = engine_of(tracker)
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        answer = http.get(f"{tracker.api}/data/tasks/{task_id}/full", timeout=10)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert answer.status_code == 200, answer.text
    return answer.json(), sum(1 for s in seen if "\nFROM person \n" in s or " FROM person WHERE" in s)


def test_assigner_and_assignees_come_from_one_person_read(tracker: Tracker) -> None:
    http = admin(tracker)
    me = http.get(f"{tracker.api}/auth/authenticated", timeout=10).json()["user"]
    people = {p["email"]: p["id"] for p in http.get(f"{tracker.api}/data/persons", timeout=10).json()}
    task_id = tracker.ids["sq170_sh0224/Anim3D"]
    for email in ("bob@example.com", "ada@example.com"):  # the admin assigns: the admin is the assigner
        answer = http.put(f"{tracker.api}/actions/persons/{people[email]}/assign", json={"task_ids": [task_id]},
                          timeout=10)
        assert answer.status_code == 200, answer.text

    task, reads = person_reads(tracker, http, task_id)
    assert reads == 1
    assert task["assigner"]["id"] == me["id"] and task["assigner"]["email"] == ADMIN_EMAIL
    assert sorted(task["assignees"]) == sorted([people["ada@example.com"], people["bob@example.com"]])
    assert [p["id"] for p in task["persons"]] == task["assignees"]  # the assignees' order, not the assigner
    assert all("departments" in p for p in task["persons"] + [task["assigner"]])

    # the assigner among the assignees: embedded in both places, still one read
    answer = http.put(f"{tracker.api}/actions/persons/{me['id']}/assign", json={"task_ids": [task_id]}, timeout=10)
    assert answer.status_code == 200, answer.text
    task, reads = person_reads(tracker, http, task_id)
    assert reads == 1
    assert me["id"] in task["assignees"] and task["assigner"]["id"] == me["id"]
    assert [p["id"] for p in task["persons"]] == task["assignees"]
