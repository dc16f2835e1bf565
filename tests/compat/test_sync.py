"""Instance sync importers (``import/kitsu/*``, gazu's ``sync`` module) and OTIO edit import."""

from __future__ import annotations

import uuid
from pathlib import Path

import gazu
import opentimelineio as otio
import pytest
from gazu import exception as gexc

from foxtrack.testing import RunningServer


def _project() -> tuple[dict, dict, dict]:
    suffix = uuid.uuid4().hex[:6]
    project = gazu.project.new_project(f"Sync{suffix}", "short")
    sequence = gazu.shot.new_sequence(project, "SQ01")
    shot = gazu.shot.new_shot(project, sequence, "SH010")
    return project, sequence, shot


def _copy(row: dict, **changes: object) -> dict:
    out = {k: v for k, v in row.items() if k not in ("entities_out", "entities_in", "instance_casting")}
    out.update(id=str(uuid.uuid4()), **changes)
    return out


def test_import_entities_create_then_update(server: RunningServer, client: object) -> None:
    project, sequence, shot = _project()
    source = gazu.client.get(f"data/entities/{shot['id']}")
    row = _copy(source, name="SH020", created_at="2020-01-02T03:04:05")
    created = gazu.sync.import_entities([row])
    assert [(e["id"], e["name"], e["type"], e["created_at"]) for e in created] == [
        (row["id"], "SH020", "Entity", "2020-01-02T03:04:05")]
    assert gazu.shot.get_shot(row["id"])["sequence_id"] == sequence["id"]

    row["nb_frames"] = 12
    row["name"] = "SH020b"
    updated = gazu.sync.import_entities([row])
    assert (updated[0]["nb_frames"], updated[0]["name"]) == (12, "SH020b")
    assert sorted(s["name"] for s in gazu.shot.all_shots_for_project(project)) == ["SH010", "SH020b"]


def test_import_entities_bad_input_writes_nothing(server: RunningServer, client: object) -> None:
    project, _, shot = _project()
    source = gazu.client.get(f"data/entities/{shot['id']}")
    good = _copy(source, name="SH030")
    with pytest.raises(gexc.ParameterException, match="list of entities"):
        gazu.client.post("import/kitsu/entities", {"id": good["id"]})
    with pytest.raises(gexc.ParameterException, match="valid id"):
        gazu.sync.import_entities([good, {"id": "nope"}])
    with pytest.raises(gexc.ParameterException, match="project_id"):  # a required column missing
        gazu.sync.import_entities([good, {"id": str(uuid.uuid4()), "name": "x"}])
    with pytest.raises(gexc.ParameterException, match="does not exist"):  # a dangling reference
        gazu.sync.import_entities([good, _copy(source, project_id=str(uuid.uuid4()))])
    assert [s["name"] for s in gazu.shot.all_shots_for_project(project)] == ["SH010"]
    assert gazu.sync.import_entities([]) == []


def test_import_tasks_and_entity_links(server: RunningServer, client: object) -> None:
    project, _, shot = _project()
    prop = gazu.asset.new_asset_type(f"Prop{uuid.uuid4().hex[:6]}")
    asset = gazu.asset.new_asset(project, prop, "Lamp")
    task_type = gazu.task.new_task_type(f"Anim {uuid.uuid4().hex[:6]}", for_entity="Shot")
    status = gazu.task.get_task_status_by_short_name("todo")
    me = gazu.client.get_current_user()
    task = {"id": str(uuid.uuid4()), "name": "main", "project_id": project["id"], "entity_id": shot["id"],
            "task_type_id": task_type["id"], "task_status_id": status["id"], "assignees": [me["id"]],
            "created_at": "2021-05-06T07:08:09"}
    out = gazu.sync.import_tasks([task])
    assert (out[0]["id"], out[0]["type"], out[0]["assignees"]) == (task["id"], "Task", [me["id"]])
    assert gazu.task.get_task(task["id"])["assignees"] == [me["id"]]
    task["assignees"] = []
    assert gazu.sync.import_tasks([task])[0]["assignees"] == []
    with pytest.raises(gexc.ParameterException, match="task_type_id"):
        gazu.sync.import_tasks([{**task, "id": str(uuid.uuid4()), "task_type_id": str(uuid.uuid4())}])

    link = {"id": str(uuid.uuid4()), "entity_in_id": shot["id"], "entity_out_id": asset["id"], "nb_occurences": 3}
    links = gazu.sync.import_entity_links([link])
    assert (links[0]["id"], links[0]["nb_occurences"]) == (link["id"], 3)
    casting = gazu.casting.get_shot_casting(gazu.shot.get_shot(shot["id"]))
    assert [(c["asset_id"], c["nb_occurences"]) for c in casting] == [(asset["id"], 3)]
    assert gazu.client.get(f"data/entities/{shot['id']}")["nb_entities_out"] == 1
    # the same cast under another id updates the one stored here
    again = gazu.sync.import_entity_links([{**link, "id": str(uuid.uuid4()), "nb_occurences": 5}])
    assert (again[0]["id"], again[0]["nb_occurences"]) == (link["id"], 5)
    with pytest.raises(gexc.ParameterException, match="entity_out_id"):
        gazu.sync.import_entity_links([{**link, "id": str(uuid.uuid4()), "entity_out_id": str(uuid.uuid4())}])


