"""The rest of Zou's REST surface (issue 11): the ShotGrid import, plugins, chats, status and stats,
the API docs, and the remaining project, person, task and user routes, driven over HTTP against a
live server (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import gazu
import pytest
import requests

from foxtrack.testing import RunningServer

# ----------------------------------------------------------------------------- helpers


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _sg_id() -> int:
    return uuid.uuid4().int % 1_000_000_000


def _admin_headers(server: RunningServer) -> dict[str, str]:
    token = requests.post(f"{server.api}/auth/login", json={"email": server.email, "password": server.password},
                          timeout=10).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _artist(server: RunningServer, role: str = "user") -> tuple[dict[str, Any], dict[str, str]]:
    email = f"more-{_tag()}@example.com"
    person = gazu.person.new_person("More", f"Artist{_tag()}", email, password="more-password-1", role=role)
    token = requests.post(f"{server.api}/auth/login", json={"email": email, "password": "more-password-1"},
                          timeout=10).json()["access_token"]
    return person, {"Authorization": f"Bearer {token}"}


class Api:
    """Plain HTTP calls on the API with one account's token."""

    def __init__(self, server: RunningServer, headers: dict[str, str]):
        self.base, self.headers = server.api, headers

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return requests.request(method, f"{self.base}/{path}", json=body, headers=self.headers, timeout=30, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None) -> requests.Response:
        return self.call("POST", path, body)

    def put(self, path: str, body: Any = None) -> requests.Response:
        return self.call("PUT", path, body)

    def delete(self, path: str) -> requests.Response:
        return self.call("DELETE", path)


@pytest.fixture()
def admin(server: RunningServer, client: object) -> Api:
    return Api(server, _admin_headers(server))


# ----------------------------------------------------------------------------- ShotGrid import
# Entries as ShotGrid's API answers them (``sg.find(...)`` dicts), the fields Zou's importers read.


