"""The hot reads send a fixed number of SQL statements, whatever the number of rows they embed: an
N+1 (one statement per assignee, comment or relation) fails these tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import event

from foxtrack.core.context import AppState
from foxtrack.testing._inprocess import Tracker, start_tracker
from foxtrack.testing._seed import Seed

BACKGROUND = re.compile(r"\b(FROM|UPDATE|INTO) job\b")
PEOPLE = [{"email": f"artist{i}@example.com", "first_name": f"Artist{i}", "last_name": "Seed"} for i in range(3)]


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tracker]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FOXTRACK_RESPONSE_CACHE", "false")  # every request reaches its handler
        found = start_tracker(Seed(project="Counts", production_type="tvshow", people=PEOPLE,
                                   episodes={"E01": {"SQ01": ["SH010"]}}),
                              data_dir=Path(tmp_path_factory.mktemp("statement-counts")))
    yield found
    found.stop()


def state_of(tracker: Tracker) -> AppState:
    assert tracker._server is not None
    layer: Any = tracker._server.config.app
    while not (hasattr(layer, "router") and hasattr(layer, "state")):
        layer = getattr(layer, "app", None) or layer.other_asgi_app
    state: AppState = layer.state.foxtrack
    return state


@pytest.fixture(scope="module")
def admin(tracker: Tracker) -> requests.Session:
    http = requests.Session()
    answer = http.post(f"{tracker.api}/auth/login", json={"email": tracker.email, "password": tracker.password},
                       timeout=10)
    assert answer.status_code == 200, answer.text
    http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return http


def sent(tracker: Tracker, http: requests.Session, method: str, path: str,
         body: Any = None) -> tuple[list[str], requests.Response]:
    """The statements one request sends, and its answer (not those of the job worker's polls,
    which run on their own schedule)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not BACKGROUND.search(statement):
            seen.append(statement)

    engine = state_of(tracker).engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        answer = http.request(method, f"{tracker.api}/{path}", json=body, timeout=10)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen, answer


def statements(tracker: Tracker, http: requests.Session, path: str) -> tuple[list[str], Any]:
    """The statements one ``GET path`` sends (the caller's identity already remembered) and its JSON."""
    assert http.get(f"{tracker.api}/{path}", timeout=10).status_code == 200  # identity remembered, statements compiled
    seen, answer = sent(tracker, http, "GET", path)
    assert answer.status_code == 200, answer.text
    return seen, answer.json()


def assign(tracker: Tracker, http: requests.Session, task_id: str, person_id: str) -> None:
    answer = http.put(f"{tracker.api}/actions/tasks/{task_id}/assign", json={"person_id": person_id}, timeout=10)
    assert answer.status_code == 200, answer.text


def test_full_task_is_four_statements_whatever_its_assignees(tracker: Tracker, admin: requests.Session) -> None:
    task = tracker.ids["SH010/Anim3D"]
    people = [p["id"] for p in admin.get(f"{tracker.api}/data/persons", timeout=10).json()
              if p["email"].startswith("artist")]
    assign(tracker, admin, task, people[0])
    one, answer = statements(tracker, admin, f"data/tasks/{task}/full")
    # the task with its entity, sequence, episode, project, type, status and subscription; its
    # assignees; their persons; their departments
    assert len(one) == 4, one
    assert [p["id"] for p in answer["persons"]] == answer["assignees"] == [people[0]]
    assert answer["sequence"]["name"] == "SQ01" and answer["episode"]["name"] == "E01"
    for person in people[1:]:
        assign(tracker, admin, task, person)
    three, answer = statements(tracker, admin, f"data/tasks/{task}/full")
    assert len(three) == 4, three
    assert sorted(answer["assignees"]) == sorted(people) and len(answer["persons"]) == 3
    assert answer["assigner"]["email"] == tracker.email


def test_task_comments_do_not_cost_a_statement_each(tracker: Tracker, admin: requests.Session) -> None:
    task = tracker.ids["SH010/Anim3D"]
    status = admin.get(f"{tracker.api}/data/tasks/{task}", timeout=10).json()["task_status_id"]

    def comment(text: str) -> None:
        answer = admin.post(f"{tracker.api}/actions/tasks/{task}/comment",
                            json={"task_status_id": status, "comment": text}, timeout=10)
        assert answer.status_code == 201, answer.text

    comment("first")
    few, answer = statements(tracker, admin, f"data/tasks/{task}/comments")
    assert len(answer) == 1
    for n in range(4):
        comment(f"more {n}")
    more, answer = statements(tracker, admin, f"data/tasks/{task}/comments")
    assert len(answer) == 5
    assert len(more) == len(few) <= 7, more
    # previews, mentions, department mentions and acknowledgements: one statement
    assert sum("comment_mentions" in s for s in more) == 1, more


