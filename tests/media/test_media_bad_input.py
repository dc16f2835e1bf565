"""Bad uploads: a clear 4xx or a ``broken`` preview with its reason; never a 500, never a preview
stuck in ``processing``, and the comment stays as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gazu
import pytest
import requests
from gazu import exception as gexc
from media_helpers import Publish, make_movie, make_picture

from foxtrack.testing import RunningServer, start_server




def new_preview(shot_task: dict[str, Any], text: str = "bad") -> tuple[dict[str, Any], dict[str, Any]]:
    task = shot_task["task"]
    comment = gazu.task.add_comment(task, shot_task["status"], text)
    preview = gazu.client.post(f"actions/tasks/{task['id']}/comments/{comment['id']}/add-preview", {})
    return comment, preview


def check_comment_intact(comment: dict[str, Any], text: str) -> None:
    stored = gazu.task.get_comment(comment["id"])
    assert stored["text"] == text and stored["task_status_id"] == comment["task_status_id"]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.mp4", b"", "Uploaded file is empty."),
    ("empty.png", b"", "Uploaded file is not a readable picture."),
    ("fake.png", b"\x00\x01 definitely not a png" * 20, "Uploaded file is not a readable picture."),
    ("notes.xyz", b"hello", "Wrong file format, extension: xyz"),
])
def test_refused_files_leave_a_broken_preview(shot_task: dict[str, Any], tmp_path: Path, name: str,
                                              content: bytes, message: str) -> None:
    comment, preview = new_preview(shot_task)
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(gexc.ParameterException, match=message):
        gazu.client.upload(f"pictures/preview-files/{preview['id']}", str(path))
    stored = gazu.client.get(f"data/preview-files/{preview['id']}")
    assert stored["status"] == "broken" and stored["data"]["error"] == message
    check_comment_intact(comment, "bad")
    # a broken preview may get a good file afterwards
    good = make_picture(tmp_path / "good.png")
    assert gazu.client.upload(f"pictures/preview-files/{preview['id']}", str(good))["status"] == "ready"


@pytest.mark.parametrize("kind", ["not-a-movie", "truncated"])
def test_unreadable_movies_end_broken_with_a_reason(shot_task: dict[str, Any], publish: Publish, tmp_path: Path,
                                                    kind: str) -> None:
    path = tmp_path / f"{kind}.mp4"
    if kind == "not-a-movie":
        path.write_bytes(b"this is a text file with a movie name\n" * 100)
    else:
        whole = make_movie(tmp_path / "whole.mp4", seconds=2).read_bytes()
        path.write_bytes(whole[: len(whole) // 3])  # the moov atom (at the end) is gone
    comment, preview = publish(path, text=kind)
    assert preview["status"] == "processing"
    done = gazu.files.wait_for_preview_file(preview, timeout=60, poll_interval=0.3)
    assert done["status"] == "broken" and done["data"]["error"]
    check_comment_intact(comment, kind)
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.client.download(f"movies/originals/preview-files/{preview['id']}.mp4", str(tmp_path / "x.mp4"))


def test_second_file_is_refused_on_a_single_preview_revision(shot_task: dict[str, Any], tmp_path: Path) -> None:
    gazu.project.update_project({"id": shot_task["project"]["id"], "is_single_preview_per_revision": True})
    comment, preview = new_preview(shot_task, "single")
    gazu.client.upload(f"pictures/preview-files/{preview['id']}", str(make_picture(tmp_path / "a.png")))
    task = shot_task["task"]
    with pytest.raises(gexc.ParameterException, match="Only one preview file is allowed per revision"):
        gazu.client.post(f"actions/tasks/{task['id']}/comments/{comment['id']}/add-preview", {})
    with pytest.raises(gexc.ParameterException, match="already has a file"):
        gazu.client.upload(f"pictures/preview-files/{preview['id']}", str(make_picture(tmp_path / "b.png")))
    check_comment_intact(comment, "single")


def test_oversized_upload_is_refused(tmp_path: Path) -> None:
    small = start_server(env={"FOXTRACK_MAX_UPLOAD_BYTES": "20000"})
    try:
        gazu.set_host(small.api)
        gazu.log_in(small.email, small.password)
        project = gazu.project.new_project("Big", "short")
        shot = gazu.shot.new_shot(project, gazu.shot.new_sequence(project, "SQ"), "SH")
        task = gazu.task.new_task(shot, gazu.task.new_task_type("Big anim", for_entity="Shot"))
        status = gazu.task.get_task_status_by_short_name("wip")
        comment = gazu.task.add_comment(task, status, "big")
        preview = gazu.client.post(f"actions/tasks/{task['id']}/comments/{comment['id']}/add-preview", {})
        big = tmp_path / "big.mp4"
        big.write_bytes(b"\x00" * 50000)
        token = gazu.client.default_client.tokens["access_token"]
        with big.open("rb") as f:
            answer = requests.post(f"{small.api}/pictures/preview-files/{preview['id']}",
                                   headers={"Authorization": f"Bearer {token}"}, files={"file": f}, timeout=10)
        assert answer.status_code == 413 and answer.json()["message"] == "File too large."
        check_comment_intact(comment, "big")
        assert gazu.client.get(f"data/preview-files/{preview['id']}")["status"] == "processing"
    finally:
        small.stop()
