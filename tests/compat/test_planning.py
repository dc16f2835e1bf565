"""Planning through the real gazu: project templates, budgets, quotas, asset instances, scene shots."""

from __future__ import annotations

import uuid

import gazu
import pytest
from gazu import exception as gexc

from foxtrack.testing import RunningServer


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def _task_type(name: str, for_entity: str) -> dict:
    return gazu.client.post("data/task-types", {"name": unique(name), "for_entity": for_entity})


def test_project_templates_round_trip(server: RunningServer, client: object) -> None:
    template = gazu.project_template.new_project_template(unique("tpl"), description="d")
    assert template["type"] == "ProjectTemplate" and template["metadata_descriptors"] == []
    with pytest.raises(gexc.ParameterException):
        gazu.project_template.new_project_template(template["name"])
    assert gazu.project_template.get_project_template_by_name(template["name"])["id"] == template["id"]

    late, early = _task_type("Late", "Shot"), _task_type("Early", "Shot")
    gazu.project_template.add_task_type_to_project_template(template, late, priority=5)
    gazu.project_template.add_task_type_to_project_template(template, early, priority=1)
    types = gazu.project_template.all_task_types_for_project_template(template)
    assert [t["id"] for t in types] == [early["id"], late["id"]] and types[0]["priority"] == 1
    status = gazu.task.get_task_status_by_short_name("done")
    link = gazu.project_template.add_task_status_to_project_template(template, status, priority=2)
    assert link["roles_for_board"] == ["user", "admin", "supervisor", "manager", "vendor"]
    asset_type = gazu.asset.all_asset_types()[0]
    assert gazu.project_template.add_asset_type_to_project_template(template, asset_type) == {
        "id": asset_type["id"], "name": asset_type["name"]}
    updated = gazu.project_template.set_project_template_metadata_descriptors(
        template, [{"name": "Mood Level", "entity_type": "Asset", "data_type": "string"}])
    assert updated["metadata_descriptors"][0]["field_name"] == "mood_level"
    full = gazu.project_template.get_project_template(template["id"])
    assert set(full["task_types"]) == {late["id"], early["id"]} and full["asset_types"] == [asset_type["id"]]

    project = gazu.project.new_project(unique("tplp"), production_type="short")
    applied = gazu.project_template.apply_project_template(project, template)
    assert applied["id"] == project["id"]
    project = gazu.project.get_project(project["id"])
    assert {late["id"], early["id"]} <= set(project["task_types"]) and asset_type["id"] in project["asset_types"]
    assert [d["field_name"] for d in gazu.project.all_metadata_descriptors(project)] == ["mood_level"]
    gazu.project_template.apply_project_template(project, template)  # applying twice adds nothing
    assert len(gazu.project.all_metadata_descriptors(project)) == 1

    copy = gazu.project_template.new_project_template_from_project(project, unique("copy"))
    assert copy["metadata_descriptors"][0]["field_name"] == "mood_level"
    assert set(gazu.project_template.get_project_template(copy["id"])["task_types"]) >= {late["id"], early["id"]}

    gazu.project_template.remove_task_type_from_project_template(template, late)
    assert [t["id"] for t in gazu.project_template.all_task_types_for_project_template(template)] == [early["id"]]
    gazu.project_template.remove_project_template(template)
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.project_template.get_project_template(template["id"])


def test_project_template_bad_input(server: RunningServer, client: object) -> None:
    template = gazu.project_template.new_project_template(unique("tplbad"))
    base = f"data/project-templates/{template['id']}"
    with pytest.raises(gexc.ParameterException):
        gazu.client.post(f"{base}/task-types", {})
    with pytest.raises(gexc.ParameterException):
        gazu.client.post(f"{base}/task-types", {"task_type_id": "nope"})
    with pytest.raises(gexc.ParameterException):
        gazu.client.post(f"{base}/asset-types", {"asset_type_id": str(uuid.uuid4())})
    with pytest.raises(gexc.ParameterException):
        gazu.client.put(f"{base}/metadata-descriptors", {"metadata_descriptors": "x"})
    with pytest.raises(gexc.ParameterException):
        gazu.client.put(f"{base}/default-preview-background-file",
                        {"default_preview_background_file_id": str(uuid.uuid4())})
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.client.get(f"data/project-templates/{uuid.uuid4()}/task-types")
    with pytest.raises(gexc.ParameterException):
        gazu.project_template.new_project_template_from_project(
            gazu.project.new_project(unique("tplq")), template["name"])