def _sg_payloads() -> dict[str, Any]:
    tag = _tag()
    ids = {k: _sg_id() for k in ("person", "artist", "placeholder", "project", "episode", "sequence", "scene",
                                 "shot", "prop", "chair", "step", "status", "task", "version", "note", "link")}
    project = {"type": "Project", "id": ids["project"], "name": f"SG Show {tag}"}
    return {
        "ids": ids, "tag": tag,
        "persons": [
            {"type": "HumanUser", "id": ids["person"], "firstname": "Sam", "lastname": "Grid",
             "email": f"sam-{tag}@studio.test", "login": f"sam{tag}", "sg_status_list": "act",
             "permission_rule_set": {"type": "PermissionRuleSet", "id": 8, "name": "Manager"},
             "department": {"type": "Department", "id": 41, "name": f"Anim{tag}"}},
            {"type": "HumanUser", "id": ids["artist"], "firstname": "Ari", "lastname": "Grid",
             "email": f"ari-{tag}@studio.test", "login": f"ari{tag}", "sg_status_list": "dis",
             "permission_rule_set": {"type": "PermissionRuleSet", "id": 7, "name": "Artist"}, "department": None},
            {"type": "HumanUser", "id": ids["placeholder"], "firstname": "Change", "lastname": "Me",
             "email": "changeme@email.com", "login": "changeme", "sg_status_list": "act",
             "permission_rule_set": None, "department": None},
            {"type": "HumanUser", "id": _sg_id(), "firstname": "No email"},  # malformed: skipped
        ],
        "projects": [{"type": "Project", "id": ids["project"], "name": project["name"], "sg_status": "Active",
                      "sg_description": "From ShotGrid", "sg_fps": None}],
        "project-connections": [{"type": "ProjectUserConnection", "id": ids["link"], "project": project,
                                 "user": {"type": "HumanUser", "id": ids["artist"]}}],
        "episodes": [{"type": "Episode", "id": ids["episode"], "code": "E01", "description": "Pilot",
                      "project": project}],
        "sequences": [{"type": "Sequence", "id": ids["sequence"], "code": "SQ010", "description": "Opening",
                       "project": project, "episode": {"type": "Episode", "id": ids["episode"]}}],
        "scenes": [{"type": "Scene", "id": ids["scene"], "code": "SC01", "project": project,
                    "sequence_sg_scenes_1_sequences": [{"type": "Sequence", "id": ids["sequence"]}]}],
        "assets": [
            {"type": "Asset", "id": ids["prop"], "code": "Table", "description": "A table",
             "sg_asset_type": f"Prop{tag}", "project": project, "parents": []},
            {"type": "Asset", "id": ids["chair"], "code": "Chair", "description": "A chair",
             "sg_asset_type": f"Prop{tag}", "project": project,
             "parents": [{"type": "Asset", "id": ids["prop"]}]},
        ],
        "shots": [{"type": "Shot", "id": ids["shot"], "code": "SH0010", "project": project,
                   "sg_sequence": {"type": "Sequence", "id": ids["sequence"]},
                   "sg_scene": None, "sg_cut_in": 1001, "sg_cut_duration": 48, "sg_cut_out": 1049,
                   "sg_camera": "cam_A", "sg_notes": None,
                   "assets": [{"type": "Asset", "id": ids["chair"]}]}],
        "steps": [{"type": "Step", "id": ids["step"], "code": f"Anim{tag} Block", "short_name": "BLK",
                   "color": "50,149,253", "entity_type": "Shot"}],
        "status": [{"type": "Status", "id": ids["status"], "name": f"Pending {tag}", "code": f"p{tag[:6]}",
                    "bg_color": "255,128,0"}],
        "tasks": [{"type": "Task", "id": ids["task"], "cached_display_name": "Blocking", "start_date": "2024-03-04",
                   "due_date": "2024-03-15", "sg_sort_order": 2, "duration": 4800,
                   "entity": {"type": "Shot", "id": ids["shot"], "name": "SH0010"},
                   "step": {"type": "Step", "id": ids["step"]}, "sg_status_list": f"p{tag[:6]}",
                   "project": project, "created_by": {"type": "HumanUser", "id": ids["person"]},
                   "task_assignees": [{"type": "HumanUser", "id": ids["artist"]}]},
                  {"type": "Task", "id": _sg_id(), "cached_display_name": "No step", "step": None,
                   "project": project}],
        "versions": [{"type": "Version", "id": ids["version"], "code": "SH0010_blk_v001", "description": "first pass",
                      "user": {"type": "HumanUser", "id": ids["artist"]},
                      "sg_task": {"type": "Task", "id": ids["task"]},
                      "sg_uploaded_movie": {"url": "https://sg.test/v001.mov", "name": "v001.mov"}},
                     {"type": "Version", "id": _sg_id(), "code": "orphan", "description": "", "sg_task": None,
                      "sg_uploaded_movie": None}],
        "notes": [{"type": "Note", "id": ids["note"], "content": "More anticipation please",
                   "created_at": "2024-03-05T10:11:12+01:00", "user": {"type": "HumanUser", "id": ids["person"]},
                   "tasks": [{"type": "Task", "id": ids["task"]}]},
                  {"type": "Note", "id": _sg_id(), "content": "no task", "tasks": [],
                   "created_at": "2024-03-05T10:11:12", "user": None}],
    }


