"""Bad input answers a clear 4xx shaped like Zou's, never a 500, never a half-written change."""

from __future__ import annotations

import uuid

import gazu
import requests
from gazu import exception as gexc

from foxtrack.testing import RunningServer


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_login_errors(server: RunningServer) -> None:
    r = requests.post(f"{server.api}/auth/login", json={"email": server.email, "password": "nope"})
    assert r.status_code == 400 and r.json()["login"] is False
    r = requests.post(f"{server.api}/auth/login", json={})
    assert r.status_code == 400 and r.json()["data"]["errors"][0]["field"] == "email"
    r = requests.post(f"{server.api}/auth/login", data=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_token_errors(server: RunningServer, client: object) -> None:
    assert requests.get(f"{server.api}/data/projects").status_code == 401
    r = requests.get(f"{server.api}/data/projects", headers=auth("not.a.jwt"))
    assert r.status_code == 422 and "msg" in r.json()


def test_ids_and_routes(server: RunningServer, client: object) -> None:
    token = gazu.client.default_client.access_token
    r = requests.get(f"{server.api}/data/tasks/1234", headers=auth(token))
    assert r.status_code == 400 and r.json()["message"] == "Malformed ID."
    r = requests.get(f"{server.api}/data/projects/{uuid.uuid4()}", headers=auth(token))
    assert r.status_code == 404 and r.json()["error"] is True
    r = requests.get(f"{server.api}/data/does-not-exist", headers=auth(token))
    assert r.status_code == 404
    r = requests.delete(f"{server.api}/data/user/context", headers=auth(token))
    assert r.status_code == 405


def test_bad_bodies_change_nothing(server: RunningServer, client: object) -> None:
    token = gazu.client.default_client.access_token
    project = gazu.project.new_project(f"Bad {uuid.uuid4().hex[:6]}")
    seq = gazu.shot.new_sequence(project, "SQ01")
    r = requests.post(f"{server.api}/data/projects/{project['id']}/shots", json={"sequence_id": seq["id"]},
                      headers=auth(token))
    assert r.status_code == 400 and r.json()["data"]["errors"][0]["field"] == "name"
    r = requests.post(f"{server.api}/data/projects", json=["not", "an", "object"], headers=auth(token))
    assert r.status_code == 400
    r = requests.post(f"{server.api}/data/tasks", json={"entity_id": "garbage"}, headers=auth(token))
    assert r.status_code == 400
    shot = gazu.shot.new_shot(project, seq, "SH01")
    task = gazu.task.new_task(shot, gazu.task.get_task_type_by_name("Animation"))
    r = requests.post(f"{server.api}/actions/tasks/{task['id']}/comment",
                      json={"task_status_id": str(uuid.uuid4()), "comment": "x"}, headers=auth(token))
    assert r.status_code == 404
    assert gazu.task.get_task(task["id"])["task_status_id"] == task["task_status_id"]
    assert gazu.task.all_comments_for_task(task) == []


def test_artist_is_refused_admin_actions(server: RunningServer, client: object) -> None:
    email = f"artist-{uuid.uuid4().hex[:8]}@example.com"
    person = gazu.person.new_person("Art", "Ist", email, role="user")
    gazu.person.change_password_for_person(person, "artist-password-1")
    artist = gazu.client.create_client(server.api)
    gazu.log_in(email, "artist-password-1", client=artist)
    try:
        gazu.task.new_task_type(f"Forbidden {uuid.uuid4().hex[:6]}", client=artist)
        raise AssertionError("an artist created a task type")
    except gexc.NotAllowedException:
        pass
    r = requests.post(f"{server.api}/data/projects", json={"name": "nope"}, headers=auth(artist.access_token))
    assert r.status_code == 403
