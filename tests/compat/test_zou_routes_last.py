"""The last of Zou 1.0.97's routes outside authentication (issue 11): the softwares of a production's
task types, a production's override of whether its clients may set a task status, copying the clients'
last comments for the artists, and a production's preview account (a read-only client login that
works only while a manager holds its window open); driven over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from typing import Any

import gazu
import pytest
import requests

from foxtrack.testing import RunningServer


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _login(server: RunningServer, email: str, password: str) -> requests.Response:
    return requests.post(f"{server.api}/auth/login", json={"email": email, "password": password}, timeout=10)


class Api:
    """Plain HTTP calls on the API with one account's token."""

    def __init__(self, server: RunningServer, email: str, password: str):
        self.base = server.api
        self.headers = {"Authorization": f"Bearer {_login(server, email, password).json()['access_token']}"}

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, f"{self.base}/{path}", json=body, headers=self.headers, timeout=30)

    def get(self, path: str) -> requests.Response:
        return self.call("GET", path)

    def post(self, path: str, body: Any = None) -> requests.Response:
        return self.call("POST", path, body)

    def put(self, path: str, body: Any = None) -> requests.Response:
        return self.call("PUT", path, body)

    def delete(self, path: str) -> requests.Response:
        return self.call("DELETE", path)


@pytest.fixture()
def admin(server: RunningServer, client: object) -> Api:
    return Api(server, server.email, server.password)


def _member(server: RunningServer, project: dict[str, Any], role: str) -> tuple[dict[str, Any], Api]:
    email = f"zlast-{_tag()}@example.com"
    person = gazu.person.new_person("Zlast", f"Person{_tag()}", email, password="zlast-password-1", role=role)
    gazu.project.add_person_to_team(project, person)
    return person, Api(server, email, "zlast-password-1")


def _project() -> dict[str, Any]:
    return dict(gazu.project.new_project(f"Zlast {_tag()}", "short"))


# ----------------------------------------------------------------------------- task type softwares

def test_task_type_softwares(server: RunningServer, admin: Api) -> None:
    project = _project()
    pid = project["id"]
    layout = gazu.task.get_task_type_by_name("Layout")
    animation = gazu.task.get_task_type_by_name("Animation")
    assert admin.post(f"data/projects/{pid}/settings/task-types", {"task_type_id": layout["id"]}).status_code == 201
    blender = admin.post("data/softwares", {"name": f"Blender {_tag()}", "short_name": "bl",
                                            "file_extension": ".blend"}).json()
    old = admin.post("data/softwares", {"name": f"Maya {_tag()}", "short_name": "ma", "file_extension": ".ma",
                                        "archived": True}).json()
    path = f"data/projects/{pid}/task-types/{layout['id']}/softwares"

    made = admin.post(path, {"software_id": blender["id"]})
    assert made.status_code == 201
    assert made.json() == {"project_id": pid, "task_type_id": layout["id"], "software_id": blender["id"]}
    assert admin.post(path, {"software_id": blender["id"]}).json() == made.json()  # an existing link as it is
    assert admin.get(f"data/projects/{pid}/task-type-softwares").json() == [made.json()]

    # a task type outside the production, an archived or unknown software, bad ids, no body
    outside = admin.post(f"data/projects/{pid}/task-types/{animation['id']}/softwares", {"software_id": blender["id"]})
    assert (outside.status_code, outside.json()["message"]) == (400, "The task type is not a task type of the project.")
    assert admin.post(path, {"software_id": old["id"]}).json()["message"] == "The software is archived."
    assert admin.post(path, {"software_id": str(uuid.uuid4())}).status_code == 404
    assert admin.post(f"data/projects/{pid}/task-types/nope/softwares", {"software_id": blender["id"]}).status_code == 400
    assert admin.post(path, {}).status_code == 400
    assert admin.get(f"data/projects/{uuid.uuid4()}/task-type-softwares").status_code == 404

    # artists read the links of their production, and may not change them
    _, artist = _member(server, project, "user")
    assert artist.get(f"data/projects/{pid}/task-type-softwares").json() == [made.json()]
    assert artist.post(path, {"software_id": blender["id"]}).status_code == 403
    assert artist.delete(f"{path}/{blender['id']}").status_code == 403

    assert admin.delete(f"{path}/{blender['id']}").status_code == 204
    assert admin.get(f"data/projects/{pid}/task-type-softwares").json() == []
    assert admin.delete(f"{path}/{blender['id']}").status_code == 204  # nothing to unlink