def test_entity_tasks_and_shot_are_constant(tracker: Tracker, admin: requests.Session) -> None:
    shot = tracker.ids["SH010"]
    tasks, answer = statements(tracker, admin, f"data/shots/{shot}/tasks")
    assert len(tasks) == 2 and answer[0]["entity_name"] == "SH010", tasks
    one_task, _ = statements(tracker, admin, f"data/tasks/{tracker.ids['SH010/Anim3D']}")
    assert len(one_task) == 2, one_task
    # the shot, its project/sequence/episode names, its links, its tasks (with the caller's
    # subscriptions), their assignees
    full_shot, answer = statements(tracker, admin, f"data/shots/{shot}")
    assert len(full_shot) == 5, full_shot
    assert answer["sequence_name"] == "SQ01" and [t["id"] for t in answer["tasks"]] == [tracker.ids["SH010/Anim3D"]]


def test_project_relations_are_one_statement(tracker: Tracker, admin: requests.Session) -> None:
    """A project's team, asset types, task types, statuses, automations and backgrounds: one statement
    (a UNION ALL), in ``projects/open`` and in ``user/context``, however many projects are open."""
    before, answer = statements(tracker, admin, "data/projects/open")
    assert [p["name"] for p in answer] == ["Counts"]
    assert len(before) == 6, before
    open_status = next(s["id"] for s in admin.get(f"{tracker.api}/data/project-status", timeout=10).json()
                       if s["name"] == "Open")
    made = admin.post(f"{tracker.api}/data/projects", json={"name": "Counts 2", "production_type": "tvshow",
                                                             "project_status_id": open_status}, timeout=10)
    assert made.status_code == 201, made.text
    after, answer = statements(tracker, admin, "data/projects/open")
    assert sorted(p["name"] for p in answer) == ["Counts", "Counts 2"]
    assert len(after) == len(before), after
    assert sum("project_person_link.project_id" in s and "UNION ALL" in s for s in after) == 1, after
    context, answer = statements(tracker, admin, "data/user/context")
    assert len(answer["projects"]) == 2 and all("team" in p for p in answer["projects"])
    assert len(context) == 22, context


def test_authenticated_reads_the_fido_devices_only_when_fido_is_on(tracker: Tracker, admin: requests.Session) -> None:
    """``auth/authenticated`` (the Kitsu UI calls it on every page load): the person, their
    departments, the organisation; the FIDO devices only for a person with FIDO turned on."""
    seen, answer = statements(tracker, admin, "auth/authenticated")
    assert answer["user"]["fido_devices"] == [] and answer["user"]["fido_enabled"] is False
    assert len(seen) == 3, seen
    assert not any("fido_credentials" in s for s in seen), seen


def test_writes_do_not_look_up_the_webhooks_each_time(tracker: Tracker, admin: requests.Session) -> None:
    """After a commit with events, the active webhooks come from the process's copy (read again after
    ``HOOKS_SECONDS``, or at once when a webhook changes here), not from a SELECT per write."""
    engine = state_of(tracker).engine
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    def new_department(name: str) -> None:
        made = admin.post(f"{tracker.api}/data/departments", json={"name": name, "color": "#123456"}, timeout=10)
        assert made.status_code == 201, made.text

    new_department("Hooks warm-up")  # the copy is read here
    event.listen(engine, "before_cursor_execute", record)
    try:
        for n in range(3):
            new_department(f"Hooks {n}")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert seen and not any("FROM webhook" in s for s in seen), seen
    hook = admin.post(f"{tracker.api}/data/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["department:*"]},
                      timeout=10)
    assert hook.status_code == 201, hook.text
    new_department("Hooks after")  # a webhook made here is used at once
    deliveries = admin.get(f"{tracker.api}/data/webhooks/{hook.json()['id']}/deliveries", timeout=10)
    assert deliveries.status_code == 200 and len(deliveries.json()) >= 1, deliveries.text


def write_statements(tracker: Tracker, http: requests.Session, method: str, path: str,
                     body: Any) -> tuple[list[str], Any]:
    """The statements one write sends, and its JSON."""
    seen, answer = sent(tracker, http, method, path, body)
    assert answer.status_code in (200, 201), answer.text
    return seen, answer.json()


