"""Review tools driven by the real gazu against a live server: playlist builds, zip and share links,
preview actions (frames, tiles, annotations), batch comments, moving comments, open-task stats."""

from __future__ import annotations

import io
import json
import subprocess
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import gazu
import pytest
import requests
from gazu import exception as gexc
from PIL import Image

from foxtrack.media.ffmpeg import ffmpeg_exe
from foxtrack.testing import RunningServer

Row = dict[str, Any]


def tag() -> str:
    return uuid.uuid4().hex[:8]


def make_movie(path: Path, seconds: float = 1, size: str = "320x240") -> Path:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=25",
                    "-t", str(seconds), "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def make_picture(path: Path, size: tuple[int, int] = (320, 200)) -> Path:
    Image.new("RGB", size, (30, 120, 200)).save(path)
    return path


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {gazu.client.default_client.tokens['access_token']}"}


def call(server: RunningServer, method: str, path: str, **kw: Any) -> requests.Response:
    return requests.request(method, f"{server.api}/{path}", headers=auth(), timeout=60, **kw)


def events(server: RunningServer, name: str, project_id: str) -> list[Row]:
    answer = call(server, "GET", "data/events/last", params={"name": name, "project_id": project_id, "limit": 100})
    assert answer.status_code == 200, answer.text
    return list(answer.json())


@pytest.fixture()
def review(client: object, tmp_path: Path) -> Row:
    """A project with two shots, two task types on the first shot; a movie and a picture published."""
    project = gazu.project.new_project(f"Review{tag()}", "short")
    project = gazu.project.update_project({"id": project["id"], "resolution": "320x180", "fps": "25"})
    sequence = gazu.shot.new_sequence(project, "SQ01")
    shot = gazu.shot.new_shot(project, sequence, "SH010")
    shot2 = gazu.shot.new_shot(project, sequence, "SH020")
    anim = gazu.task.new_task_type(f"Anim {tag()}", for_entity="Shot")
    light = gazu.task.new_task_type(f"Light {tag()}", for_entity="Shot")
    task = gazu.task.new_task(shot, anim)
    task_light = gazu.task.new_task(shot, light)
    task2 = gazu.task.new_task(shot2, anim)
    wip = gazu.task.get_task_status_by_short_name("wip")
    _, movie = gazu.task.publish_preview(task, wip, comment="movie",
                                         preview_file_path=str(make_movie(tmp_path / "m.mp4")))
    _, picture = gazu.task.publish_preview(task2, wip, comment="picture",
                                           preview_file_path=str(make_picture(tmp_path / "p.png")))
    movie = gazu.files.wait_for_preview_file(movie, timeout=60, poll_interval=0.3)
    assert movie["status"] == "ready"
    playlist = gazu.playlist.new_playlist(project, f"Dailies {tag()}")
    gazu.playlist.add_entity_to_playlist(playlist, shot, movie)
    gazu.playlist.add_entity_to_playlist(playlist, shot2, picture)
    return {"project": project, "shot": shot, "task": task, "task_light": task_light, "task2": task2,
            "anim": anim, "wip": wip, "movie": movie, "picture": picture, "playlist": playlist, "tmp": tmp_path}


# ----------------------------------------------------------------------------- playlists

def test_playlist_build_runs_off_the_request_and_downloads(server: RunningServer, review: Row) -> None:
    playlist = review["playlist"]
    job = gazu.client.get(f"data/playlists/{playlist['id']}/build/mp4")
    assert job["type"] == "BuildJob" and job["status"] == "running" and job["playlist_id"] == playlist["id"]
    deadline = time.time() + 90
    while job["status"] == "running" and time.time() < deadline:
        time.sleep(0.5)
        job = gazu.client.get(f"data/playlists/{playlist['id']}/jobs/{job['id']}")
    assert job["status"] == "succeeded" and job["ended_at"]
    target = review["tmp"] / "build.mp4"
    gazu.playlist.download_playlist_build(playlist, job["id"], str(target))
    assert target.stat().st_size > 1000
    names = {e["name"] for e in events(server, "build-job:new", review["project"]["id"])}
    names |= {e["name"] for e in events(server, "build-job:update", review["project"]["id"])}
    assert names == {"build-job:new", "build-job:update"}
    listed = gazu.client.get(f"data/projects/{review['project']['id']}/playlists/{playlist['id']}")
    assert [j["id"] for j in listed["build_jobs"]] == [job["id"]]


