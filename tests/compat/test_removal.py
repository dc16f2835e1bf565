"""Removals cascade: a task takes its comments and time spent; a closed project takes everything,
and nothing of another project is touched."""

from __future__ import annotations

import uuid

import gazu
import pytest
import requests
from gazu import exception as gexc

from foxtrack.testing import RunningServer


def production(name: str) -> dict[str, dict]:
    project = gazu.project.new_project(f"{name} {uuid.uuid4().hex[:6]}", "short")
    seq = gazu.shot.new_sequence(project, "SQ01")
    shot = gazu.shot.new_shot(project, seq, "SH01")
    asset = gazu.asset.new_asset(project, gazu.asset.new_asset_type(f"Prop {uuid.uuid4().hex[:4]}"), "Cup")
    gazu.casting.update_shot_casting(project, shot["id"], [{"asset_id": asset["id"], "nb_occurences": 1}])
    task = gazu.task.new_task(shot, gazu.task.get_task_type_by_name("Animation"))
    admin = gazu.client.get_current_user()
    gazu.task.assign_task(task, admin)
    gazu.task.set_time_spent(task, admin, "2024-03-18", 60)
    comment = gazu.task.add_comment(task, gazu.task.get_task_status_by_short_name("wip"), "note")
    return {"project": project, "shot": shot, "asset": asset, "task": task, "comment": comment}


def test_remove_task_takes_its_comments(client: object) -> None:
    made = production("Task removal")
    gazu.task.remove_task(made["task"])
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.task.get_task(made["task"]["id"])
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.client.fetch_one("comments", made["comment"]["id"])
    assert gazu.shot.get_shot(made["shot"]["id"])["id"] == made["shot"]["id"]


def test_closed_project_removal_cascades(server: RunningServer, client: object) -> None:
    doomed, kept = production("Doomed"), production("Kept")
    token = gazu.client.default_client.access_token
    r = requests.delete(f"{server.api}/data/projects/{doomed['project']['id']}",
                        headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400  # still open
    gazu.project.close_project(doomed["project"])
    gazu.project.remove_project(doomed["project"], force=True)
    for getter, key in ((gazu.project.get_project, "project"), (gazu.shot.get_shot, "shot"),
                        (gazu.asset.get_asset, "asset"), (gazu.task.get_task, "task")):
        with pytest.raises(gexc.RouteNotFoundException):
            getter(doomed[key]["id"])
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.client.fetch_one("comments", doomed["comment"]["id"])
    assert gazu.task.get_task(kept["task"]["id"])["id"] == kept["task"]["id"]
    assert [c["asset_id"] for c in gazu.casting.get_shot_casting(kept["shot"])] == [kept["asset"]["id"]]
    assert gazu.task.all_comments_for_task(kept["task"])[0]["id"] == kept["comment"]["id"]
