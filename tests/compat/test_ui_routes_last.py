"""The last Zou routes the Kitsu UI calls (issue 11): task type and status links, shared assets,
frame counts from previews, playlist entities, review sheets and invitations, the shots behind a
person's quota, and the edits and estimations sheets; driven over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import gazu
import pytest
import requests

from foxtrack.testing import RunningServer


def _tag() -> str:
    return uuid.uuid4().hex[:8]


class Api:
    """Plain HTTP calls on the API with one account's token."""

    def __init__(self, server: RunningServer, email: str, password: str):
        self.base = server.api
        token = requests.post(f"{server.api}/auth/login", json={"email": email, "password": password},
                              timeout=10).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return requests.request(method, f"{self.base}/{path}", json=body, headers=self.headers, timeout=30, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None) -> requests.Response:
        return self.call("POST", path, body)

    def put(self, path: str, body: Any = None) -> requests.Response:
        return self.call("PUT", path, body)

    def upload(self, path: str, text: str) -> requests.Response:
        files = {"file": ("sheet.csv", text.encode(), "text/csv")}
        return requests.post(f"{self.base}/{path}", files=files, headers=self.headers, timeout=30)


@pytest.fixture()
def admin(server: RunningServer, client: object) -> Api:
    return Api(server, server.email, server.password)


def _person(server: RunningServer, role: str = "user") -> tuple[dict[str, Any], Api]:
    email = f"last-{_tag()}@example.com"
    person = gazu.person.new_person("Last", f"Person{_tag()}", email, password="last-password-1", role=role)
    return person, Api(server, email, "last-password-1")


def _production(kind: str = "short") -> dict[str, Any]:
    tag = _tag()
    project = gazu.project.new_project(f"Last {tag}", kind)
    episode = gazu.shot.new_episode(project, "E01") if kind == "tvshow" else None
    sequence = gazu.shot.new_sequence(project, "SQ01", episode=episode)
    shot = gazu.shot.new_shot(project, sequence, "SH010")
    asset_type = gazu.asset.new_asset_type(f"LastType{tag}")
    other_type = gazu.asset.new_asset_type(f"LastOther{tag}")
    asset = gazu.asset.new_asset(project, asset_type, "Crate")
    other = gazu.asset.new_asset(project, other_type, "Barrel")
    animation = gazu.task.get_task_type_by_name("Animation")
    shot_task = gazu.task.new_task(shot, animation)
    return {"project": project, "episode": episode, "sequence": sequence, "shot": shot, "asset": asset,
            "other": other, "asset_type": asset_type, "other_type": other_type, "animation": animation,
            "shot_task": shot_task}


def _preview(task: dict[str, Any], text: str = "v1", status: str = "wip") -> dict[str, Any]:
    from PIL import Image

    comment = gazu.task.add_comment(task, gazu.task.get_task_status_by_short_name(status), text)
    png = Path(__file__).parent / f"last-{_tag()}.png"
    Image.new("RGB", (32, 18), (30, 120, 200)).save(png)
    try:
        return dict(gazu.task.add_preview(task, comment, str(png)))
    finally:
        png.unlink()


# ----------------------------------------------------------------------------- task type / status links