def test_import_other_models(server: RunningServer, client: object) -> None:
    project, _, _ = _project()
    milestone = {"id": str(uuid.uuid4()), "name": "Delivery", "date": "2030-01-01", "project_id": project["id"]}
    assert gazu.client.import_data("milestones", [milestone])[0]["name"] == "Delivery"
    copy = {**gazu.project.get_project(project["id"]), "id": str(uuid.uuid4()), "name": f"Copy {uuid.uuid4().hex[:6]}"}
    imported = gazu.client.import_data("projects", [copy])
    assert imported[0]["id"] == copy["id"] and gazu.project.get_project(copy["id"])["name"] == copy["name"]


def test_importers_are_for_admins(server: RunningServer, client: object) -> None:
    email = f"sync-{uuid.uuid4().hex[:8]}@example.com"
    gazu.person.new_person("Sync", "User", email, password="sync-password-1", role="manager")
    other = gazu.client.create_client(server.api)
    gazu.log_in(email, "sync-password-1", client=other)
    with pytest.raises(gexc.NotAllowedException):
        gazu.sync.import_entities([], client=other)


def _edit(path: Path, clips: list[tuple[str, int]], gap_after: int = -1) -> str:
    timeline = otio.schema.Timeline(name="edit")
    track = otio.schema.Track(name="V1")
    timeline.tracks.append(track)
    for i, (name, frames) in enumerate(clips):
        track.append(otio.schema.Clip(name=name, source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(100, 24), otio.opentime.RationalTime(frames, 24))))
        if i == gap_after:
            track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(
                duration=otio.opentime.RationalTime(5, 24))))
    otio.adapters.write_to_file(timeline, str(path))
    return str(path)


def test_import_otio(server: RunningServer, client: object, tmp_path: Path) -> None:
    project, sequence, shot = _project()
    name = project["name"]
    edit = _edit(tmp_path / "cut.otio", [(f"{name}_SQ01-SH010.mov", 24), (f"{name}_SQ02-SH020", 48),
                                         (f"{name}_SQ01-SH030", 12)], gap_after=1)
    result = gazu.shot.import_otio(project, edit)
    assert [(s["name"], s["nb_frames"], s["data"]) for s in result["updated_shots"]] == [
        ("SH010", 24, {"frame_in": 0, "frame_out": 23})]
    assert [(s["name"], s["nb_frames"], s["data"]) for s in result["created_shots"]] == [
        ("SH020", 48, {"frame_in": 24, "frame_out": 71}), ("SH030", 12, {"frame_in": 77, "frame_out": 88})]
    assert sorted(s["name"] for s in gazu.shot.all_sequences_for_project(project)) == ["SQ01", "SQ02"]
    assert gazu.shot.get_shot(result["created_shots"][1]["id"])["sequence_id"] == sequence["id"]

    # case-insensitive matching finds the existing shot; a convention without the project name
    edit = _edit(tmp_path / "cut2.otio", [("sq01-sh010", 10)])
    again = gazu.shot.import_otio(project, edit, naming_convention="${sequence_name}-${shot_name}",
                                  match_case=False)
    assert ([s["id"] for s in again["updated_shots"]], again["created_shots"]) == ([shot["id"]], [])

    # an episode: sequences are created under it
    episode = gazu.shot.new_episode(project, "E01")
    edit = _edit(tmp_path / "cut3.otio", [(f"{name}_E01-SQ09-SH100", 8)])
    in_episode = gazu.shot.import_otio(project, edit, episode=episode)
    sequence_id = gazu.shot.get_shot(in_episode["created_shots"][0]["id"])["sequence_id"]
    assert gazu.shot.get_sequence(sequence_id)["parent_id"] == episode["id"]


def test_import_otio_bad_input(server: RunningServer, client: object, tmp_path: Path) -> None:
    project, _, _ = _project()
    name = project["name"]
    edit = _edit(tmp_path / "bad.otio", [(f"{name}_SQ05-SH001", 10), ("garbage", 10)])
    with pytest.raises(gexc.ParameterException, match="garbage"):
        gazu.shot.import_otio(project, edit)
    assert [s["name"] for s in gazu.shot.all_sequences_for_project(project)] == ["SQ01"]  # nothing written
    text = tmp_path / "notes.txt"
    text.write_text("not an edit")
    with pytest.raises(gexc.ParameterException, match="Unsupported file type"):
        gazu.shot.import_otio(project, str(text))
    broken = tmp_path / "broken.otio"
    broken.write_text("{not json")
    with pytest.raises(gexc.ParameterException, match="could not be read"):
        gazu.shot.import_otio(project, str(broken))
    good = _edit(tmp_path / "good.otio", [(f"{name}_SQ01-SH010", 10)])
    with pytest.raises(gexc.ParameterException, match="placeholder"):
        gazu.shot.import_otio(project, good, naming_convention="${project_name}_${nope}")
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.shot.import_otio(str(uuid.uuid4()), good)
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.shot.import_otio(project, good, episode=str(uuid.uuid4()))
