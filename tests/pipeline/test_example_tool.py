"""An example of testing a small pipeline tool with foxtrack's ``tracker`` fixture.

The tool below is what a studio would ship: it publishes a playblast for a shot's task and
reports the shots still waiting for one. The tests run it against a real, seeded foxtrack
started in-process for each test (no HTTP mocking); the whole module runs in well under 2 s.
"""

from __future__ import annotations

from pathlib import Path

import gazu
import pytest
from PIL import Image

from foxtrack.client import Project
from foxtrack.testing.plugin import Seed, Tracker


# ----------------------------------------------------------------------------- the tool


def publish_playblast(shot_name: str, task_type: str, movie: Path, note: str = "") -> str:
    """Post ``movie`` on the shot's task, ask for review and make it the shot's thumbnail."""
    project = Project.from_env()
    task = project.shots.get(name=shot_name).tasks.fetch(task_type)
    comment = task.comments.new(comment=note or f"Playblast {movie.name}", status="wfa",
                                preview=[movie], set_main_preview=True)
    return comment.id


def shots_waiting(task_type: str) -> list[str]:
    """Shots whose ``task_type`` task has not been sent for review or approved yet."""
    project = Project.from_env()
    waiting = []
    for shot in project.shots.all():
        if shot.tasks.fetch(task_type).status in ("todo", "wip", "retake"):
            waiting.append(shot.name)
    return waiting


# ----------------------------------------------------------------------------- the tests


@pytest.fixture
def tracker_seed() -> Seed:
    return Seed(project="Fox Tales", sequences={"sq010": ["sq010_sh0010", "sq010_sh0020"]},
                task_types={"Anim3D": "Shot"}, assets={})


def test_publish_playblast(tracker: Tracker, tmp_path: Path) -> None:
    frame = tmp_path / "sq010_sh0010_v003.png"
    Image.new("RGB", (160, 90), "orange").save(frame)

    comment_id = publish_playblast("sq010_sh0010", "Anim3D", frame)

    task = gazu.task.get_task(tracker.ids["sq010_sh0010/Anim3D"])
    assert task["task_status"]["short_name"] == "wfa"
    last = gazu.task.get_last_comment_for_task(task)
    assert last["id"] == comment_id and last["previews"][0]["original_name"] == "sq010_sh0010_v003"
    assert gazu.shot.get_shot(tracker.ids["sq010_sh0010"])["preview_file_id"] == last["previews"][0]["id"]
    assert shots_waiting("Anim3D") == ["sq010_sh0020"]


@pytest.mark.tracker_seed(project="Empty", sequences={}, assets={}, task_types={"Anim3D": "Shot"})
def test_nothing_waiting_on_an_empty_project(tracker: Tracker) -> None:
    assert shots_waiting("Anim3D") == []
    assert tracker.project().name == "Empty"
