"""Deleting a row that others still point at: the same 400 on SQLite and PostgreSQL (before, SQLite
deleted a task type in use and left its tasks pointing at nothing, where PostgreSQL's constraint
refused), and the delete goes through once nothing points at it."""

from __future__ import annotations

import uuid

import gazu
import requests

from foxtrack.testing import RunningServer

STILL_LINKED = {"error": True, "message": "This record is still linked to other data and cannot be deleted."}


def test_a_task_type_or_status_in_use_is_not_deleted(server: RunningServer, client: object) -> None:
    headers = {"Authorization": f"Bearer {gazu.client.default_client.tokens['access_token']}"}
    project = gazu.project.new_project(f"In use {uuid.uuid4().hex[:6]}", "featurefilm")
    shot = gazu.shot.new_shot(project, gazu.shot.new_sequence(project, "SQ01"), "SH010")
    task_type = gazu.task.new_task_type(f"Temp {uuid.uuid4().hex[:6]}", for_entity="Shot")
    status = gazu.task.new_task_status(f"Held {uuid.uuid4().hex[:6]}", f"h{uuid.uuid4().hex[:4]}", "#112233")
    task = gazu.task.new_task(shot, task_type, task_status=status)

    for path in (f"task-types/{task_type['id']}", f"task-status/{status['id']}"):
        refused = requests.delete(f"{server.api}/data/{path}", headers=headers)
        assert refused.status_code == 400 and refused.json() == STILL_LINKED, (path, refused.text)
        assert requests.get(f"{server.api}/data/{path}", headers=headers).status_code == 200
    kept = gazu.task.get_task(task["id"])
    assert kept["task_type_id"] == task_type["id"] and kept["task_status_id"] == status["id"]

    gazu.task.remove_task(task)
    for path in (f"task-types/{task_type['id']}", f"task-status/{status['id']}"):
        assert requests.delete(f"{server.api}/data/{path}", headers=headers).status_code == 204
        assert requests.get(f"{server.api}/data/{path}", headers=headers).status_code == 404
