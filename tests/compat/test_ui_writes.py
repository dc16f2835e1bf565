"""The writes of the Kitsu UI's screens replayed over HTTP (issue 11, the walk of every screen's writes
in Chromium): each call with the body the UI sends, and what the screen reads back afterwards."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import gazu
import requests
from PIL import Image

from foxtrack.testing import RunningServer
from tests.compat.test_ui_screens_more import Api

Row = dict[str, Any]


def _events(api: Api, since: set[str]) -> list[Row]:
    return [e for e in api.call("GET", "data/events/last?limit=100") if e["id"] not in since]


def test_budget_entry_events_name_their_budget(server: RunningServer, client: object) -> None:
    """The budget page reloads an entry from ``budgets/{data.budget_id}/entries/{data.budget_entry_id}``
    when its event arrives: without the budget id it asked for ``budgets/undefined/...`` (400)."""
    api = Api(server)
    project = gazu.project.new_project(f"UI writes {uuid.uuid4().hex[:6]}", "tvshow")
    p = project["id"]
    budget = api.call("POST", f"data/projects/{p}/budgets", body={"name": "Main", "currency": "EUR"})
    department = gazu.person.new_department(f"Dept {uuid.uuid4().hex[:6]}")
    me = gazu.client.get_current_user()
    seen = {e["id"] for e in api.call("GET", "data/events/last?limit=100")}
    entry = api.call("POST", f"data/projects/{p}/budgets/{budget['id']}/entries", body={
        "department_id": department["id"], "person_id": me["id"], "position": "artist", "seniority": "mid",
        "start_date": "2026-12-01", "months_duration": 3, "daily_salary": 300})
    api.call("PUT", f"data/projects/{p}/budgets/{budget['id']}/entries/{entry['id']}",
             body={"months_duration": 4})
    api.call("DELETE", f"data/projects/{p}/budgets/{budget['id']}/entries/{entry['id']}", 204)
    events = {e["name"]: e["data"] for e in _events(api, seen) if e["name"].startswith("budget-entry:")}
    assert set(events) == {"budget-entry:create", "budget-entry:update", "budget-entry:delete"}
    for data in events.values():
        assert data["budget_id"] == budget["id"] and data["budget_entry_id"] == entry["id"]
    # what the page does on budget-entry:create, before the deletion
    created = events["budget-entry:create"]
    api.call("GET", f"data/projects/{p}/budgets/{created['budget_id']}/entries/{created['budget_entry_id']}",
             404)


def test_production_screens_writes_read_back(server: RunningServer, client: object) -> None:
    """The wizard's project, a metadata descriptor filled from the asset list, casting, a playlist's
    entries: the calls the UI made in Chromium, each read back as the next screen reads it."""
    api = Api(server)
    status = api.call("GET", "data/project-status")[0]
    project = api.call("POST", "data/projects/", 201, {
        "name": f"UI wizard {uuid.uuid4().hex[:6]}", "project_status_id": status["id"], "fps": 25,
        "ratio": "16:9", "resolution": "1920x1080", "production_type": "featurefilm",
        "production_style": "2d", "start_date": "2026-12-01", "end_date": "2027-06-30"})
    p = project["id"]
    assert project["fps"] == "25" and project["production_type"] == "featurefilm"
    api.call("PUT", f"data/projects/{p}", body={"fps": "24", "ratio": "2.39", "resolution": "2048x858"})
    assert api.call("GET", f"data/projects/{p}")["fps"] == "24"
    descriptor = api.call("POST", f"data/projects/{p}/metadata-descriptors", 201, {
        "name": "Difficulty", "data_type": "list", "choices": ["easy", "hard"], "for_client": False,
        "entity_type": "Asset", "departments": []})
    prop = gazu.asset.new_asset_type(f"Prop {uuid.uuid4().hex[:6]}")
    api.call("POST", f"data/projects/{p}/settings/asset-types", 201, {"asset_type_id": prop["id"]})
    asset = api.call("POST", f"data/projects/{p}/asset-types/{prop['id']}/assets/new", 201, {
        "name": "Lamp", "description": "a prop", "data": {descriptor["field_name"]: "easy"}, "is_shared": False})
    api.call("PUT", f"data/entities/{asset['id']}", body={
        "name": "Lamp B", "description": "edited", "data": {descriptor["field_name"]: "hard"}})
    read = api.call("GET", f"data/assets/{asset['id']}")
    assert (read["name"], read["description"], read["data"]) == ("Lamp B", "edited", {"difficulty": "hard"})
    sequence = api.call("POST", f"data/projects/{p}/sequences", 201, {"name": "SQ01", "description": "", "data": {}})
    shot = api.call("POST", f"data/projects/{p}/shots", 201, {"name": "SH010", "description": "d",
                                                              "sequence_id": sequence["id"]})
    for occurrences in (1, 3):
        api.call("PUT", f"data/projects/{p}/entities/{shot['id']}/casting",
                 body=[{"asset_id": asset["id"], "nb_occurences": occurrences, "label": ""}])
    assert [c["nb_occurences"] for c in api.call("GET", f"data/projects/{p}/entities/{shot['id']}/casting")] == [3]
    api.call("PUT", f"data/projects/{p}/entities/{shot['id']}/casting", body=[])
    assert api.call("GET", f"data/projects/{p}/entities/{shot['id']}/casting") == []
    playlist = api.call("POST", "data/playlists/", 201, {"name": "Review", "project_id": p, "for_client": False,
                                                         "for_entity": "shot", "is_for_all": False,
                                                         "task_type_id": None})
    api.call("PUT", f"data/playlists/{playlist['id']}", body={
        "name": "Review", "shots": [{"entity_id": shot["id"], "preview_file_id": ""}], "for_entity": "shot",
        "task_type_id": None})
    assert api.call("GET", f"data/playlists/{playlist['id']}")["shots"] == [
        {"entity_id": shot["id"], "preview_file_id": None}]


def _hdr(path: Path, width: int, height: int, rgbe: bytes, rle: bool) -> Path:
    """A Radiance file of one colour: flat pixels, or the run-length scanlines most tools write."""
    lines = []
    for _ in range(height):
        if not rle:
            lines.append(rgbe * width)
            continue
        line = bytearray([2, 2, width >> 8, width & 0xFF])
        for channel in rgbe:
            left = width
            while left:
                run = min(left, 127)
                line += bytes([128 + run, channel])
                left -= run
        lines.append(bytes(line))
    path.write_bytes(f"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y {height} +X {width}\n".encode() + b"".join(lines))
    return path


def test_background_upload_makes_its_thumbnail(server: RunningServer, client: object, tmp_path: Path) -> None:
    """The backgrounds page shows ``pictures/thumbnails/preview-background-files/{id}.png`` after the
    upload: it answered 404 where ffmpeg has no Radiance decoder; Zou decodes it with OpenCV."""
    api = Api(server)
    for rle, rgbe in ((False, bytes([200, 120, 40, 128])), (True, bytes([40, 160, 90, 129]))):
        background = api.call("POST", "data/preview-background-files/", 201,
                              {"name": f"Studio {uuid.uuid4().hex[:6]}", "is_default": False})
        picture = _hdr(tmp_path / f"sky{int(rle)}.hdr", 300, 100, rgbe, rle)
        with picture.open("rb") as handle:
            answer = api.session.post(f"{api.base}/pictures/preview-background-files/{background['id']}",
                                      files={"file": ("sky.hdr", handle, "image/vnd.radiance")})
        assert answer.status_code == 201, answer.text[:300]
        thumbnail = api.session.get(
            f"{api.base}/pictures/thumbnails/preview-background-files/{background['id']}.png")
        assert thumbnail.status_code == 200, thumbnail.text[:300]
        image = Image.open(io.BytesIO(thumbnail.content)).convert("RGB")
        assert image.size == (150, 50)
        # one colour, tone-mapped as Zou does: clamped to 0-1, gamma 2.2 (one unit for the resize)
        expected = [255 * min(1.0, (m + 0.5) * 2.0 ** (rgbe[3] - 136)) ** (1 / 2.2) for m in rgbe[:3]]
        pixel = image.getpixel((75, 25))
        assert all(abs(got - want) <= 1 for got, want in zip(pixel, expected)), (rle, pixel, expected)


def test_assign_skips_the_tasks_the_caller_may_not_assign(server: RunningServer, client: object) -> None:
    """The shots list sends the whole selection to ``actions/persons/{id}/assign``: Zou assigns the tasks
    the caller may assign and answers those (200), skipping the others and the missing ones, where
    foxtrack refused the whole selection (403, 404)."""
    tag = uuid.uuid4().hex[:6]
    project = gazu.project.new_project(f"UI assign {tag}", "featurefilm")
    sequence = gazu.shot.new_sequence(project, "SQ01")
    shot = gazu.shot.new_shot(project, sequence, "SH010")
    department = gazu.person.new_department(f"Layout {tag}")
    layout = gazu.task.new_task_type(f"Layout {tag}", for_entity="Shot")
    gazu.client.put(f"data/task-types/{layout['id']}", {"department_id": department["id"]})
    other = gazu.task.new_task_type(f"Other {tag}", for_entity="Shot")
    gazu.project.add_task_type(project, layout, 1)
    gazu.project.add_task_type(project, other, 2)
    task = gazu.task.new_task(shot, layout)
    outside = gazu.task.new_task(shot, other)
    supervisor = gazu.person.new_person("Sup", tag, f"sup-{tag}@example.com", password="supervisor-pass-1",
                                        role="supervisor", departments=[department["id"]])
    artist = gazu.person.new_person("Art", tag, f"art-{tag}@example.com", role="user")
    for person in (supervisor, artist):
        gazu.project.add_person_to_team(project, person)
    token = requests.post(f"{server.api}/auth/login",
                          json={"email": supervisor["email"], "password": "supervisor-pass-1"}).json()
    as_supervisor = requests.Session()
    as_supervisor.headers["Authorization"] = f"Bearer {token['access_token']}"
    # a supervisor assigning itself: its department's task is assigned, the other one skipped
    answer = as_supervisor.put(f"{server.api}/actions/persons/{supervisor['id']}/assign",
                               json={"task_ids": [outside["id"], task["id"]]})
    assert answer.status_code == 200, answer.text[:300]
    assert [t["id"] for t in answer.json()] == [task["id"]]
    assert gazu.task.get_task(outside["id"])["assignees"] == []
    # the admin's selection with a task that no longer exists: the other one is assigned
    assigned = Api(server).call("PUT", f"actions/persons/{artist['id']}/assign",
                                body={"task_ids": [str(uuid.uuid4()), outside["id"]]})
    assert [t["id"] for t in assigned] == [outside["id"]]
    assert gazu.task.get_task(outside["id"])["assignees"] == [artist["id"]]