def test_task_type_and_status_links_and_their_order(server: RunningServer, admin: Api) -> None:
    p = _production()
    project_id = p["project"]["id"]
    layout, lighting = (gazu.task.new_task_type(f"{name}{_tag()}", for_entity="Shot") for name in ("Lay", "Light"))
    made = admin.post("data/task-type-links", {"project_id": project_id, "task_type_id": layout["id"], "priority": 3})
    assert made.status_code == 201, made.text
    link = made.json()
    assert (link["type"], link["project_id"], link["task_type_id"], link["priority"]) == \
        ("ProjectTaskTypeLink", project_id, layout["id"], 3)
    again = admin.post("data/task-type-links/", {"project_id": project_id, "task_type_id": layout["id"],
                                                  "priority": "5"})
    assert again.status_code == 201 and again.json()["id"] == link["id"] and again.json()["priority"] == 5
    assert admin.get(f"data/projects/{project_id}?relations=true").json()["task_types"].count(layout["id"]) == 1
    admin.post("data/task-type-links", {"project_id": project_id, "task_type_id": lighting["id"], "priority": 1})

    order = admin.post(f"actions/projects/{project_id}/task-type-links/reorder",
                       {"task_type_ids": [lighting["id"], str(uuid.uuid4()), layout["id"]]})
    assert order.status_code == 200, order.text
    assert [(lk["task_type_id"], lk["priority"]) for lk in order.json()] == [(lighting["id"], 1), (layout["id"], 3)]
    in_order = [t["id"] for t in gazu.client.get(f"data/projects/{project_id}/task-types")]
    assert in_order.index(lighting["id"]) < in_order.index(layout["id"])
    bad = admin.post(f"actions/projects/{project_id}/task-type-links/reorder", {"task_type_ids": "nope"})
    assert bad.status_code == 400 and "task_type_ids" in bad.json()["message"]

    wip, done = (gazu.task.get_task_status_by_short_name(n) for n in ("wip", "done"))
    status_link = admin.post("data/task-status-links", {"project_id": project_id, "task_status_id": wip["id"],
                                                         "priority": 2, "roles_for_board": ["admin", "manager"]})
    assert status_link.status_code == 201, status_link.text
    body = status_link.json()
    assert (body["type"], body["task_status_id"], body["priority"], body["roles_for_board"]) == \
        ("ProjectTaskStatusLink", wip["id"], 2, ["admin", "manager"])
    admin.post("data/task-status-links", {"project_id": project_id, "task_status_id": done["id"]})
    reordered = admin.post(f"actions/projects/{project_id}/task-status-links/reorder",
                           {"task_status_ids": [done["id"], wip["id"]]})
    assert reordered.status_code == 200
    assert [(lk["task_status_id"], lk["priority"], lk["roles_for_board"]) for lk in reordered.json()] == \
        [(done["id"], 1, []), (wip["id"], 2, ["admin", "manager"])]  # board roles kept
    assert wip["id"] in admin.get(f"data/projects/{project_id}?relations=true").json()["task_statuses"]

    assert admin.post("data/task-type-links", {"task_type_id": layout["id"]}).status_code == 400
    assert admin.post("data/task-type-links", {"project_id": project_id, "task_type_id": "x"}).status_code == 400
    assert admin.post("data/task-type-links", {"project_id": project_id, "task_type_id": layout["id"],
                                               "priority": "high"}).status_code == 400
    assert admin.post("data/task-type-links", {"project_id": str(uuid.uuid4()),
                                               "task_type_id": layout["id"]}).status_code == 404
    _, artist = _person(server)
    assert artist.post("data/task-type-links", {"project_id": project_id,
                                                "task_type_id": layout["id"]}).status_code == 403
    assert artist.post(f"actions/projects/{project_id}/task-status-links/reorder",
                       {"task_status_ids": []}).status_code == 403


# ----------------------------------------------------------------------------- shared assets, frames


def test_share_assets_by_production_type_and_ids(server: RunningServer, admin: Api) -> None:
    p = _production()
    project_id = p["project"]["id"]
    shared = admin.post(f"actions/projects/{project_id}/assets/share/", {})  # as Kitsu calls it
    assert shared.status_code == 200, shared.text
    assert sorted(a["id"] for a in shared.json()) == sorted([p["asset"]["id"], p["other"]["id"]])
    assert {(a["type"], a["is_shared"]) for a in shared.json()} == {("Asset", True)}
    assert gazu.asset.get_asset(p["asset"]["id"])["is_shared"] is True

    by_type = admin.post(f"actions/projects/{project_id}/asset-types/{p['other_type']['id']}/assets/share",
                         {"is_shared": False})
    assert by_type.status_code == 200 and [a["id"] for a in by_type.json()] == [p["other"]["id"]]
    assert gazu.asset.get_asset(p["other"]["id"])["is_shared"] is False
    assert gazu.asset.get_asset(p["asset"]["id"])["is_shared"] is True

    listed = admin.post("actions/assets/share", {"asset_ids": [p["asset"]["id"]], "is_shared": False})
    assert listed.status_code == 200 and [a["id"] for a in listed.json()] == [p["asset"]["id"]]
    assert gazu.asset.get_asset(p["asset"]["id"])["is_shared"] is False
    assert admin.post("actions/assets/share", {}).json() == []
    assert admin.post("actions/assets/share", {"asset_ids": [str(uuid.uuid4())]}).status_code == 404
    bad = admin.post("actions/assets/share", {"asset_ids": ["nope"]})
    assert bad.status_code == 400 and bad.json()["data"]["errors"][0]["field"] == "asset_ids.0"
    assert admin.post(f"actions/projects/{project_id}/assets/share", {"is_shared": "maybe"}).status_code == 400

    person, artist = _person(server)
    gazu.project.add_person_to_team(p["project"], person)  # on the team, but not a manager
    assert artist.post(f"actions/projects/{project_id}/assets/share", {}).status_code == 403
    assert artist.post("actions/assets/share", {"asset_ids": [p["asset"]["id"]]}).status_code == 403
    assert gazu.asset.get_asset(p["asset"]["id"])["is_shared"] is False


