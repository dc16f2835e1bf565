"""File trees, working files and output files, driven by the real gazu (``gazu.files``)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import gazu
import pytest
from gazu import exception as gexc

from foxtrack.testing import RunningServer

TREE = {
    "working": {
        "mountpoint": "/prod", "root": "projects",
        "folder_path": {"shot": "<Project>/shots/<Sequence>/<Shot>/<TaskType>",
                        "asset": "<Project>/assets/<AssetType>/<Asset>/<TaskType>", "style": "lowercase"},
        "file_name": {"shot": "<Shot>_<TaskType>_<Name>_v<Revision>", "asset": "<Asset>_<TaskType>_v<Revision>",
                      "style": "lowercase"},
    },
    "output": {
        "mountpoint": "/out", "root": "",
        "folder_path": {"shot": "<Project>/<Sequence>/<Shot>/<OutputType>/<Representation>",
                        "asset": "<Project>/<AssetType>/<Asset>/<OutputType>", "style": "uppercase"},
        "file_name": {"shot": "<Shot>_<OutputType>_<Name>_v<Revision>", "asset": "<Asset>_<OutputType>_v<Revision>",
                      "style": "uppercase"},
    },
}


def tag() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture()
def shot_task(client: object) -> dict[str, Any]:
    project = gazu.project.new_project(f"Files{tag()}", "short")
    gazu.files.update_project_file_tree(project, TREE)
    sequence = gazu.shot.new_sequence(project, "Sq 01")
    shot = gazu.shot.new_shot(project, sequence, "Sh.010")
    task_type = gazu.task.new_task_type(f"Anim {tag()}", for_entity="Shot")
    task = gazu.task.new_task(shot, task_type)
    return {"project": project, "shot": shot, "task": task, "task_type": task_type}


def test_working_file_path_tokens_and_styles(shot_task: dict[str, Any]) -> None:
    project, task, task_type = shot_task["project"], shot_task["task"], shot_task["task_type"]
    pname, ttname = project["name"].lower(), task_type["name"].lower().replace(" ", "_")
    path = gazu.files.build_working_file_path(task, name="Final Cut", revision=12)
    assert path == f"/prod/projects/{pname}/shots/sq_01/sh_010/{ttname}/sh_010_{ttname}_final_cut_v012"
    # revision 0 means "the next one": 1 when the task has no working file of that name yet
    assert gazu.files.build_working_file_path(task, revision=0).endswith("_main_v001")


def test_file_tree_errors(client: object, shot_task: dict[str, Any]) -> None:
    task, project = shot_task["task"], shot_task["project"]
    with pytest.raises(gexc.ParameterException):
        gazu.files.build_working_file_path(task, mode="nope")
    gazu.files.update_project_file_tree(project, {"working": {**TREE["working"], "file_name": {"shot": "<Nope>"}}})
    with pytest.raises(gexc.ParameterException, match="Unknown data type: Nope."):
        gazu.files.build_working_file_path(task)


def test_set_builtin_file_tree(client: object, shot_task: dict[str, Any]) -> None:
    project = shot_task["project"]
    for name in ("default", "simple"):
        answer = gazu.client.post(f"actions/projects/{project['id']}/set-file-tree", {"tree_name": name})
        assert set(answer["file_tree"]) == {"working", "output", "preview"}
        assert gazu.files.build_working_file_path(shot_task["task"]).startswith("/")
    with pytest.raises(gexc.ParameterException):
        gazu.client.post(f"actions/projects/{project['id']}/set-file-tree", {"tree_name": "nope"})


def test_working_files_revisions_comment_and_content(shot_task: dict[str, Any], tmp_path: Path) -> None:
    task, shot = shot_task["task"], shot_task["shot"]
    first = gazu.files.new_working_file(task, name="main", comment="first")
    assert first["revision"] == 1 and first["path"].endswith("_main_v001")
    assert first["validation_status"] == "neutral" and first["software_id"]
    second = gazu.files.new_working_file(task, name="main")
    other = gazu.files.new_working_file(task, name="other", revision=4)
    assert second["revision"] == 2 and other["revision"] == 4
    with pytest.raises(gexc.ParameterException):
        gazu.files.new_working_file(task, name="main", revision=2)
    assert [w["revision"] for w in gazu.files.get_working_files_for_task(task)] == [4, 2, 1]
    last = gazu.files.get_last_working_files(task)
    assert {k: v["id"] for k, v in last.items()} == {"main": second["id"], "other": other["id"]}
    assert [w["id"] for w in gazu.files.get_all_working_files_for_entity(shot, task=task, name="other")] == [
        other["id"]]

    updated = gazu.files.update_comment(first, "reworded")
    assert updated["comment"] == "reworded"
    assert gazu.files.update_modification_date(first)["id"] == first["id"]
    assert gazu.files.get_working_file(first["id"])["outputs"] == []

    source = tmp_path / "scene.blend"
    source.write_bytes(b"blend data")
    assert gazu.files.upload_working_file(first, str(source))["id"] == first["id"]
    target = tmp_path / "copy.blend"
    gazu.files.download_working_file(first, str(target))
    assert target.read_bytes() == b"blend data"


def test_output_files(shot_task: dict[str, Any]) -> None:
    shot, task, task_type, project = shot_task["shot"], shot_task["task"], shot_task["task_type"], shot_task["project"]
    output_type = gazu.files.new_output_type(f"Cache {tag()}", "cache")
    pname, otname = project["name"].upper(), output_type["name"].upper().replace(" ", "_")
    path = gazu.files.build_entity_output_file_path(shot, output_type, task_type, representation="abc")
    assert path == f"/out/{pname}/SQ_01/SH_010/{otname}/ABC/SH_010_{otname}_MAIN_V001"
    assert gazu.files.get_next_entity_output_revision(shot, output_type, task_type) == 1

    working_file = gazu.files.new_working_file(task, name="main")
    first = gazu.files.new_entity_output_file(shot, output_type, task_type, "first", working_file=working_file,
                                              representation="abc")
    assert first["revision"] == 1 and first["source_file"]["id"] == working_file["id"]
    assert first["path"] == f"{first['folder_path']}/{first['file_name']}"
    frames = gazu.files.new_entity_output_file(shot, output_type, task_type, "frames", representation="exr",
                                               nb_elements=24)
    assert frames["revision"] == 2 and frames["file_name"].endswith("_V002_[1-24]")
    assert gazu.files.get_next_entity_output_revision(shot, output_type, task_type) == 3
    assert gazu.files.get_last_entity_output_revision(shot, output_type, task_type) == 2

    listed = gazu.files.all_output_files_for_entity(shot, output_type=output_type)
    assert [o["id"] for o in listed] == [frames["id"], first["id"]]
    assert [o["id"] for o in gazu.files.all_output_files_for_entity(shot, representation="abc")] == [first["id"]]
    last = gazu.files.get_last_output_files_for_entity(shot)
    assert {o["id"] for o in last} == {first["id"], frames["id"]}
    assert [t["id"] for t in gazu.files.all_output_types_for_entity(shot)] == [output_type["id"]]
    assert {o["id"] for o in gazu.files.all_output_files_for_project(project)} == {first["id"], frames["id"]}
    assert gazu.files.get_output_file(first["id"])["source_file"]["id"] == working_file["id"]
    assert gazu.files.get_working_file(working_file["id"])["outputs"] == [first["id"]]


def test_project_file_tree_update_through_crud(client: object, server: RunningServer) -> None:
    project = gazu.project.new_project(f"Crud{tag()}", "short")
    updated = gazu.files.update_project_file_tree(project, TREE)
    assert updated["file_tree"] == TREE
    assert gazu.project.get_project(project["id"])["file_tree"] == TREE