def test_shotgun_import_creates_then_updates_a_whole_production(server: RunningServer, admin: Api) -> None:
    sg = _sg_payloads()
    ids, tag = sg["ids"], sg["tag"]

    persons = admin.post("import/shotgun/persons", sg["persons"])
    assert persons.status_code == 200, persons.text
    by_email = {p["email"]: p for p in persons.json()}
    assert set(by_email) == {f"sam-{tag}@studio.test", f"ari-{tag}@studio.test"}  # placeholder, bad entry skipped
    sam = by_email[f"sam-{tag}@studio.test"]
    assert sam["type"] == "Person" and sam["shotgun_id"] == ids["person"] and sam["role"] == "manager"
    assert sam["desktop_login"] == f"sam{tag}" and "password" not in sam
    assert by_email[f"ari-{tag}@studio.test"]["active"] is False
    sam_full = admin.get(f"data/persons/{sam['id']}?relations=true").json()
    departments = {d["id"]: d["name"] for d in gazu.person.all_departments()}
    assert [departments[d] for d in sam_full["departments"]] == [f"Anim{tag}"]

    projects = admin.post("import/shotgun/projects", sg["projects"])
    assert projects.status_code == 200, projects.text
    [project] = projects.json()
    assert project["type"] == "Project" and project["name"] == f"SG Show {tag}"
    assert project["shotgun_id"] == ids["project"] and project["data"] == {"sg_description": "From ShotGrid"}
    statuses = {st["id"]: st["name"] for st in gazu.client.get("data/project-status")}
    assert statuses[project["project_status_id"]] == "Active"

    connections = admin.post("import/shotgun/project-connections", sg["project-connections"])
    assert connections.status_code == 200 and [p["id"] for p in connections.json()] == [project["id"]]
    ari = by_email[f"ari-{tag}@studio.test"]
    assert ari["id"] in gazu.project.get_project(project["id"])["team"]
    again = admin.post("import/shotgun/projectconnections", sg["project-connections"])
    assert again.status_code == 200 and gazu.project.get_project(project["id"])["team"].count(ari["id"]) == 1

    [episode] = admin.post("import/shotgun/episodes", sg["episodes"]).json()
    assert (episode["name"], episode["project_id"], episode["shotgun_id"]) == ("E01", project["id"], ids["episode"])
    [sequence] = admin.post("import/shotgun/sequences", sg["sequences"]).json()
    assert sequence["parent_id"] == episode["id"] and sequence["description"] == "Opening"
    [scene] = admin.post("import/shotgun/scenes", sg["scenes"]).json()
    assert scene["parent_id"] == sequence["id"] and scene["name"] == "SC01"
    assets = admin.post("import/shotgun/assets", sg["assets"]).json()
    table, chair = sorted(assets, key=lambda a: a["name"], reverse=True)
    assert (table["name"], chair["name"]) == ("Table", "Chair")
    assert gazu.asset.get_asset_type(table["entity_type_id"])["name"] == f"Prop{tag}"
    # a parent asset is cast with its children
    assert [c["asset_id"] for c in gazu.casting.get_asset_casting(table)] == [chair["id"]]

    [shot] = admin.post("import/shotgun/shots", sg["shots"]).json()
    assert shot["parent_id"] == sequence["id"] and shot["type"] == "Entity"
    assert shot["data"] == {"frame_in": 1001, "frame_out": 1049, "sg_camera": "cam_A", "sg_cut_duration": 48}
    assert [c["asset_id"] for c in gazu.casting.get_shot_casting(shot)] == [chair["id"]]
    assert gazu.shot.get_shot(shot["id"])["sequence_id"] == sequence["id"]

    [step] = admin.post("import/shotgun/steps", sg["steps"]).json()
    assert step["type"] == "TaskType" and step["color"] == "#3295fd" and step["for_entity"] == "Shot"
    assert gazu.client.get(f"data/departments/{step['department_id']}")["name"] == f"Anim{tag}"
    [status] = admin.post("import/shotgun/status", sg["status"]).json()
    assert status["type"] == "TaskStatus" and status["color"] == "#ff8000" and status["short_name"] == f"p{tag[:6]}"

    tasks = admin.post("import/shotgun/tasks", sg["tasks"])
    assert tasks.status_code == 200, tasks.text
    [task] = tasks.json()
    assert (task["entity_id"], task["task_type_id"], task["task_status_id"]) == (shot["id"], step["id"], status["id"])
    assert task["assignees"] == [ari["id"]] and task["assigner_id"] == sam["id"]
    assert task["start_date"].startswith("2024-03-04") and task["duration"] == 4800
    assert gazu.task.get_task(task["id"])["assignees"] == [ari["id"]]

    [version] = admin.post("import/shotgun/versions", sg["versions"]).json()
    assert version["type"] == "PreviewFile" and version["task_id"] == task["id"] and version["source"] == "Shotgun"
    assert version["uploaded_movie_url"] == "https://sg.test/v001.mov" and version["person_id"] == ari["id"]
    [note] = admin.post("import/shotgun/notes", sg["notes"]).json()
    assert note["type"] == "Comment" and note["object_id"] == task["id"] and note["person_id"] == sam["id"]
    assert note["text"] == "More anticipation please" and note["created_at"] == "2024-03-05T10:11:12"

    # the same entries again update what they made: no duplicates
    sg["shots"][0]["sg_cut_duration"] = 24
    [shot2] = admin.post("import/shotgun/shots", sg["shots"]).json()
    assert shot2["id"] == shot["id"] and shot2["data"]["frame_out"] == 1025
    sg["status"][0]["name"] = f"Waiting {tag}"
    [status2] = admin.post("import/shotgun/status", sg["status"]).json()
    assert status2["id"] == status["id"] and status2["name"] == f"Waiting {tag}"
    [task2] = admin.post("import/shotgun/tasks", sg["tasks"]).json()
    assert task2["id"] == task["id"]
    assert len(gazu.task.all_tasks_for_shot(shot)) == 1
    [persons_again] = [p for p in admin.post("import/shotgun/persons", sg["persons"][:1]).json()]
    assert persons_again["id"] == sam["id"]

    # removals: by ShotGrid id; what is still used stays
    removed = admin.post("import/shotgun/remove/step", {"id": ids["step"]})
    assert removed.status_code == 200 and removed.json() == {"removed_instance_id": step["id"], "success": False}
    assert admin.post("import/shotgun/remove/note", {"id": ids["note"]}).json() == {
        "removed_instance_id": note["id"], "success": True}
    assert admin.post("import/shotgun/remove/version", {"id": ids["version"]}).json()["success"] is True
    assert admin.post("import/shotgun/remove/task", {"id": ids["task"]}).json() == {
        "removed_instance_id": task["id"], "success": True}
    assert admin.get(f"data/tasks/{task['id']}").status_code == 404
    assert admin.post("import/shotgun/remove/step", {"id": ids["step"]}).json()["success"] is True
    assert admin.post("import/shotgun/remove/status", {"id": ids["status"]}).json()["success"] is True
    assert admin.post("import/shotgun/remove/shot", {"id": ids["shot"]}).json() == {
        "removed_instance_id": shot["id"], "success": True}
    assert admin.get(f"data/shots/{shot['id']}").status_code == 404
    # the shot's id is not an asset, scene or sequence id
    assert admin.post("import/shotgun/remove/asset", {"id": ids["shot"]}).json() == {"success": True}
    assert admin.post("import/shotgun/remove/asset", {"id": ids["chair"]}).json()["success"] is True
    assert admin.post("import/shotgun/remove/scene", {"id": ids["scene"]}).json()["success"] is True
    # a sequence with children stays
    assert admin.post("import/shotgun/remove/episode", {"id": ids["episode"]}).json() == {
        "removed_instance_id": episode["id"], "success": False}
    for kind in ("sequence", "episode"):
        assert admin.post(f"import/shotgun/remove/{kind}", {"id": ids[kind]}).json()["success"] is True
    assert admin.post("import/shotgun/remove/asset", {"id": ids["prop"]}).json()["success"] is True
    assert admin.post("import/shotgun/remove/project-connection", {"id": ids["link"]}).json() == {"success": True}
    assert admin.post("import/shotgun/remove/projectconnection", {"id": ids["link"]}).json() == {"success": True}
    assert admin.post("import/shotgun/remove/person", {"id": ids["artist"]}).json()["success"] is True
    assert admin.post("import/shotgun/remove/project", {"id": ids["project"]}).json() == {
        "removed_instance_id": project["id"], "success": True}
    assert admin.get(f"data/projects/{project['id']}").status_code == 404
    assert admin.post("import/shotgun/remove/project", {"id": ids["project"]}).json() == {"success": True}


