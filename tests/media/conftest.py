"""Fixtures of the media tests: a shot task in a small-resolution project, a movie, a publisher."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gazu
import pytest
from media_helpers import RESOLUTION, Publish, make_movie, tag

@pytest.fixture()
def shot_task(client: object) -> dict[str, Any]:
    project = gazu.project.new_project(f"Media{tag()}", "short")
    project = gazu.project.update_project({"id": project["id"], "resolution": "x".join(map(str, RESOLUTION)),
                                           "fps": "25"})
    sequence = gazu.shot.new_sequence(project, "SQ01")
    shot = gazu.shot.new_shot(project, sequence, "SH010")
    task_type = gazu.task.new_task_type(f"Anim {tag()}", for_entity="Shot")
    task = gazu.task.new_task(shot, task_type)
    wip = gazu.task.get_task_status_by_short_name("wip")
    return {"project": project, "shot": shot, "task": task, "status": wip}


@pytest.fixture()
def movie(tmp_path: Path) -> Path:
    return make_movie(tmp_path / "render.mp4")


@pytest.fixture()
def publish(shot_task: dict[str, Any]) -> Publish:
    def run(path: Path, text: str = "render") -> tuple[dict[str, Any], dict[str, Any]]:
        return gazu.task.publish_preview(shot_task["task"], shot_task["status"], comment=text,
                                         preview_file_path=str(path))
    return run