def test_playlist_build_without_movie_fails_and_cannot_be_downloaded(server: RunningServer, review: Row) -> None:
    empty = gazu.playlist.new_playlist(review["project"], f"Empty {tag()}")
    job = gazu.client.get(f"data/playlists/{empty['id']}/build/mp4")
    deadline = time.time() + 30
    while job["status"] == "running" and time.time() < deadline:
        time.sleep(0.3)
        job = gazu.client.get(f"data/playlists/{empty['id']}/jobs/{job['id']}")
    assert job["status"] == "failed"
    answer = call(server, "GET", f"data/playlists/{empty['id']}/jobs/{job['id']}/build/mp4")
    assert answer.status_code == 404
    assert call(server, "GET", f"data/playlists/{empty['id']}/jobs/{uuid.uuid4()}/build/mp4").status_code == 404
    assert call(server, "GET", f"data/playlists/{uuid.uuid4()}/build/mp4").status_code == 404


def test_playlist_zip_holds_the_preview_files(review: Row) -> None:
    target = review["tmp"] / "playlist.zip"
    gazu.playlist.download_playlist_zip(review["playlist"], str(target))
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        assert len(names) == 2
        assert sorted(Path(n).suffix for n in names) == [".mp4", ".png"]
        png = next(n for n in names if n.endswith(".png"))
        assert Image.open(io.BytesIO(archive.read(png))).size == (320, 200)


def test_share_links(server: RunningServer, review: Row) -> None:
    playlist = review["playlist"]
    assert gazu.client.get(f"data/playlists/{playlist['id']}/share") == []
    plain = gazu.client.post(f"data/playlists/{playlist['id']}/share", {})
    assert plain["type"] == "PlaylistShareLink" and plain["has_password"] is False and plain["is_active"]
    assert "password" not in plain
    guarded = gazu.client.post(f"data/playlists/{playlist['id']}/share",
                               {"expiration_date": "2030-01-01", "password": "s3cret", "can_comment": False})
    assert guarded["has_password"] is True and guarded["expiration_date"] == "2030-01-01T23:59:59"
    assert guarded["can_comment"] is False
    bad = call(server, "POST", f"data/playlists/{playlist['id']}/share", json={"expiration_date": "garbage"})
    assert bad.status_code == 400 and "garbage" in bad.json()["message"]
    bad = call(server, "POST", f"data/playlists/{playlist['id']}/share", json={"can_comment": "perhaps"})
    assert bad.status_code == 400
    removed = call(server, "DELETE", f"data/playlists/{playlist['id']}/share/{plain['token']}")
    assert removed.status_code == 200 and removed.json()["is_active"] is False
    assert [link["token"] for link in gazu.client.get(f"data/playlists/{playlist['id']}/share")] == \
        [guarded["token"]]
    assert call(server, "DELETE", f"data/playlists/{playlist['id']}/share/{plain['token']}").status_code == 404


def test_temp_playlist_notify_clients_and_running_previews(server: RunningServer, review: Row) -> None:
    project, task, task2 = review["project"], review["task"], review["task2"]
    entries = gazu.client.post(f"data/projects/{project['id']}/playlists/temp",
                               {"task_ids": [task["id"], task2["id"]]})
    assert [e["id"] for e in entries] == [review["shot"]["id"], task2["entity_id"]]
    assert entries[0]["preview_file_id"] == review["movie"]["id"]
    assert entries[0]["sequence_name"] == "SQ01" and review["anim"]["id"] in entries[0]["preview_files"]
    assert gazu.client.post(f"data/projects/{project['id']}/playlists/temp", {}) == []
    bad = call(server, "POST", f"data/projects/{project['id']}/playlists/temp", json={"task_ids": "nope"})
    assert bad.status_code == 400
    assert gazu.client.post(f"data/playlists/{review['playlist']['id']}/notify-clients", {}) == \
        {"status": "success"}
    running = gazu.files.get_running_preview_files()
    assert isinstance(running, list)
    assert review["movie"]["id"] not in {p["id"] for p in running}