def test_set_shot_nb_frames_from_previews(server: RunningServer, admin: Api) -> None:
    p = _production()
    project_id, task_type_id = p["project"]["id"], p["animation"]["id"]
    preview = _preview(p["shot_task"])
    assert admin.put(f"data/preview-files/{preview['id']}", {"duration": 2.0}).status_code == 200
    answer = admin.post(f"actions/projects/{project_id}/task-types/{task_type_id}/set-shot-nb-frames")
    assert answer.status_code == 200, answer.text
    assert answer.json() == [{"id": p["shot"]["id"], "nb_frames": 50}]  # 2 s at the default 25 fps
    assert gazu.shot.get_shot(p["shot"]["id"])["nb_frames"] == 50
    other_episode = admin.post(f"actions/projects/{project_id}/task-types/{task_type_id}/set-shot-nb-frames"
                               f"?episode_id={uuid.uuid4()}")
    assert other_episode.status_code == 200 and other_episode.json() == []
    bad = admin.post(f"actions/projects/{project_id}/task-types/nope/set-shot-nb-frames")
    assert bad.status_code == 400 and bad.json()["message"] == "Invalid project or task type id"
    assert admin.post(f"actions/projects/{project_id}/task-types/{task_type_id}/set-shot-nb-frames"
                      "?episode_id=nope").status_code == 400
    _, artist = _person(server)
    assert artist.post(f"actions/projects/{project_id}/task-types/{task_type_id}/set-shot-nb-frames"
                       ).status_code == 403


# ----------------------------------------------------------------------------- playlists


def test_playlist_add_entities_review_sheet_and_invitations(server: RunningServer, admin: Api) -> None:
    p = _production()
    project_id = p["project"]["id"]
    preview = _preview(p["shot_task"], "More anticipation")
    playlist = gazu.playlist.new_playlist(p["project"], f"Review {_tag()}")
    added = admin.post(f"actions/playlists/{playlist['id']}/add-entities",
                       {"entities": [{"entity_id": p["shot"]["id"]},
                                     {"entity_id": p["asset"]["id"], "preview_file_id": ""}]})
    assert added.status_code == 200, added.text
    assert added.json()["id"] == playlist["id"] and added.json()["type"] == "Playlist"
    assert added.json()["shots"] == [{"entity_id": p["shot"]["id"], "preview_file_id": preview["id"]},
                                     {"entity_id": p["asset"]["id"]}]
    again = admin.post(f"actions/playlists/{playlist['id']}/add-entities",
                       {"entities": [{"entity_id": p["shot"]["id"], "preview_file_id": preview["id"]}]})
    assert len(again.json()["shots"]) == 2  # the same couple is not added twice
    assert admin.post(f"actions/playlists/{playlist['id']}/add-entities", {"entities": []}).status_code == 400
    bad = admin.post(f"actions/playlists/{playlist['id']}/add-entities", {"entities": [{"entity_id": "x"}]})
    assert bad.status_code == 400 and bad.json()["data"]["errors"][0]["field"] == "entities.0.entity_id"
    assert admin.post(f"actions/playlists/{uuid.uuid4()}/add-entities",
                      {"entities": [{"entity_id": p["shot"]["id"]}]}).status_code == 404

    sheet = admin.get(f"export/csv/playlists/{playlist['id']}")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    assert "attachment; filename=kitsu_" in sheet.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(sheet.text), delimiter=";"))
    assert lines[0][:3] == ["Playlist", f"{p['project']['name']} | for shots", playlist["name"]]
    assert lines[2] == ["Entity name", "Nb Frames", "Task Type", "Retake count", "Revision", "Task Status",
                        "Last comment author", "Last comment date", "Last comment"]
    row = lines[3]
    assert row[0] == "SQ01 / SH010" and row[2] == "Animation" and row[4] == "1"
    assert row[5] == gazu.task.get_task_status_by_short_name("wip")["name"] and row[8] == "More anticipation"
    assert len(lines) == 5 and lines[4][0].endswith("Crate")

    link = admin.post(f"data/playlists/{playlist['id']}/share", {}).json()
    person, artist = _person(server)
    sent = admin.post(f"data/playlists/{playlist['id']}/share/{link['token']}/invite",
                      {"emails": ["Reviewer@Studio.Example", "reviewer@studio.example"],
                       "person_ids": [person["id"]], "message": "Please review"})
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"sent": ["Reviewer@studio.example", person["email"]]}
    bad_email = admin.post(f"data/playlists/{playlist['id']}/share/{link['token']}/invite", {"emails": ["nope"]})
    assert bad_email.status_code == 400 and "@" in bad_email.json()["error"]
    assert admin.post(f"data/playlists/{playlist['id']}/share/{uuid.uuid4()}/invite",
                      {"emails": []}).status_code == 404

    assert artist.post(f"actions/playlists/{playlist['id']}/add-entities",
                       {"entities": [{"entity_id": p["shot"]["id"]}]}).status_code == 403
    assert artist.get(f"export/csv/playlists/{playlist['id']}").status_code == 403
    assert artist.post(f"data/playlists/{playlist['id']}/share/{link['token']}/invite",
                       {"emails": ["a@b.example"]}).status_code == 403
    gazu.project.add_person_to_team(p["project"], person)
    assert artist.get(f"export/csv/playlists/{playlist['id']}").status_code == 403  # artists do not