def test_budgets(server: RunningServer, client: object) -> None:
    project = gazu.project.new_project(unique("budp"))
    first = gazu.project.create_budget(project, "Main", currency="EUR")
    second = gazu.project.create_budget(project, "Alt")
    assert (first["revision"], second["revision"], second["currency"]) == (1, 2, "USD")
    assert [b["name"] for b in gazu.project.get_budgets(project)] == ["Main", "Alt"]
    assert gazu.project.update_budget(project, first, {"name": "Main v2"})["name"] == "Main v2"

    department = gazu.person.new_department(unique("dep"))
    base = f"data/projects/{project['id']}/budgets/{first['id']}/entries"
    entry = gazu.client.post(base, {"department_id": department["id"], "start_date": "2024-01-01",
                                    "months_duration": 3, "daily_salary": 300, "position": "artist",
                                    "seniority": "mid"})
    assert entry["daily_salary"] == 300.0 and entry["exceptions"] == {}
    with pytest.raises(gexc.ParameterException):  # gazu's own helper misses Zou's required fields
        gazu.project.create_budget_entry(project, first, "line", amount=3)
    updated = gazu.project.update_budget_entry(project, first, entry, {"months_duration": 5})
    assert updated["months_duration"] == 5
    assert [e["id"] for e in gazu.project.get_budget_entries(project, first)] == [entry["id"]]
    gazu.project.remove_budget_entry(project, first, entry)
    assert gazu.project.get_budget_entries(project, first) == []
    gazu.project.remove_budget(project, second)
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.project.get_budget(project, second["id"])
    with pytest.raises(gexc.ParameterException):
        gazu.client.post(f"data/projects/{project['id']}/budgets", {"currency": "EUR"})
    assert gazu.client.get(f"data/projects/{project['id']}/budgets/time-spents") == {}


def _done_shot(project: dict, sequence: dict, task_type: dict, status: dict, me: dict, frames: int) -> dict:
    shot = gazu.shot.new_shot(project, sequence, unique("SH"), nb_frames=frames)
    task = gazu.task.new_task(shot, task_type, assignees=[me])
    gazu.task.add_comment(task, status, "delivered")
    return task


def test_quotas(server: RunningServer, client: object) -> None:
    project = gazu.project.new_project(unique("quop"))
    gazu.client.put(f"data/projects/{project['id']}", {"fps": "24"})
    me = gazu.client.get_current_user()
    anim = _task_type("Anim", "Shot")
    gazu.project.add_task_type(project, anim, 1)
    done = gazu.task.get_task_status_by_short_name("done")
    wfa = gazu.task.get_task_status_by_short_name("wfa")
    sequence = gazu.shot.new_sequence(project, unique("SQ"))
    _done_shot(project, sequence, anim, done, me, 48)
    feedback_task = _done_shot(project, sequence, anim, wfa, me, 12)
    gazu.task.set_time_spent(feedback_task, me, "2024-03-05", 120)
    gazu.task.set_time_spent(feedback_task, me, "2024-12-30", 120)

    by_done = gazu.client.get(f"data/projects/{project['id']}/quotas/{anim['id']}?count_mode=done")
    day = next(iter(by_done[me["id"]]["day"]["frames"]))
    assert by_done[me["id"]]["day"]["frames"][day] == 48 and by_done[me["id"]]["day"]["seconds"][day] == 2.0
    assert by_done["total"]["year"]["count"][day[:4]] == 1

    weighted = gazu.project.get_project_quotas(project, anim)
    assert weighted[me["id"]]["day"]["frames"] == {"2024-03-05": 6, "2024-12-30": 6}
    assert weighted[me["id"]]["week"]["frames"] == {"2024-10": 6, "2025-1": 6}
    assert weighted[me["id"]]["month"]["entries"] == {"2024": 2}
    assert weighted[me["id"]]["year"]["count"] == {"2024": 1.0}
    person = gazu.project.get_project_person_quotas(project, me)
    assert person[anim["id"]]["day"]["frames"] == weighted[me["id"]]["day"]["frames"]
    with pytest.raises(gexc.ParameterException):
        gazu.client.get(f"data/projects/{project['id']}/quotas/{anim['id']}?count_mode=bogus")


