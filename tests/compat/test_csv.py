"""CSV import and export driven by gazu: a sheet round-trips, bad sheets change nothing."""

from __future__ import annotations

import uuid
from pathlib import Path

import gazu
import pytest
import requests
from gazu import exception as gexc

from foxtrack.testing import RunningServer


def _project() -> dict:
    suffix = uuid.uuid4().hex[:6]
    modeling = gazu.task.new_task_type(f"Mod {suffix}", for_entity="Asset")
    layout = gazu.task.new_task_type(f"Lay {suffix}", for_entity="Shot")
    prop = gazu.asset.new_asset_type(f"Prop{suffix}")
    project = gazu.project.new_project(f"Csv {suffix}", "tvshow", asset_types=[prop], task_types=[modeling, layout])
    project["_names"] = {"modeling": modeling["name"], "layout": layout["name"], "prop": prop["name"]}
    return project


def _sheet(tmp_path: Path, text: str) -> str:
    path = tmp_path / f"{uuid.uuid4().hex}.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_assets_import_then_export(server: RunningServer, client: object, tmp_path: Path) -> None:
    project = _project()
    n = project["_names"]
    sheet = (f"Project;Type;Name;Description;{n['modeling']};Assignations\n"
             f"x;{n['prop']};Sword;sharp;wip;\n"
             f"x;{n['prop'].lower()};Shield;;;\n")
    created = gazu.asset.import_assets_with_csv(project, _sheet(tmp_path, sheet))
    assert [a["name"] for a in created] == ["Sword", "Shield"]
    assert {a["type"] for a in created} == {"Entity"}
    assets = {a["name"]: a for a in gazu.asset.all_assets_for_project(project)}
    assert set(assets) == {"Sword", "Shield"}
    tasks = gazu.task.all_tasks_for_asset(assets["Sword"])
    assert [t["task_status_id"] for t in tasks] == [gazu.task.get_task_status_by_short_name("wip")["id"]]

    # without update an existing row is left as is; with update it is changed
    gazu.asset.import_assets_with_csv(project, _sheet(tmp_path, f"Type;Name;Description\n{n['prop']};Sword;blunt\n"))
    assert gazu.asset.get_asset(assets["Sword"]["id"])["description"] == "sharp"
    gazu.client.upload(f"import/csv/projects/{project['id']}/assets?update=true",
                       _sheet(tmp_path, f"Type;Name;Description\n{n['prop']};Sword;blunt\n"))
    assert gazu.asset.get_asset(assets["Sword"]["id"])["description"] == "blunt"

    out = tmp_path / "assets.csv"
    gazu.asset.export_assets_with_csv(project, str(out))
    lines = out.read_text().splitlines()
    assert lines[0] == f"Project;Type;Name;Description;Time Spent;{n['modeling']};Assignations"
    assert lines[1:] == [f"{project['name']};{n['prop']};Shield;;0.00;todo;",
                         f"{project['name']};{n['prop']};Sword;blunt;0.00;wip;"]


def test_shots_import_creates_episodes_and_sequences(server: RunningServer, client: object, tmp_path: Path) -> None:
    project = _project()
    n = project["_names"]
    sheet = (f"Project,Episode,Sequence,Name,Description,Frames,Frame In,Frame Out,{n['layout']}\n"
             f"x,E01,SQ01,SH010,\"wide, slow\",24,1,24,wip\n"
             f"x,E01,SQ01,SH020,,,,,\n")
    shots = gazu.shot.import_shots_with_csv(project, _sheet(tmp_path, sheet))
    assert [s["name"] for s in shots] == ["SH010", "SH020"]
    assert shots[0]["nb_frames"] == 24 and shots[0]["data"] == {"frame_in": 1, "frame_out": 24}
    assert shots[0]["description"] == "wide, slow"
    assert [e["name"] for e in gazu.shot.all_episodes_for_project(project)] == ["E01"]
    assert [s["name"] for s in gazu.shot.all_sequences_for_project(project)] == ["SQ01"]

    out = tmp_path / "shots.csv"
    gazu.shot.export_shots_with_csv(project, str(out))
    lines = out.read_text().splitlines()
    assert lines[0].startswith("Project;Episode;Sequence;Name;Description;Time Spent;Frames;Frame In;Frame Out;FPS")
    assert lines[1] == f"{project['name']};E01;SQ01;SH010;wide, slow;0.00;24;1;24;;wip;"