# ----------------------------------------------------------------------------- client permission per production

def test_task_status_client_permission_per_production(server: RunningServer, admin: Api) -> None:
    project = _project()
    pid = project["id"]
    sequence = gazu.shot.new_sequence(project, "SQ01")
    task = gazu.task.new_task(gazu.shot.new_shot(project, sequence, "SH010"), gazu.task.get_task_type_by_name("Layout"))
    wfa = gazu.task.get_task_status_by_short_name("wfa")
    assert wfa["is_client_allowed"] is True  # the studio lets clients set it
    assert admin.post(f"data/projects/{pid}/settings/task-status", {"task_status_id": wfa["id"]}).status_code == 201
    _, client = _member(server, project, "client")
    comment = f"actions/tasks/{task['id']}/comment"
    assert client.post(comment, {"task_status_id": wfa["id"], "text": "ok"}).status_code == 201

    path = f"data/projects/{pid}/settings/task-status/{wfa['id']}"
    closed = admin.put(path, {"is_client_allowed": False})
    assert closed.status_code == 200
    link = closed.json()
    assert (link["project_id"], link["task_status_id"], link["is_client_allowed"]) == (pid, wfa["id"], False)
    assert client.post(comment, {"task_status_id": wfa["id"], "text": "again"}).status_code == 403
    links = admin.get(f"data/projects/{pid}").json().get("task_statuses_links")
    if links is not None:  # the project's links as the UI reads them
        assert links[wfa["id"]]["is_client_allowed"] is False

    assert admin.put(path, {"is_client_allowed": None}).json()["is_client_allowed"] is None  # the studio's again
    assert client.post(comment, {"task_status_id": wfa["id"], "text": "back"}).status_code == 201

    assert admin.put(path, {}).status_code == 400
    assert admin.put(path, {"is_client_allowed": "no"}).status_code == 400
    done = gazu.task.get_task_status_by_short_name("done")
    assert admin.put(f"data/projects/{pid}/settings/task-status/{done['id']}",
                     {"is_client_allowed": True}).status_code == 404  # not linked to the production
    assert client.put(path, {"is_client_allowed": True}).status_code == 403


# ----------------------------------------------------------------------------- copying client comments

def test_copy_client_comments(server: RunningServer, admin: Api) -> None:
    project = _project()
    pid = project["id"]
    sequence = gazu.shot.new_sequence(project, "SQ01")
    layout = gazu.task.get_task_type_by_name("Layout")
    first = gazu.task.new_task(gazu.shot.new_shot(project, sequence, "SH010"), layout)
    second = gazu.task.new_task(gazu.shot.new_shot(project, sequence, "SH020"), layout)
    wip, wfa = gazu.task.get_task_status_by_short_name("wip"), gazu.task.get_task_status_by_short_name("wfa")
    _, client = _member(server, project, "client")
    _, artist = _member(server, project, "user")
    gazu.task.add_comment(first, wip, "artist's own note")
    for text in ("older client note", "make the sky bluer"):
        assert client.post(f"actions/tasks/{first['id']}/comment",
                           {"task_status_id": wfa["id"], "text": text}).status_code == 201
    gazu.task.add_comment(second, wip, "no client here")
    status_before = gazu.task.get_task(first["id"])["task_status_id"]

    copied = admin.post(f"actions/projects/{pid}/tasks/copy-client-comments",
                        {"task_ids": [first["id"], second["id"]], "prefix": "From the client:"})
    assert copied.status_code == 201
    (comment,) = copied.json()  # the task without a client comment is skipped
    assert comment["object_id"] == first["id"]
    assert comment["text"] == "From the client:\n\nmake the sky bluer"
    assert comment["person_id"] == gazu.client.get_current_user()["id"]
    assert comment["task_status_id"] == status_before
    assert gazu.task.get_task(first["id"])["task_status_id"] == status_before
    assert gazu.task.get_last_comment_for_task(first)["text"] == comment["text"]

    plain = admin.post(f"actions/projects/{pid}/tasks/copy-client-comments", {"task_ids": [first["id"]]})
    assert plain.json()[0]["text"] == "make the sky bluer"
    assert admin.post(f"actions/projects/{pid}/tasks/copy-client-comments", {"task_ids": []}).status_code == 400
    assert admin.post(f"actions/projects/{pid}/tasks/copy-client-comments", {"task_ids": ["x"]}).status_code == 400
    assert artist.post(f"actions/projects/{pid}/tasks/copy-client-comments",
                       {"task_ids": [first["id"]]}).status_code == 403