# ----------------------------------------------------------------------------- preview actions

def test_extract_frame_and_tile(server: RunningServer, review: Row) -> None:
    movie, picture = review["movie"], review["picture"]
    frame = call(server, "GET", f"actions/preview-files/{movie['id']}/extract-frame", params={"frame_number": 5})
    assert frame.status_code == 200 and frame.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(frame.content)).size == (320, 180)
    still = call(server, "GET", f"actions/preview-files/{picture['id']}/extract-frame")
    assert still.status_code == 200 and Image.open(io.BytesIO(still.content)).size == (320, 200)
    tile = call(server, "GET", f"actions/preview-files/{movie['id']}/extract-tile")
    assert tile.status_code == 200 and tile.headers["content-type"] == "image/png"
    not_movie = call(server, "GET", f"actions/preview-files/{picture['id']}/extract-tile")
    assert not_movie.status_code == 400 and not_movie.json()["message"] == "Preview file is not a movie"
    for params in ({"frame_number": "x"}, {"frame_number": -1}, {"frame_number": 100000}):
        answer = call(server, "GET", f"actions/preview-files/{movie['id']}/extract-frame", params=params)
        assert answer.status_code == 400, params
    assert call(server, "GET", f"actions/preview-files/{uuid.uuid4()}/extract-frame").status_code == 404


def test_update_annotations_merges(server: RunningServer, review: Row) -> None:
    picture = review["picture"]
    path = f"actions/preview-files/{picture['id']}/update-annotations"
    first = gazu.client.put(path, {"additions": [{"time": 0, "drawing": {"objects": [{"id": "a", "type": "path"}]}}],
                                   "updates": [], "deletions": []})
    assert first["annotations"] == [{"time": 0, "drawing": {"objects": [{"id": "a", "type": "path"}]}}]
    second = gazu.client.put(path, {
        "additions": [{"time": 0, "drawing": {"objects": [{"id": "b"}]}}, {"time": 1.5, "drawing": {"objects": [{"id": "c"}]}}],
        "updates": [{"time": 0, "drawing": {"objects": [{"id": "a", "type": "rect"}]}}], "deletions": []})
    assert second["annotations"] == [{"time": 0, "drawing": {"objects": [{"id": "b"}, {"id": "a", "type": "rect"}]}},
                                     {"time": 1.5, "drawing": {"objects": [{"id": "c"}]}}]
    third = gazu.client.put(path, {"deletions": [{"time": 0, "objects": ["b"]}]})
    assert third["annotations"][0]["drawing"]["objects"] == [{"id": "a", "type": "rect"}]
    bad = call(server, "PUT", path, json={"additions": "x"})
    assert bad.status_code == 400 and bad.json()["data"]["errors"][0]["field"] == "additions"
    assert gazu.client.get(f"data/preview-files/{picture['id']}")["annotations"] == third["annotations"]
    assert events(server, "preview-file:annotation-update", review["project"]["id"])


def test_attachment_thumbnail(server: RunningServer, review: Row) -> None:
    picture = make_picture(review["tmp"] / "ref.png", (400, 300))
    comment = gazu.task.add_comment(review["task"], review["wip"], "see ref", attachments=[str(picture)])
    attachment = comment["attachment_files"][0]
    answer = call(server, "GET", f"pictures/thumbnails/attachment-files/{attachment['id']}.png")
    assert answer.status_code == 200 and Image.open(io.BytesIO(answer.content)).size == (150, 100)
    text = review["tmp"] / "notes.txt"
    text.write_text("notes")
    comment = gazu.task.add_comment(review["task"], review["wip"], "notes", attachments=[str(text)])
    answer = call(server, "GET", f"pictures/thumbnails/attachment-files/{comment['attachment_files'][0]['id']}.png")
    assert answer.status_code == 404


# ----------------------------------------------------------------------------- comments

