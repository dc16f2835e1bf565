"""Zou's public guest API for shared playlists, driven over HTTP: the share token (and its password)
is the only credential."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import gazu
import pytest
import requests
from PIL import Image

from foxtrack.testing import RunningServer

Row = dict[str, Any]


def tag() -> str:
    return uuid.uuid4().hex[:8]


def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {gazu.client.default_client.tokens['access_token']}"}


def guest(server: RunningServer, method: str, token: str, path: str = "", **kw: Any) -> requests.Response:
    """A call with no login at all, as a guest holding the link."""
    return requests.request(method, f"{server.api}/shared/playlists/{token}{path}", timeout=60, **kw)


def share(playlist: Row, **body: Any) -> Row:
    link: Row = gazu.client.post(f"data/playlists/{playlist['id']}/share", body)
    return link


@pytest.fixture()
def shared(client: object, tmp_path: Path) -> Row:
    """A playlist holding one shot with a PNG preview."""
    project = gazu.project.new_project(f"Shared{tag()}", "short")
    sequence = gazu.shot.new_sequence(project, "SQ01")
    shot = gazu.shot.new_shot(project, sequence, "SH010")
    anim = gazu.task.new_task_type(f"Anim {tag()}", for_entity="Shot")
    task = gazu.task.new_task(shot, anim)
    wip = gazu.task.get_task_status_by_short_name("wip")
    picture = tmp_path / "p.png"
    Image.new("RGB", (320, 200), (30, 120, 200)).save(picture)
    _, preview = gazu.task.publish_preview(task, wip, comment="picture", preview_file_path=str(picture))
    playlist = gazu.playlist.new_playlist(project, f"Client review {tag()}")
    gazu.playlist.add_entity_to_playlist(playlist, shot, preview)
    return {"project": project, "task": task, "wip": wip, "preview": preview, "playlist": playlist}


def test_password_expiration_and_deactivation_guard_the_link(server: RunningServer, shared: Row) -> None:
    playlist = shared["playlist"]
    guarded = share(playlist, password="s3cret")
    assert guest(server, "GET", guarded["token"]).status_code == 404
    assert guest(server, "GET", guarded["token"], params={"password": "wrong"}).status_code == 404
    assert guest(server, "GET", guarded["token"], "/context", params={"password": "wrong"}).status_code == 404
    expired = share(playlist, expiration_date="2020-01-01")
    assert guest(server, "GET", expired["token"]).status_code == 404
    removed = share(playlist)
    assert guest(server, "GET", removed["token"]).status_code == 200
    gazu.client.delete(f"data/playlists/{playlist['id']}/share/{removed['token']}")
    assert guest(server, "GET", removed["token"]).status_code == 404
    assert guest(server, "GET", str(uuid.uuid4())).status_code == 404

    answer = guest(server, "GET", guarded["token"], params={"password": "s3cret"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["id"] == playlist["id"] and body["project_name"] == shared["project"]["name"]
    [shot] = body["shots"]
    preview_id = shared["preview"]["id"]
    assert shot["preview_file_id"] == preview_id and shot["name"] == "SH010" and shot["parent_name"] == "SQ01"
    assert shot["preview_file_extension"] == "png" and shot["preview_file_task_id"] == shared["task"]["id"]
    context = guest(server, "GET", guarded["token"], "/context", params={"password": "s3cret"}).json()
    assert context["project"]["id"] == shared["project"]["id"]

    pw = {"password": "s3cret"}
    assert guest(server, "GET", guarded["token"], f"/preview-files/{preview_id}", params=pw).json()["id"] == preview_id
    original = guest(server, "GET", guarded["token"], f"/pictures/originals/preview-files/{preview_id}.png", params=pw)
    assert original.status_code == 200 and original.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(original.content)).size == (320, 200)
    thumbnail = guest(server, "GET", guarded["token"], f"/pictures/thumbnails/preview-files/{preview_id}.png",
                      params=pw)
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/png"
    download = guest(server, "GET", guarded["token"], f"/preview-files/{preview_id}/download", params=pw)
    assert download.status_code == 200 and download.content == original.content
    assert download.headers["content-disposition"].startswith("attachment")
    assert guest(server, "GET", guarded["token"], f"/preview-files/{preview_id}/download").status_code == 404
    other = str(uuid.uuid4())
    assert guest(server, "GET", guarded["token"], f"/preview-files/{other}", params=pw).status_code == 404
    assert guest(server, "GET", guarded["token"], f"/movies/originals/preview-files/{preview_id}.mp4",
                 params=pw).status_code == 404


def test_guest_comments_when_the_link_allows_it(server: RunningServer, shared: Row) -> None:
    playlist, task, wip = shared["playlist"], shared["task"], shared["wip"]
    link = share(playlist)
    created = guest(server, "POST", link["token"], "/guest", json={"first_name": "Ann", "last_name": "Client"})
    assert created.status_code == 201, created.text
    person = created.json()
    assert person["is_guest"] is True and person["role"] == "client" and person["full_name"] == "Ann Client"
    assert person["data"] == {"share_link_id": link["id"]}

    missing = guest(server, "POST", link["token"], "/comments", json={"task_id": task["id"], "text": "hi"})
    assert missing.status_code == 400
    assert {e["field"] for e in missing.json()["data"]["errors"]} == {"guest_id", "task_status_id"}
    body = {"task_id": task["id"], "text": "Lovely colours", "guest_id": person["id"], "task_status_id": wip["id"]}
    stranger = guest(server, "POST", link["token"], "/comments", json=body | {"guest_id": str(uuid.uuid4())})
    assert stranger.status_code == 403 and stranger.json() == {"error": "Guest not part of this shared playlist"}
    studio_only = gazu.task.new_task_status(f"Studio only {uuid.uuid4().hex[:6]}", f"so{uuid.uuid4().hex[:4]}",
                                            "#000000")
    gazu.client.put(f"data/task-status/{studio_only['id']}", {"is_client_allowed": False})
    forbidden = guest(server, "POST", link["token"], "/comments", json=body | {"task_status_id": studio_only["id"]})
    assert forbidden.status_code == 403, forbidden.text
    posted = guest(server, "POST", link["token"], "/comments", json=body)
    assert posted.status_code == 201, posted.text
    comment = posted.json()
    assert comment["person_id"] == person["id"] and comment["text"] == "Lovely colours"
    listed = guest(server, "GET", link["token"], "/comments").json()
    assert [c["id"] for c in listed] == [comment["id"]] and listed[0]["person"]["is_guest"] is True
    assert any(c["id"] == comment["id"] for c in gazu.task.all_comments_for_task(task))

    edited = guest(server, "PUT", link["token"], f"/comments/{comment['id']}",
                   json={"guest_id": person["id"], "text": "Even better"})
    assert edited.status_code == 200 and edited.json()["text"] == "Even better"
    annotated = guest(server, "PUT", link["token"], "/annotations",
                      json={"guest_id": person["id"], "preview_file_id": shared["preview"]["id"],
                            "additions": [{"time": 0, "drawing": {"objects": [{"id": "g1"}]}}]})
    assert annotated.status_code == 200, annotated.text
    assert annotated.json()["annotations"][0]["drawing"]["objects"] == [{"id": "g1"}]
    deleted = guest(server, "DELETE", link["token"], f"/comments/{comment['id']}",
                    params={"guest_id": person["id"]})
    assert deleted.status_code == 204
    assert guest(server, "GET", link["token"], "/comments").json() == []

    read_only = share(playlist, can_comment=False)
    other = guest(server, "POST", read_only["token"], "/guest", json={}).json()
    assert other["first_name"] == "Guest"
    refused = guest(server, "POST", read_only["token"], "/comments", json=body | {"guest_id": other["id"]})
    assert refused.status_code == 403 and refused.json() == {"error": "Comments are disabled for this link"}
    requests.get(f"{server.api}/data/persons", headers=admin(), timeout=60).raise_for_status()
