"""The transcoding queue: 202 + Retry-After while a movie waits, ``foxtrack worker`` as a separate
process, and jobs that survive a restart (a lost lease is taken again)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gazu
import pytest
import requests
from media_helpers import make_movie

from foxtrack.testing import RunningServer, start_server


@pytest.fixture()
def idle_server(tmp_path: Path) -> Iterator[RunningServer]:
    """A server that queues movies but transcodes none (as when workers are scaled out)."""
    data = tmp_path / "data"
    data.mkdir()
    srv = start_server(data_dir=data, env={"FOXTRACK_MEDIA_WORKERS": "0"})
    try:
        yield srv
    finally:
        srv.stop()


def publish_movie(server: RunningServer, movie: Path) -> dict[str, Any]:
    gazu.set_host(server.api)
    gazu.log_in(server.email, server.password)
    project = gazu.project.new_project(f"Queue{time.monotonic_ns()}", "short")
    gazu.project.update_project({"id": project["id"], "resolution": "320x180"})
    shot = gazu.shot.new_shot(project, gazu.shot.new_sequence(project, "SQ"), "SH")
    task = gazu.task.new_task(shot, gazu.task.new_task_type(f"Q {time.monotonic_ns()}", for_entity="Shot"))
    _comment, preview = gazu.task.publish_preview(task, gazu.task.get_task_status_by_short_name("wip"),
                                                  comment="queued", preview_file_path=str(movie))
    return preview


def test_waiting_download_answers_202_then_a_worker_process_transcodes(idle_server: RunningServer,
                                                                      tmp_path: Path) -> None:
    preview = publish_movie(idle_server, make_movie(tmp_path / "m.mp4", seconds=1))
    token = gazu.client.default_client.tokens["access_token"]
    for url in (f"movies/originals/preview-files/{preview['id']}.mp4",
                f"pictures/thumbnails/preview-files/{preview['id']}.png"):
        answer = requests.get(f"{idle_server.api}/{url}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert answer.status_code == 202 and int(answer.headers["Retry-After"]) > 0
    assert gazu.client.get(f"data/preview-files/{preview['id']}")["status"] == "processing"
    worker = subprocess.Popen([sys.executable, "-m", "foxtrack.cli", "worker", "--data-dir", str(idle_server.data_dir)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ready = gazu.files.wait_for_preview_file(preview, timeout=60, poll_interval=0.3)
        assert ready["status"] == "ready" and (ready["width"], ready["height"]) == (320, 180)
        # gazu's download waits through the 202s by itself; here the file is there
        gazu.client.download(f"movies/low/preview-files/{preview['id']}.mp4", str(tmp_path / "low.mp4"))
        assert (tmp_path / "low.mp4").stat().st_size > 0
        events = gazu.client.get("data/events/last?limit=50")
        added = [e for e in events if e["name"] == "preview-file:add-file"]
        assert added and added[0]["data"]["preview_file_id"] == preview["id"]
        assert set(added[0]["data"]) >= {"preview_file_id", "comment_id", "task_id", "revision", "extension", "status"}
    finally:
        worker.terminate()
        worker.wait(10)


def test_a_job_lost_with_its_worker_is_taken_again_at_restart(idle_server: RunningServer, tmp_path: Path) -> None:
    preview = publish_movie(idle_server, make_movie(tmp_path / "m.mp4", seconds=1))
    idle_server.process.terminate()
    idle_server.process.wait(10)
    # as if a worker had taken the job and died with it
    db = sqlite3.connect(idle_server.data_dir / "foxtrack.db")
    taken = db.execute("UPDATE job SET state = 'running', attempts = 1, worker = 'gone:1:x', "
                       "lease_until = '2000-01-01T00:00:00' WHERE kind = 'transcode' AND target_id = ?",
                       (preview["id"],))
    assert taken.rowcount == 1
    db.commit()
    db.close()
    again = start_server(data_dir=idle_server.data_dir)
    try:
        gazu.set_host(again.api)
        gazu.log_in(again.email, again.password)
        ready = gazu.files.wait_for_preview_file(preview, timeout=60, poll_interval=0.3)
        assert ready["status"] == "ready"
    finally:
        again.stop()


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc")
@pytest.mark.parametrize("how", ["terminate", "kill"])
def test_no_transcoding_process_outlives_the_server(tmp_path: Path, how: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    srv = start_server(data_dir=data)
    try:
        publish_movie(srv, make_movie(tmp_path / "long.mp4", seconds=20, size="1280x720"))
        deadline = time.monotonic() + 30
        while len(_descendants(srv.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # the pool process and its ffmpeg
        below = _descendants(srv.process.pid)
        assert len(below) >= 2, "the transcode never started"
        getattr(srv.process, how)()
        srv.process.wait(15)
        deadline = time.monotonic() + 10
        while _alive(below) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _alive(below) == set()
    finally:
        srv.stop()