def test_shotgun_import_rules_and_errors(server: RunningServer, admin: Api) -> None:
    _, artist = _artist(server)
    user = Api(server, artist)
    assert user.post("import/shotgun/persons", []).status_code == 403
    assert user.post("import/shotgun/remove/project", {"id": 1}).status_code == 403
    assert user.get("import/shotgun/errors").status_code == 403
    assert requests.post(f"{server.api}/import/shotgun/shots", json=[], timeout=10).status_code == 401

    for kind in ("persons", "projects", "episodes", "sequences", "shots", "scenes", "assets", "steps", "status",
                 "tasks", "versions", "notes", "project-connections", "projectconnections"):
        answer = admin.post(f"import/shotgun/{kind}", [])
        assert answer.status_code == 200 and answer.json() == [], kind
    bad = admin.post("import/shotgun/shots", {"id": 1, "code": "x"})
    assert bad.status_code == 400 and bad.json()["error"] is True
    # entries of the wrong shape are skipped, not a server error
    odd = admin.post("import/shotgun/tasks", [1, "x", {"id": "nope"}, {"step": {}, "project": {}}])
    assert odd.status_code == 200 and odd.json() == []
    assert admin.post("import/shotgun/remove/shot", {}).status_code == 400
    assert admin.post("import/shotgun/remove/shot", {"id": "abc"}).json() == {"success": True}

    created = admin.post("import/shotgun/errors", {"error": "Failed to import asset", "details": {"shotgun_id": 12}})
    assert created.status_code == 201
    error = created.json()
    assert error["source"] == "shotgun" and error["type"] == "DataImportError"
    assert error["event_data"] == {"error": "Failed to import asset", "details": {"shotgun_id": 12}}
    assert error["id"] in [e["id"] for e in admin.get("import/shotgun/errors").json()]
    assert admin.delete(f"import/shotgun/errors/{error['id']}").status_code == 204
    assert error["id"] not in [e["id"] for e in admin.get("import/shotgun/errors").json()]
    assert admin.delete(f"import/shotgun/errors/{error['id']}").status_code == 404
    assert admin.delete("import/shotgun/errors/not-an-id").status_code == 404