def test_batch_comments_with_files(review: Row) -> None:
    task, wip, tmp = review["task"], review["wip"], review["tmp"]
    note = tmp / "note.txt"
    note.write_text("hello")
    comments = gazu.task.batch_comments([
        {"task_status_id": wip["id"], "text": "first", "attachment_files": [str(note)]},
        {"task_status_id": wip["id"], "text": "second", "preview_files": [str(make_picture(tmp / "v2.png"))]},
    ], task=task)
    assert [c["text"] for c in comments] == ["first", "second"]
    assert comments[0]["attachment_files"][0]["name"] == "note.txt"
    assert len(comments[1]["previews"]) == 1 and comments[1]["previews"][0]["extension"] == "png"
    preview = gazu.client.get(f"data/preview-files/{comments[1]['previews'][0]['id']}")
    assert preview["status"] == "ready" and preview["revision"] == 2
    many = gazu.task.add_tasks_batch_comments([task, review["task2"]], {"text": "all", "task_status_id": wip["id"]})
    assert sorted(c["object_id"] for c in many) == sorted([task["id"], review["task2"]["id"]])
    more = gazu.task.create_multiple_comments(review["project"], [
        {"task_id": review["task2"]["id"], "task_status_id": wip["id"], "text": "via comment-many"}])
    assert more[0]["object_id"] == review["task2"]["id"] and more[0]["text"] == "via comment-many"


def test_batch_comments_are_all_or_nothing(server: RunningServer, review: Row) -> None:
    task, wip, tmp = review["task"], review["wip"], review["tmp"]
    before = len(gazu.task.all_comments_for_task(task))
    bad_file = tmp / "broken.png"
    bad_file.write_bytes(b"not a png")
    with pytest.raises(gexc.ParameterException):
        gazu.task.batch_comments([{"task_status_id": wip["id"], "text": "ok"},
                                  {"task_status_id": wip["id"], "text": "bad", "preview_files": [str(bad_file)]}],
                                 task=task)
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.task.batch_comments([{"task_status_id": wip["id"], "text": "ok"},
                                  {"task_status_id": str(uuid.uuid4()), "text": "unknown status"}], task=task)
    cases = [
        ("actions/tasks/batch-comment", {"json": {}}),
        ("actions/tasks/batch-comment", {"json": {"comments": [{"task_status_id": wip["id"], "text": "no task"}]}}),
        ("actions/tasks/batch-comment", {"json": {"comments": "nope"}}),
        (f"actions/tasks/{task['id']}/batch-comment", {"files": {"comments": (None, "{not json", "application/json")}}),
        (f"actions/tasks/{task['id']}/batch-comment",
         {"files": {"comments": (None, json.dumps([{"task_status_id": wip["id"]}]), "application/json"),
                    "attachment_file-3-0": ("a.txt", b"x", "text/plain")}}),
        (f"actions/projects/{review['project']['id']}/tasks/comment-many", {"json": {"comments": "x"}}),
    ]
    for path, kw in cases:
        answer = call(server, "POST", path, **kw)
        assert answer.status_code == 400, (path, kw, answer.status_code, answer.text)
    other = gazu.project.new_project(f"Other{tag()}", "short")
    answer = call(server, "POST", f"actions/projects/{other['id']}/tasks/comment-many",
                  json=[{"object_id": task["id"], "task_status_id": wip["id"], "text": "wrong project"}])
    assert answer.status_code == 400
    gazu.cache.disable()
    assert len(gazu.task.all_comments_for_task(task)) == before


def test_move_comment(server: RunningServer, review: Row) -> None:
    task, task_light, wip = review["task"], review["task_light"], review["wip"]
    comment = gazu.task.add_comment(task, wip, "wrong task")
    path = f"actions/tasks/{task['id']}/comments/{comment['id']}/move"
    missing = call(server, "POST", path, json={})
    assert missing.status_code == 400 and missing.json()["data"]["errors"][0]["field"] == "target_task_id"
    other_entity = call(server, "POST", path, json={"target_task_id": review["task2"]["id"]})
    assert other_entity.status_code == 400
    assert call(server, "POST", path, json={"target_task_id": str(uuid.uuid4())}).status_code == 404
    preview_comment = gazu.task.all_comments_for_task(task)[-1]
    assert preview_comment["previews"]
    blocked = call(server, "POST", f"actions/tasks/{task['id']}/comments/{preview_comment['id']}/move",
                   json={"target_task_id": task_light["id"]})
    assert blocked.status_code == 400
    moved = gazu.client.post(path, {"target_task_id": task_light["id"]})
    assert moved["object_id"] == task_light["id"]
    assert comment["id"] in {c["id"] for c in gazu.client.get(f"data/tasks/{task_light['id']}/comments")}
    assert comment["id"] not in {c["id"] for c in gazu.client.get(f"data/tasks/{task['id']}/comments")}
    assert gazu.client.get(f"data/tasks/{task_light['id']}")["task_status_id"] == wip["id"]


