"""The answer to a posted comment (built from what the transaction just wrote, without reading its
relations back) says what a later read of the comment says."""

from __future__ import annotations

import uuid

import gazu
import requests

from foxtrack.testing import RunningServer

KEYS = ("id", "text", "mentions", "department_mentions", "acknowledgements", "previews", "checklist", "links",
        "for_client", "task_status_id", "person_id", "object_id", "replies")


def test_a_posted_comment_answers_as_it_reads(server: RunningServer, client: object, tmp_path: object) -> None:
    headers = {"Authorization": f"Bearer {gazu.client.default_client.tokens['access_token']}"}
    tag = uuid.uuid4().hex[:6]
    project = gazu.project.new_project(f"Answer {tag}", "featurefilm")
    shot = gazu.shot.new_shot(project, gazu.shot.new_sequence(project, "SQ01"), "SH010")
    task_type = next(t for t in gazu.task.all_task_types() if t["for_entity"] == "Shot")
    status = next(s for s in gazu.task.all_task_statuses() if s["short_name"] == "wip")
    artist = gazu.person.new_person("Ann", f"Answer{tag}", f"ann.{tag}@example.com")
    gazu.project.add_person_to_team(project, artist)
    task = gazu.task.new_task(shot, task_type)
    gazu.task.assign_task(task, artist)
    note = tmp_path / "note.txt"  # type: ignore[operator]
    note.write_text("an attachment")
    answers = [
        gazu.task.add_comment(task, status, f"plain @Ann Answer{tag}", checklist=[{"text": "a", "checked": False}]),
        gazu.task.add_comment(task, status, "with a file", attachments=[str(note)]),
    ]
    listed = {c["id"]: c for c in requests.get(f"{server.api}/data/tasks/{task['id']}/comments",
                                               headers=headers).json()}
    for answer in answers:
        read = listed[answer["id"]]
        assert {k: answer.get(k) for k in KEYS} == {k: read.get(k) for k in KEYS}
        assert answer["task_status"]["id"] == status["id"] and answer["task_status"]["short_name"] == "wip"
        assert answer["person"]["id"] == read["person"]["id"]
        assert [f["name"] for f in answer["attachment_files"]] == [f["name"] for f in read["attachment_files"]]
    assert answers[0]["mentions"] == [artist["id"]]
    assert [f["name"] for f in answers[1]["attachment_files"]] == ["note.txt"]