def test_asset_instances_and_scene_shots(server: RunningServer, client: object) -> None:
    project = gazu.project.new_project(unique("aip"))
    sequence = gazu.shot.new_sequence(project, unique("SQ"))
    scene = gazu.scene.new_scene(project, sequence, unique("SC"))
    shot = gazu.shot.new_shot(project, sequence, unique("SH"))
    asset_type = gazu.asset.all_asset_types()[0]
    asset = gazu.asset.new_asset(project, asset_type, "Hero")
    prop = gazu.asset.new_asset(project, asset_type, "Sword")

    linked = gazu.scene.add_shot_to_scene(scene, shot)
    assert linked["source_id"] == scene["id"]
    assert [s["id"] for s in gazu.scene.all_shots_for_scene(scene)] == [shot["id"]]
    gazu.scene.remove_shot_from_scene(scene, shot)
    assert gazu.scene.all_shots_for_scene(scene) == []

    first = gazu.scene.new_scene_asset_instance(scene, asset, description="d")
    second = gazu.scene.new_scene_asset_instance(scene, asset)
    assert (first["name"], second["name"], second["number"]) == ("Hero_0001", "Hero_0002", 2)
    assert [i["id"] for i in gazu.scene.all_asset_instances_for_scene(scene)[asset["id"]]] == [
        first["id"], second["id"]]
    assert gazu.scene.all_camera_instances_for_scene(scene) == {}
    gazu.shot.add_asset_instance_to_shot(shot, first)
    assert list(gazu.shot.get_asset_instances_for_shot(shot)) == [asset["id"]]
    assert list(gazu.asset.all_shot_asset_instances_for_asset(asset)) == [shot["id"]]
    assert len(gazu.asset.all_scene_asset_instances_for_asset(asset)[scene["id"]]) == 2
    gazu.shot.remove_asset_instance_from_shot(shot, first)
    assert gazu.shot.get_asset_instances_for_shot(shot) == {}

    inner = gazu.asset.new_asset_asset_instance(asset, prop, description="in hand")
    assert inner["target_asset_id"] == asset["id"] and inner["name"] == "Sword_0001"
    assert list(gazu.asset.all_asset_instances_for_asset(asset)) == [prop["id"]]

    with pytest.raises(gexc.ParameterException):
        gazu.client.post(f"data/scenes/{scene['id']}/asset-instances", {})
    with pytest.raises(gexc.ParameterException):
        gazu.client.post(f"data/shots/{shot['id']}/asset-instances", {"asset_instance_id": "nope"})
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.client.post(f"data/scenes/{shot['id']}/shots", {"shot_id": shot["id"]})


def test_parallel_time_spent_additions_all_count(server: RunningServer, client: object) -> None:
    """Eight clients adding time to one person's day on one task at once: every addition counts (the
    first two both found no row for that day; the unique row made one of them fail with a 400)."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    project = gazu.project.new_project(unique("Hours"), "short")
    sequence = gazu.shot.new_sequence(project, "SQ01")
    shot = gazu.shot.new_shot(project, sequence, "SH010")
    task = gazu.task.new_task(shot, _task_type(unique("Layout"), "Shot"))
    me = gazu.client.get_current_user()
    gazu.task.assign_task(task, me)  # time is logged by the task's assignees
    token = gazu.client.default_client.tokens["access_token"]
    url = f"{server.api}/actions/tasks/{task['id']}/time-spents/2026-03-02/persons/{me['id']}/add"

    def add(_: int) -> int:
        return requests.post(url, json={"duration": 30}, headers={"Authorization": f"Bearer {token}"},
                             timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(add, range(8)))
    assert statuses == [201] * 8
    day = gazu.task.get_time_spent(task, "2026-03-02")
    assert day["total"] == 240