def test_casting_import_and_export(server: RunningServer, client: object, tmp_path: Path) -> None:
    project = _project()
    n = project["_names"]
    gazu.asset.import_assets_with_csv(project, _sheet(tmp_path, f"Type;Name\n{n['prop']};Lamp\n"))
    gazu.shot.import_shots_with_csv(project, _sheet(tmp_path, "Episode;Sequence;Name\nE01;SQ01;SH010\n"))
    sheet = (f"Episode;Parent;Name;Asset Type;Asset;Occurences;Label\n"
             f"E01;SQ01;SH010;{n['prop']};Lamp;2;fixed\nE01;SQ01;SH999;{n['prop']};Lamp;1;\n")
    answer = gazu.client.upload(f"import/csv/projects/{project['id']}/casting", _sheet(tmp_path, sheet))
    assert answer == [None, None]
    shot = gazu.shot.all_shots_for_project(project)[0]
    casting = gazu.casting.get_shot_casting(shot)
    assert [(c["asset_name"], c["nb_occurences"]) for c in casting] == [("Lamp", 2)]
    token = gazu.client.default_client.tokens["access_token"]
    r = requests.get(f"{server.api}/export/csv/projects/{project['id']}/casting.csv?is_shot_casting=true",
                     headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("attachment; filename=kitsu_csv_")
    assert r.text.splitlines() == ["Episode;Parent;Name;Asset Type;Asset;Occurences;Label",
                                   f"E01;SQ01;SH010;{n['prop']};Lamp;2;fixed"]


@pytest.mark.parametrize("sheet", [
    "Type;Name;Mod\n{prop};Good;\n{prop};Bad;nosuchstatus\n",  # the second line fails: nothing is kept
    "Type;Name\n{prop};Good\nVehicle;Car\n",
    "Foo;Bar\n1;2\n",
    "",
])
def test_bad_sheet_changes_nothing(server: RunningServer, client: object, tmp_path: Path, sheet: str) -> None:
    project = _project()
    n = project["_names"]
    text = sheet.replace("{prop}", n["prop"]).replace("Mod", n["modeling"])
    with pytest.raises(gexc.ParameterException):
        gazu.asset.import_assets_with_csv(project, _sheet(tmp_path, text))
    assert gazu.asset.all_assets_for_project(project) == []


def test_bad_sheet_reports_the_line(server: RunningServer, client: object, tmp_path: Path) -> None:
    project = _project()
    token = gazu.client.default_client.tokens["access_token"]
    r = requests.post(f"{server.api}/import/csv/projects/{project['id']}/shots",
                      files={"file": ("s.csv", b"Episode;Sequence;Name;Frames\nE01;SQ01;SH010;many\n")},
                      headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 400
    assert r.json() == {"error": True, "message": "A value is invalid: Frames: many", "line_number": 2,
                        "imported_rows": 0}
    assert gazu.shot.all_sequences_for_project(project) == []
    assert gazu.shot.all_shots_for_project(project) == []


def test_persons_import(server: RunningServer, client: object, tmp_path: Path) -> None:
    email = f"csv-{uuid.uuid4().hex[:8]}@example.com"
    sheet = f"First Name;Last Name;Email;Phone;Role;Active\nCsv;Person;{email};123;Production Manager;yes\n"
    people = gazu.client.upload("import/csv/persons", _sheet(tmp_path, sheet))
    assert [(p["email"], p["role"], p["phone"]) for p in people] == [(email, "manager", "123")]
    assert "password" not in people[0]
    person = gazu.person.get_person_by_email(email)
    assert person["full_name"] == "Csv Person"
    with pytest.raises(gexc.ParameterException):
        gazu.client.upload("import/csv/persons",
                           _sheet(tmp_path, f"First Name;Last Name;Email;Role\nA;B;{email}x;wizard\n"))