# ----------------------------------------------------------------------------- tasks

def test_open_tasks_stats_and_related_tasks(server: RunningServer, review: Row) -> None:
    project, task, wip = review["project"], review["task"], review["wip"]
    done = gazu.task.get_task_status_by_short_name("done")
    gazu.task.add_comment(review["task2"], done, "done")
    gazu.client.put(f"data/tasks/{review['task2']['id']}", {"duration": 60, "estimation": 120})
    stats = gazu.task.get_open_tasks_stats()[project["id"]]
    assert stats["amount"] == 3 and stats["amount_done"] == 1
    assert stats["total_duration"] == 60.0 and stats["total_estimation"] == 120.0
    assert sum(t["amount"] for t in stats["task_types"]) == 3
    statuses = {wip["id"], done["id"], review["task_light"]["task_status_id"]}
    assert {t["task_status_id"] for t in stats["task_types"]} == statuses
    person = gazu.person.new_person("Rel", f"Ated{tag()}", f"rel{tag()}@example.com")
    gazu.project.add_person_to_team(project, person)
    gazu.task.assign_task(review["task_light"], person)
    related = gazu.task.all_tasks_for_person_and_type(person, review["anim"])
    assert [t["id"] for t in related] == [task["id"]]
    assert call(server, "GET", f"data/persons/{person['id']}/related-tasks/{uuid.uuid4()}").status_code == 404


# ----------------------------------------------------------------------------- who reads which comment

def test_clients_and_artists_read_the_comments_zou_shows_them(server: RunningServer, review: Row) -> None:
    """A client reads the comments flagged for clients, the clients' own, and the studio's previewed
    comments with their text blanked; an artist does not read the clients' comments (as Zou)."""
    project, task = review["project"], review["task"]
    people = {}
    for role in ("client", "user"):
        bot = gazu.person.new_bot(f"{role} {tag()}", f"{role}.{tag()}@bots.example.com", role=role)
        gazu.project.add_person_to_team(project, bot)
        people[role] = gazu.client.create_client(server.api)
        gazu.set_token(bot["access_token"], client=people[role])
    studio_note = gazu.task.add_comment(task, review["wip"], "internal: the hands pop")
    for_client = gazu.task.add_comment(task, review["wip"], "for the client's eyes")
    gazu.raw.put(f"data/comments/{for_client['id']}", {"for_client": True})
    client_status = gazu.task.get_task_status_by_short_name("wfa")
    gazu.raw.put(f"data/task-status/{client_status['id']}", {"is_client_allowed": True})
    client_note = gazu.task.add_comment(task, client_status, "client: love it", client=people["client"])

    seen = {c["id"]: c for c in gazu.task.all_comments_for_task(task, client=people["client"])}
    assert studio_note["id"] not in seen
    assert seen[for_client["id"]]["text"] == "for the client's eyes"
    assert seen[client_note["id"]]["text"] == "client: love it"
    movie_comment = next(c for c in seen.values() if c["previews"])  # the fixture's published movie
    assert movie_comment["text"] == "" and movie_comment["attachment_files"] == []

    artist = {c["id"] for c in gazu.task.all_comments_for_task(task, client=people["user"])}
    assert client_note["id"] not in artist and {studio_note["id"], for_client["id"]} <= artist
    admin = {c["id"] for c in gazu.task.all_comments_for_task(task)}
    assert {studio_note["id"], for_client["id"], client_note["id"]} <= admin