def test_bulk_writes_cost_the_same_statements_for_one_task_or_many(tracker: Tracker, admin: requests.Session) -> None:
    """Creating tasks and assigning them, with the events they record: as many statements for one
    task as for four (one statement per kind of write, not one per row)."""
    api, project = tracker.api, tracker.ids["project"]
    shot_types = []
    for n in range(4):
        made = admin.post(f"{api}/data/task-types", json={"name": f"Bulk {n}", "for_entity": "Shot"}, timeout=10)
        assert made.status_code == 201, made.text
        shot_types.append(made.json()["id"])
        assert admin.post(f"{api}/data/projects/{project}/settings/task-types", json={"task_type_id": shot_types[-1]},
                          timeout=10).status_code == 201
    shots = []
    for name in ("SH100", "SH110", "SH120", "SH130", "SH140"):
        made = admin.post(f"{api}/data/projects/{project}/shots", json={"name": name, "sequence_id": tracker.ids["SQ01"]},
                          timeout=10)
        assert made.status_code == 201, made.text
        shots.append(made.json()["id"])
    path = "data/entities/{}/tasks"
    one, answer = write_statements(tracker, admin, "POST", path.format(shots[0]), {"task_type_ids": shot_types[:1]})
    assert len(answer) == 1
    four, answer = write_statements(tracker, admin, "POST", path.format(shots[1]), {"task_type_ids": shot_types})
    assert len(answer) == 4 and {t["task_type_id"] for t in answer} == set(shot_types)
    assert all(t["assignees"] == [] and t["task_type_name"].startswith("Bulk") for t in answer)
    assert len(four) == len(one), four
    assert sum(s.lstrip().startswith("INSERT INTO api_event") for s in four) == 1, four
    again, answer = write_statements(tracker, admin, "POST", path.format(shots[1]), {"task_type_ids": shot_types})
    assert answer == [] and not any(s.lstrip().startswith("INSERT") for s in again), again  # all there already
    create = f"actions/projects/{project}/task-types/{shot_types[0]}/shots/create-tasks"
    by_type, answer = write_statements(tracker, admin, "POST", create, shots[2:])
    assert sorted(t["entity_id"] for t in answer) == sorted(shots[2:])
    assert sum(s.lstrip().startswith("INSERT INTO task ") for s in by_type) == 1, by_type
    tasks = [t["id"] for t in answer]
    person = next(p["id"] for p in admin.get(f"{api}/data/persons", timeout=10).json() if p["email"] == PEOPLE[0]["email"])
    assign_one, answer = write_statements(tracker, admin, "PUT", f"actions/persons/{person}/assign",
                                          {"task_ids": tasks[:1]})
    assert [t["assignees"] for t in answer] == [[person]]
    assign_two, answer = write_statements(tracker, admin, "PUT", f"actions/persons/{person}/assign",
                                          {"task_ids": tasks[1:]})
    assert [t["id"] for t in answer] == tasks[1:] and all(t["assignees"] == [person] for t in answer)
    assert len(assign_two) == len(assign_one), assign_two
    followed = admin.get(f"{api}/data/subscriptions", params={"person_id": person}, timeout=10).json()
    assert set(tasks) <= {s["task_id"] for s in followed}
    events = admin.get(f"{api}/data/events/last", params={"limit": 200}, timeout=10).json()
    assert sum(e["name"] == "task:assign" for e in events) >= len(tasks)
    assert {e["data"]["task_id"] for e in events if e["name"] == "task:new"} >= set(tasks)


def test_comment_recipients_and_time_spent_total_are_one_statement_each(tracker: Tracker,
                                                                        admin: requests.Session) -> None:
    """A comment notifies the task's assignees then its followers, not its author, with one query for
    both; a time spent sets the task's duration to the day rows' sum inside the task's UPDATE."""
    api, task = tracker.api, tracker.ids["SH010/Anim3D"]
    people = {p["email"]: p["id"] for p in admin.get(f"{api}/data/persons", timeout=10).json()}
    assignee, follower = people[PEOPLE[1]["email"]], people[PEOPLE[2]["email"]]
    assign(tracker, admin, task, assignee)
    made = admin.post(f"{api}/data/subscriptions", json={"person_id": follower, "task_id": task}, timeout=10)
    assert made.status_code == 201, made.text
    status = admin.get(f"{api}/data/tasks/{task}", timeout=10).json()["task_status_id"]
    seen, comment = write_statements(tracker, admin, "POST", f"actions/tasks/{task}/comment",
                                     {"task_status_id": status, "comment": "for both"})
    lookups = [s for s in seen if "FROM task_person_link" in s or "FROM subscription" in s]
    assert len(lookups) == 1 and "UNION ALL" in lookups[0], lookups
    notified = admin.get(f"{api}/data/notifications", params={"comment_id": comment["id"]}, timeout=10).json()
    assignees = admin.get(f"{api}/data/tasks/{task}", timeout=10).json()["assignees"]
    followers = [f["person_id"] for f in admin.get(f"{api}/data/subscriptions", params={"task_id": task},
                                                   timeout=10).json()]
    expected = {*assignees, *followers} - {tracker.ids.get("admin"), comment["person_id"]}
    assert {assignee, follower} <= expected
    assert sorted(n["person_id"] for n in notified) == sorted(expected)
    path = f"actions/tasks/{task}/time-spents/2026-03-02/persons/{assignee}"
    write_statements(tracker, admin, "POST", path, {"duration": 90})
    seen, _ = write_statements(tracker, admin, "POST", path.replace("03-02", "03-03"), {"duration": 30})
    assert not any(s.lstrip().startswith("SELECT coalesce(sum") for s in seen), seen
    assert admin.get(f"{api}/data/tasks/{task}", timeout=10).json()["duration"] == 120
    write_statements(tracker, admin, "POST", path + "/add", {"duration": 15})
    assert admin.get(f"{api}/data/tasks/{task}", timeout=10).json()["duration"] == 135