# ----------------------------------------------------------------------------- quota shots


def test_person_quota_shots_by_day_week_and_month(server: RunningServer, admin: Api) -> None:
    p = _production()
    project_id, task = p["project"]["id"], p["shot_task"]
    person, artist = _person(server)
    gazu.project.add_person_to_team(p["project"], person)
    gazu.task.assign_task(task, person)
    gazu.task.set_time_spent(task, person, "2024-03-05", 300)
    assert admin.put(f"data/tasks/{task['id']}", {"duration": 600, "end_date": "2024-03-05T12:00:00"}
                     ).status_code == 200
    query = f"?project_id={project_id}&task_type_id={p['animation']['id']}"
    day = admin.get(f"data/persons/{person['id']}/quota-shots/day/2024/03/05{query}")
    assert day.status_code == 200, day.text
    [shot] = day.json()
    assert (shot["id"], shot["full_name"], shot["weight"]) == (p["shot"]["id"], "SQ01 / SH010", 0.5)
    assert admin.get(f"data/persons/{person['id']}/quota-shots/day/2024/03/06{query}").json() == []
    week = admin.get(f"data/persons/{person['id']}/quota-shots/week/2024/10{query}")
    assert [s["weight"] for s in week.json()] == [0.5]
    month = artist.get(f"data/persons/{person['id']}/quota-shots/month/2024/3{query}")  # their own
    assert month.status_code == 200 and [s["id"] for s in month.json()] == [p["shot"]["id"]]
    raw = admin.get(f"data/persons/{person['id']}/quota-shots/month/2024/3{query}&count_mode=feedback")
    assert [s["weight"] for s in raw.json()] == [1]
    assert admin.get(f"data/persons/{person['id']}/quota-shots/month/2024/3{query}&count_mode=done").json() == []

    bad_mode = admin.get(f"data/persons/{person['id']}/quota-shots/month/2024/3{query}&count_mode=all")
    assert bad_mode.status_code == 400 and "count_mode" in bad_mode.json()["message"]
    assert admin.get(f"data/persons/{person['id']}/quota-shots/month/2024/13{query}").status_code == 400
    assert admin.get(f"data/persons/{person['id']}/quota-shots/week/2024/99{query}").status_code == 400
    assert admin.get(f"data/persons/{person['id']}/quota-shots/month/9999/12{query}").status_code == 400
    assert admin.get(f"data/persons/{person['id']}/quota-shots/day/x/1/1{query}").status_code == 400
    assert admin.get(f"data/persons/{uuid.uuid4()}/quota-shots/day/2024/3/5{query}").status_code == 404
    _, other = _person(server)
    assert other.get(f"data/persons/{person['id']}/quota-shots/day/2024/3/5{query}").status_code == 403


# ----------------------------------------------------------------------------- CSV imports