# ----------------------------------------------------------------------------- preview account

def test_preview_account_window(server: RunningServer, admin: Api) -> None:
    project = _project()
    pid = project["id"]
    path = f"data/projects/{pid}/preview-account"
    assert requests.get(f"{server.api}/config", timeout=10).json()["preview_accounts_enabled"] is True
    assert admin.get(path).json() is None

    made = admin.post(path)
    assert made.status_code == 201
    account = made.json()
    assert set(account) == {"id", "email", "full_name", "preview_open_until", "password"}
    assert account["email"].endswith("@preview.kitsu.invalid") and account["preview_open_until"] is None
    assert account["full_name"] == f"Preview {project['name']}"
    assert admin.get(path).json() == {k: v for k, v in account.items() if k != "password"}
    assert account["id"] in [p["id"] for p in gazu.project.get_team(project)]  # a client of the team

    closed = _login(server, account["email"], account["password"])
    assert (closed.status_code, closed.json()["login"]) == (401, False)  # outside its window

    opened = admin.put(path, {"is_open": True})
    assert opened.status_code == 200 and opened.json()["preview_open_until"]
    extended = admin.put(path, {"is_open": True}).json()
    assert extended["preview_open_until"] >= opened.json()["preview_open_until"]
    viewer = Api(server, account["email"], account["password"])
    assert viewer.get(f"data/projects/{pid}").status_code == 200
    assert viewer.get(f"data/projects/{_project()['id']}").status_code == 403  # its production only
    assert viewer.post(f"data/projects/{pid}/metadata-descriptors", {"name": "x"}).status_code == 403  # read only

    assert admin.put(path, {"is_open": False}).json()["preview_open_until"] is None
    assert viewer.get(f"data/projects/{pid}").status_code == 401  # the window closed: its sessions end

    admin.put(path, {"is_open": True})
    reset = admin.post(path).json()  # a new password, and the window closed again
    assert reset["id"] == account["id"] and reset["password"] != account["password"]
    assert reset["preview_open_until"] is None
    assert viewer.get(f"data/projects/{pid}").status_code == 401
    assert _login(server, account["email"], account["password"]).status_code == 400  # the old password
    assert _login(server, account["email"], reset["password"]).status_code == 401  # the window is closed

    assert admin.put(path, {"is_open": "yes"}).status_code == 400
    _, artist = _member(server, project, "user")
    assert artist.get(path).status_code == 403
    assert artist.post(path).status_code == 403

    assert admin.delete(path).status_code == 204
    assert admin.get(path).json() is None
    assert account["id"] not in [p["id"] for p in gazu.project.get_team(project)]
    assert admin.put(path, {"is_open": True}).status_code == 404
    assert admin.delete(path).status_code == 204


# ----------------------------------------------------------------------------- the Kitsu UI walk's fixes

def test_schedule_versions_listed_for_the_production_team(server: RunningServer, admin: Api) -> None:
    """The production schedule page of a manager (not an admin) lists the production's versions with
    ``GET data/production-schedule-versions?project_id=``; Zou asks only for access to the
    production there (vendors and clients refused), and admin rights for the list of every version."""
    project = _project()
    pid = project["id"]
    version = admin.post("data/production-schedule-versions", {"name": "Plan A", "project_id": pid})
    assert version.status_code == 201
    _, manager = _member(server, project, "manager")
    listed = manager.get(f"data/production-schedule-versions?project_id={pid}")
    assert listed.status_code == 200 and [v["id"] for v in listed.json()] == [version.json()["id"]]
    assert manager.get("data/production-schedule-versions").status_code == 403
    _, client = _member(server, project, "client")
    assert client.get(f"data/production-schedule-versions?project_id={pid}").status_code == 403
    outsider = _member(server, _project(), "manager")[1]
    assert outsider.get(f"data/production-schedule-versions?project_id={pid}").status_code == 403
