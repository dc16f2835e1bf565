"""More Kitsu UI screens replayed over HTTP (issue 11, the real UI walk): the playlist page and the
entity news widget (Zou's shapes), timesheets, the production and team schedules, the task type page's
schedule items, and the studio's department hardware and software; each call as the UI sends it, with
Zou's status codes and key fields."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import gazu
import pytest
import requests
from PIL import Image

from foxtrack.testing import RunningServer

Row = dict[str, Any]


class Api:
    """Plain HTTP as the browser sends it, with a bearer token."""

    def __init__(self, server: RunningServer, token: str | None = None):
        self.base = server.api
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token or gazu.client.default_client.tokens['access_token']}"

    def call(self, method: str, path: str, status: int = 200, body: Any = None) -> Any:
        answer = self.session.request(method, f"{self.base}/{path}", json=body)
        assert answer.status_code == status, (method, path, answer.status_code, answer.text[:300])
        return answer.json() if answer.content else None

    def get(self, path: str, status: int = 200) -> Any:
        return self.call("GET", path, status)


def _tag() -> str:
    return uuid.uuid4().hex[:6]


@pytest.fixture()
def show(client: object, server: RunningServer, tmp_path: Path) -> Row:
    """E01/SQ01 with SH010 (an Anim task with a PNG preview, assigned to the admin, dated, 2 h logged
    on 2025-03-04) and SH020 (no preview), a playlist of both; an asset of type Prop in E01."""
    tag = _tag()
    project = gazu.project.new_project(f"More UI {tag}", "tvshow")
    e01 = gazu.shot.new_episode(project, "E01")
    sq01 = gazu.shot.new_sequence(project, "SQ01", episode=e01)
    sh010, sh020 = gazu.shot.new_shot(project, sq01, "SH010"), gazu.shot.new_shot(project, sq01, "SH020")
    anim = gazu.task.new_task_type(f"More Anim {tag}", for_entity="Shot")
    gazu.project.add_task_type(project, anim, 1)
    prop = gazu.asset.new_asset_type(f"More Prop {tag}")
    gazu.asset.new_asset(project, prop, "Lamp", episode=e01)
    me = gazu.client.get_current_user()
    task = gazu.task.new_task(sh010, anim, assignees=[me])
    gazu.client.put(f"data/tasks/{task['id']}", {"start_date": "2025-03-03", "due_date": "2025-03-10",
                                                 "estimation": 2.0})
    gazu.task.new_task(sh020, anim)
    wip = gazu.task.get_task_status_by_short_name("wip")
    picture = tmp_path / "p.png"
    Image.new("RGB", (320, 200), (30, 120, 200)).save(picture)
    _, preview = gazu.task.publish_preview(task, wip, comment="picture", preview_file_path=str(picture))
    gazu.task.set_time_spent(task, me, "2025-03-04", 120)
    playlist = gazu.playlist.new_playlist(project, f"Review {tag}", episode=e01)
    # what the Kitsu UI stores: the entries it shows, one without preview
    gazu.client.put(f"data/playlists/{playlist['id']}", {"shots": [
        {"entity_id": sh010["id"], "preview_file_id": preview["id"]},
        {"entity_id": sh020["id"], "preview_file_id": ""}]})
    return {"project": project, "e01": e01, "sq01": sq01, "sh010": sh010, "sh020": sh020, "anim": anim,
            "prop": prop, "task": task, "preview": preview, "playlist": playlist, "me": me,
            "api": Api(server)}


def _artist(server: RunningServer, project: Row | None = None) -> Api:
    email = f"artist-{_tag()}@example.com"
    person = gazu.person.new_person("Art", "Ist", email, password="artist-pass-1", role="user")
    if project is not None:
        gazu.project.add_person_to_team(project, person)
    token = requests.post(f"{server.api}/auth/login", json={"email": email, "password": "artist-pass-1"}).json()
    return Api(server, token["access_token"])


# ----------------------------------------------------------------------------- playlist page, news widget

def test_playlist_page_entries_have_zou_preview_files(show: Row) -> None:
    api, p = show["api"], show["project"]["id"]
    playlist = api.get(f"data/projects/{p}/playlists/{show['playlist']['id']}")
    first, second = playlist["shots"]
    assert first["id"] == show["sh010"]["id"] and second["id"] == show["sh020"]["id"]
    # {task_type_id: [revisions]}: what LOAD_PLAYLIST_END reads with Object.values
    revisions = first["preview_files"][show["anim"]["id"]]
    assert [r["id"] for r in revisions] == [show["preview"]["id"]]
    assert set(revisions[0]) >= {"id", "revision", "extension", "width", "height", "duration", "status",
                                 "created_at", "task_id", "previews"}
    assert revisions[0]["extension"] == "png" and revisions[0]["previews"] == []
    assert first["preview_file_id"] == show["preview"]["id"]
    assert first["preview_file_extension"] == "png" and first["preview_file_revision"] == 1
    assert first["preview_file_task_id"] == show["task"]["id"] and first["preview_file_previews"] == []
    assert "preview_file_annotations" not in first
    # an entry whose preview is missing has none (Zou drops the key), and no previews of its own
    assert "preview_file_id" not in second and second["preview_files"] == []
    assert isinstance(playlist["build_jobs"], list)


def test_entity_news_is_the_paginated_feed(show: Row) -> None:
    api = show["api"]
    news = api.get(f"data/entities/{show['sh010']['id']}/news")
    assert set(news) >= {"data", "total", "nb_pages", "limit", "offset", "page"}
    assert news["total"] == len(news["data"]) >= 1 and news["limit"] == 2000
    item = news["data"][0]
    assert item["task_entity_id"] == show["sh010"]["id"] and item["type"] == "News"
    assert item["full_entity_name"].endswith("SQ01 / SH010") and item["preview_file_id"] == show["preview"]["id"]
    assert api.get(f"data/entities/{show['sh020']['id']}/news")["data"] == []


# ----------------------------------------------------------------------------- timesheets

def test_timesheet_tables(show: Row, server: RunningServer) -> None:
    api, me = show["api"], show["me"]["id"]
    p = show["project"]["id"]
    assert api.get(f"data/persons/time-spents/day-table/2025/03?project_id={p}") == {"4": {me: 120.0}}
    assert api.get(f"data/persons/time-spents/week-table/2025?project_id={p}") == {"10": {me: 120.0}}
    assert api.get(f"data/persons/time-spents/month-table/2025?project_id={p}") == {"3": {me: 120.0}}
    assert api.get(f"data/persons/time-spents/year-table?project_id={p}") == {"2025": {me: 120.0}}
    assert api.get(f"data/persons/time-spents/day-table/2025/04?project_id={p}") == {}
    invalid = {"error": True, "message": "Invalid month or year.", "data": None}
    assert api.get("data/persons/time-spents/day-table/2025/13", 400) == invalid
    assert api.get("data/persons/time-spents/month-table/year", 400) == invalid
    # an artist counts only their own time
    assert _artist(server, show["project"]).get(f"data/persons/time-spents/month-table/2025?project_id={p}") == {}


def test_day_offs_of_studio_and_production(show: Row, server: RunningServer) -> None:
    api, me, p = show["api"], show["me"]["id"], show["project"]["id"]
    day_off = gazu.client.post("data/day-offs", {"person_id": me, "date": "2025-03-05", "end_date": "2025-03-06",
                                                 "description": "dentist"})
    try:
        assert [d["id"] for d in api.get("data/persons/day-offs/2025/03")] == [day_off["id"]]
        assert day_off["id"] in [d["id"] for d in api.get("data/persons/day-offs/2025")]
        assert api.get("data/persons/day-offs/2025/04") == []
        gazu.project.add_person_to_team(show["project"], show["me"])
        team = api.get(f"data/projects/{p}/day-offs?start_date=2025-03-01&end_date=2025-03-31")
        assert [d["description"] for d in team[me]] == ["dentist"]
        assert api.get(f"data/projects/{p}/day-offs?start_date=2025-04-01") == {}
        assert api.get(f"data/projects/{p}/day-offs?start_date=nope", 400)["error"] is True
        # an artist of the team sees the day off, not its description
        seen = _artist(server, show["project"]).get(f"data/projects/{p}/day-offs")
        assert [d["id"] for d in seen[me]] == [day_off["id"]] and "description" not in seen[me][0]
    finally:
        gazu.client.delete(f"data/day-offs/{day_off['id']}")


def test_task_type_time_spents(show: Row, server: RunningServer) -> None:
    api, p, anim = show["api"], show["project"]["id"], show["anim"]["id"]
    spent = api.get(f"data/projects/{p}/task-types/{anim}/time-spents?start_date=2025-03-01&end_date=2025-03-31")
    assert [(t["task_id"], t["duration"]) for t in spent[show["me"]["id"]]] == [(show["task"]["id"], 120.0)]
    assert api.get(f"data/projects/{p}/task-types/{anim}/time-spents?start_date=2025-04-01") == {}
    _artist(server, show["project"]).get(f"data/projects/{p}/task-types/{anim}/time-spents", 403)


def test_team_schedule_task_dates(show: Row, server: RunningServer) -> None:
    api, p, me = show["api"], show["project"]["id"], show["me"]["id"]
    dates = {d["person_id"]: d for d in api.get(f"data/persons/task-dates?project_id={p}")}
    assert dates[me] == {"person_id": me, "min_date": "2025-03-03 00:00:00", "max_date": "2025-03-10 00:00:00",
                         "busy_periods": []}
    assert me in {d["person_id"] for d in api.get("data/persons/task-dates")}
    assert api.get("data/persons/task-dates?project_id=nope", 400)["message"] == "Invalid project_id."
    _artist(server).get("data/persons/task-dates", 403)


# ----------------------------------------------------------------------------- schedules

def test_task_type_page_schedule_items(show: Row, server: RunningServer) -> None:
    api, p, anim = show["api"], show["project"]["id"], show["anim"]["id"]
    episodes = api.get(f"data/projects/{p}/schedule-items/{anim}/episodes")
    assert [(i["name"], i["object_id"], i["task_type_id"]) for i in episodes] == [("E01", show["e01"]["id"], anim)]
    assert set(episodes[0]) == {"id", "start_date", "end_date", "man_days", "project_id", "task_type_id",
                                "object_id", "name"}
    # created once: the same item on the next read
    assert api.get(f"data/projects/{p}/schedule-items/{anim}/episodes")[0]["id"] == episodes[0]["id"]
    sequences = api.get(f"data/projects/{p}/schedule-items/{anim}/sequences?episode_id={show['e01']['id']}")
    assert [i["name"] for i in sequences] == ["SQ01"]
    assert [i["object_id"] for i in api.get(f"data/projects/{p}/schedule-items/{anim}/asset-types")] == [
        show["prop"]["id"]]
    assert api.get(f"data/projects/{p}/schedule-items/{anim}/edits") == []
    assert api.get(f"data/projects/{p}/schedule-items/nope/episodes", 400)["message"] == "Malformed ID."
    _artist(server).get(f"data/projects/{p}/schedule-items/{anim}/episodes", 403)


def test_production_schedule_versions(show: Row, server: RunningServer) -> None:
    api, p, task = show["api"], show["project"]["id"], show["task"]
    version = api.call("POST", "data/production-schedule-versions", 201, {"name": "Plan A", "project_id": p})
    assert version["type"] == "ProductionScheduleVersion" and version["locked"] is False
    assert [v["id"] for v in api.get(f"data/production-schedule-versions?project_id={p}")] == [version["id"]]
    copied = api.call("POST", f"actions/production-schedule-versions/{version['id']}/set-task-links-from-production")
    assert copied == {"success": True, "task_link_count": 2}
    links = api.get(f"data/production-schedule-versions/{version['id']}/task-links?relations=true")
    mine = next(link for link in links if link["task_id"] == task["id"])
    assert mine["start_date"] == "2025-03-03T00:00:00" and mine["estimation"] == 2.0
    assert mine["assignees"] == [show["me"]["id"]]
    assert len(api.get(f"data/production-schedule-versions/{version['id']}/task-links"
                       f"?task_type_id={show['anim']['id']}")) == 2
    # edit the plan, copy it into a second version, apply that one
    api.call("PUT", f"data/production-schedule-version-task-links/{mine['id']}", 200,
             {"due_date": "2025-03-20T00:00:00", "task_id": str(uuid.uuid4())})
    plan_b = api.call("POST", "data/production-schedule-versions", 201, {"name": "Plan B", "project_id": p})
    same = api.call("POST", f"actions/production-schedule-versions/{plan_b['id']}/"
                    "set-task-links-from-production-schedule-version", 200,
                    {"production_schedule_version_id": version["id"]})
    assert same == {"success": True, "task_link_count": 2}
    assert api.call("POST", f"actions/production-schedule-versions/{plan_b['id']}/"
                    "set-task-links-from-production-schedule-version", 400,
                    {"production_schedule_version_id": plan_b["id"]})["error"] is True
    applied = api.call("POST", f"actions/production-schedule-versions/{plan_b['id']}/apply-to-production")
    assert applied == {"success": True, "task_count": 2}
    assert gazu.task.get_task(task["id"])["due_date"].startswith("2025-03-20")
    assert api.get(f"data/production-schedule-versions/{plan_b['id']}")["locked"] is True
    assert api.get(f"data/production-schedule-versions/{plan_b['id']}")["production_schedule_from"] == version["id"]
    assert gazu.project.get_project(p)["from_schedule_version_id"] == plan_b["id"]
    # a task link needs a task of the version's production
    other = gazu.project.new_project(f"Other {_tag()}", "short")
    seq = gazu.shot.new_sequence(other, "SQ09")
    stray = gazu.task.new_task(gazu.shot.new_shot(other, seq, "SH090"), show["anim"])
    refused = api.call("POST", "data/production-schedule-version-task-links", 400,
                       {"production_schedule_version_id": version["id"], "task_id": stray["id"]})
    assert refused["message"] == "The task and the production schedule version must be in the same project."
    artist = _artist(server, show["project"])
    # Zou's rule: a production's versions for its team (the artist reads the schedule), all of them
    # for admins only
    listed = artist.get(f"data/production-schedule-versions?project_id={p}")
    assert {version["id"], plan_b["id"]} <= {v["id"] for v in listed}
    artist.get("data/production-schedule-versions", 403)
    artist.call("POST", "data/production-schedule-versions", 403, {"name": "Mine", "project_id": p})
    api.call("DELETE", f"data/production-schedule-versions/{version['id']}", 204)
    api.get(f"data/production-schedule-versions/{version['id']}", 404)
    api.get(f"data/production-schedule-version-task-links/{mine['id']}", 404)


# ----------------------------------------------------------------------------- studio budget pages

@pytest.mark.parametrize("path, model, key", [("hardware-items", "hardware-items", "hardware_item_id"),
                                              ("software-licenses", "softwares", "software_id")])
def test_department_hardware_and_software(client: object, server: RunningServer, path: str, model: str,
                                          key: str) -> None:
    api = Api(server)
    department = api.call("POST", "data/departments", 201, {"name": f"Dept {_tag()}", "color": "#123456"})
    item = api.call("POST", f"data/{model}", 201, {"name": f"Item {_tag()}", "short_name": "it"})
    link = api.call("POST", f"data/departments/{department['id']}/{path}", 201, {key: item["id"]})
    assert link["department_id"] == department["id"] and link[key] == item["id"] and "id" in link
    again = api.call("POST", f"data/departments/{department['id']}/{path}", 201, {key: item["id"]})
    assert again["id"] == link["id"]
    grouped = api.get(f"data/departments/{path}")
    assert [i["id"] for i in grouped[department["id"]]] == [item["id"]]
    assert api.call("POST", f"data/departments/{department['id']}/{path}", 400, {})["error"] is True
    api.call("POST", f"data/departments/{uuid.uuid4()}/{path}", 404, {key: item["id"]})
    _artist(server).get(f"data/departments/{path}", 403)
    api.call("DELETE", f"data/departments/{department['id']}/{path}/{item['id']}", 204)
    assert department["id"] not in api.get(f"data/departments/{path}")


# ----------------------------------------------------------------------------- a client's task page

def _member(server: RunningServer, project: Row, role: str) -> tuple[Row, Api]:
    email = f"{role}-{_tag()}@example.com"
    person = gazu.person.new_person("Cli", "Ent", email, password="member-pass-1", role=role)
    gazu.project.add_person_to_team(project, person)
    token = requests.post(f"{server.api}/auth/login", json={"email": email, "password": "member-pass-1"}).json()
    return person, Api(server, token["access_token"])


def test_client_reads_the_comment_it_just_posted(show: Row, server: RunningServer) -> None:
    """A client posts on the task page; the UI then reads the new comment with GET
    data/comments/{id}?relations=true (seen in Chromium: 403 before). One comment is read as Zou's
    check_comment_access: a client reads the clients' and the for-client ones (only its own on a
    production that isolates its clients), the others every comment but the clients'."""
    api, task, project = show["api"], show["task"], show["project"]
    _, clara = _member(server, project, "client")
    _, carl = _member(server, project, "client")
    artist = _artist(server, project)
    wfa = gazu.task.get_task_status_by_short_name("wfa")
    mine = clara.call("POST", f"actions/tasks/{task['id']}/comment", 201,
                      {"task_status_id": wfa["id"], "comment": "from the client", "checklist": []})
    read = clara.get(f"data/comments/{mine['id']}?relations=true")
    assert read["text"] == "from the client" and read["person_id"] == mine["person_id"]
    assert clara.get(f"data/tasks/{task['id']}/comments/{mine['id']}")["id"] == mine["id"]
    studio = gazu.task.add_comment(task, wfa, "studio only")
    flagged = gazu.task.add_comment(task, wfa, "for the client", for_client=True)
    clara.get(f"data/comments/{studio['id']}?relations=true", 403)
    clara.get(f"data/tasks/{task['id']}/comments/{studio['id']}", 403)
    assert clara.get(f"data/comments/{flagged['id']}?relations=true")["text"] == "for the client"
    assert carl.get(f"data/comments/{mine['id']}")["id"] == mine["id"]
    artist.get(f"data/comments/{mine['id']}", 403)  # artists do not read the clients' comments
    assert artist.get(f"data/comments/{studio['id']}")["text"] == "studio only"
    api.call("PUT", f"data/projects/{project['id']}", 200, {"is_clients_isolated": True})
    carl.get(f"data/comments/{mine['id']}", 403)
    assert clara.get(f"data/comments/{mine['id']}")["id"] == mine["id"]
    assert carl.get(f"data/comments/{flagged['id']}")["id"] == flagged["id"]
    assert api.get(f"data/comments/{mine['id']}")["id"] == mine["id"]