def test_edits_sheet_import(server: RunningServer, admin: Api) -> None:
    p = _production()
    project_id = p["project"]["id"]
    cut = gazu.task.new_task_type(f"Cut{_tag()}", for_entity="Edit")
    gazu.project.add_task_type(p["project"], cut, 1)
    wip = gazu.task.get_task_status_by_short_name("wip")
    made = admin.upload(f"import/csv/projects/{project_id}/edits",
                        f"Name;Description;{cut['name']};{cut['name']} comment\nTrailer;first cut;wip;tighter\n"
                        "Teaser;;;\n")
    assert made.status_code == 201, made.text
    assert [(e["name"], e["type"]) for e in made.json()] == [("Trailer", "Entity"), ("Teaser", "Entity")]
    edits = {e["name"]: e for e in gazu.edit.all_edits_for_project(p["project"])}
    assert edits["Trailer"]["description"] == "first cut"
    [task] = gazu.task.all_tasks_for_edit(edits["Trailer"])
    assert task["task_status_id"] == wip["id"]
    assert [c["text"] for c in gazu.task.all_comments_for_task(task)] == ["tighter"]
    assert len(gazu.task.all_tasks_for_edit(edits["Teaser"])) == 1  # new edits get every edit task

    kept = admin.upload(f"import/csv/projects/{project_id}/edits", "Name;Description\nTrailer;second\n")
    assert kept.status_code == 201 and gazu.edit.get_edit(edits["Trailer"]["id"])["description"] == "first cut"
    admin.upload(f"import/csv/projects/{project_id}/edits?update=true", "Name;Description\nTrailer;second\n")
    assert gazu.edit.get_edit(edits["Trailer"]["id"])["description"] == "second"
    refused = admin.upload(f"import/csv/projects/{project_id}/edits", "Name;Episode\nPromo;E01\n")
    assert refused.status_code == 400 and refused.json()["line_number"] == 2
    assert "TV Show" in refused.json()["message"]
    assert "Promo" not in {e["name"] for e in gazu.edit.all_edits_for_project(p["project"])}
    _, artist = _person(server)
    assert artist.upload(f"import/csv/projects/{project_id}/edits", "Name;Description\nX;y\n").status_code == 403


def test_task_type_estimations_sheet_import(server: RunningServer, admin: Api) -> None:
    p = _production("tvshow")
    project_id, task_type_id = p["project"]["id"], p["animation"]["id"]
    sheet = "Parent;Entity;Estimation;Drawings;Start date;Due date;Difficulty\nSQ01;SH010;2;12;2024-03-08;;4\n"
    answer = admin.upload(f"import/csv/projects/{project_id}/task-types/{task_type_id}/estimations", sheet)
    assert answer.status_code == 201, answer.text
    task = gazu.task.get_task(p["shot_task"]["id"])
    assert (task["estimation"], task["nb_drawings"], task["difficulty"]) == (960, 12, 4)  # 2 days of 8 hours
    assert task["start_date"].startswith("2024-03-08") and task["due_date"].startswith("2024-03-11")  # a Monday
    assert [t["id"] for t in answer.json()] == [task["id"]]

    episode_id = p["episode"]["id"]
    by_episode = admin.upload(f"import/csv/projects/{project_id}/episodes/{episode_id}/task-types/{task_type_id}"
                              "/estimations", "Parent;Entity;Estimation\nSQ01;SH010;0.5\n")
    assert by_episode.status_code == 201 and gazu.task.get_task(task["id"])["estimation"] == 240
    elsewhere = admin.upload(f"import/csv/projects/{project_id}/episodes/{uuid.uuid4()}/task-types/{task_type_id}"
                             "/estimations", "Parent;Entity;Estimation\nSQ01;SH010;3\n")
    assert elsewhere.status_code == 400 and elsewhere.json()["line_number"] == 2
    bad = admin.upload(f"import/csv/projects/{project_id}/task-types/{task_type_id}/estimations",
                       "Parent;Entity;Estimation\nSQ01;SH010;lots\n")
    assert bad.status_code == 400 and bad.json()["line_number"] == 2
    assert gazu.task.get_task(task["id"])["estimation"] == 240
    endless = admin.upload(f"import/csv/projects/{project_id}/task-types/{task_type_id}/estimations",
                           "Parent;Entity;Estimation;Start date\nSQ01;SH010;inf;2024-03-08\n")
    assert endless.status_code == 400 and "Estimation" in endless.json()["message"]
    assert admin.upload(f"import/csv/projects/{project_id}/task-types/{uuid.uuid4()}/estimations",
                        sheet).status_code == 404
    _, artist = _person(server)
    assert artist.upload(f"import/csv/projects/{project_id}/task-types/{task_type_id}/estimations",
                         sheet).status_code == 403
