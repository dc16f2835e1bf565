"""Answers a third-party Kitsu client found different from Zou's (issue 11), driven with gazu:
episode casting that follows shot casting, full entity names, batch task deletion, float durations,
time spent deletion and empty playlist previews."""

from __future__ import annotations

import uuid
from pathlib import Path

import gazu
import requests

from foxtrack.testing import RunningServer


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {gazu.client.default_client.access_token}"}


def _tvshow(name: str) -> dict[str, dict]:
    suffix = uuid.uuid4().hex[:6]
    project = gazu.project.new_project(f"{name} {suffix}", "tvshow")
    episode = gazu.shot.new_episode(project, "E01")
    sequence = gazu.shot.new_sequence(project, "SQ01", episode=episode)
    asset_type = gazu.asset.get_asset_type_by_name("Character")  # from the reference data
    return {
        "project": project, "episode": episode, "sequence": sequence, "asset_type": asset_type,
        "sh1": gazu.shot.new_shot(project, sequence, "SH010"),
        "sh2": gazu.shot.new_shot(project, sequence, "SH020"),
        "hero": gazu.asset.new_asset(project, asset_type, "Hero"),
        "prop": gazu.asset.new_asset(project, asset_type, "Lamp"),
    }


def _cast_ids(casting: list[dict]) -> list[str]:
    return [c["asset_id"] for c in casting]


def test_shot_casting_casts_the_episode(client: object, tmp_path: Path) -> None:
    made = _tvshow("Episode casting")
    project, episode, hero, prop = made["project"], made["episode"], made["hero"], made["prop"]
    assert gazu.casting.get_episode_casting(episode) == []

    gazu.casting.update_shot_casting(project, made["sh1"], [{"asset_id": hero["id"], "nb_occurences": 3,
                                                             "label": "animate"}])
    casting = gazu.casting.get_episode_casting(episode)
    assert _cast_ids(casting) == [hero["id"]]
    assert casting[0]["nb_occurences"] == 1  # Zou links the episode once, whatever the shot's count
    assert casting[0]["label"] == "animate"
    assert _cast_ids(gazu.casting.get_episodes_casting(project)[episode["id"]]) == [hero["id"]]
    assert gazu.shot.get_episode(episode["id"])["nb_entities_out"] == 1

    # The asset stays in the episode while one of its shots has it.
    gazu.casting.update_shot_casting(project, made["sh2"], [{"asset_id": hero["id"], "nb_occurences": 1}])
    gazu.casting.update_shot_casting(project, made["sh1"], [])
    assert _cast_ids(gazu.casting.get_episode_casting(episode)) == [hero["id"]]
    gazu.casting.update_shot_casting(project, made["sh2"], [])
    assert gazu.casting.get_episode_casting(episode) == []
    assert gazu.shot.get_episode(episode["id"])["nb_entities_out"] == 0

    # cast_asset casts the episode too, uncast_asset detaches it.
    gazu.casting.cast_asset(project, [made["sh1"]], prop)
    assert _cast_ids(gazu.casting.get_episode_casting(episode)) == [prop["id"]]
    gazu.casting.uncast_asset(project, [made["sh1"]], prop)
    assert gazu.casting.get_episode_casting(episode) == []

    # Removing an asset from the episode removes it from the episode's shots.
    gazu.casting.update_shot_casting(project, made["sh1"], [{"asset_id": hero["id"], "nb_occurences": 2},
                                                            {"asset_id": prop["id"], "nb_occurences": 1}])
    gazu.casting.update_episode_casting(project, episode, [{"asset_id": prop["id"], "nb_occurences": 1}])
    assert _cast_ids(gazu.casting.get_shot_casting(made["sh1"])) == [prop["id"]]
    assert gazu.shot.get_shot(made["sh1"]["id"])["nb_entities_out"] == 1

    # A casting CSV casts the episode too.
    sheet = tmp_path / "casting.csv"
    sheet.write_text("Episode;Parent;Name;Asset Type;Asset;Occurences;Label\nE01;SQ01;SH020;Character;Hero;2;\n",
                     encoding="utf-8")
    gazu.client.upload(f"import/csv/projects/{project['id']}/casting", str(sheet))
    assert sorted(_cast_ids(gazu.casting.get_episode_casting(episode))) == sorted([hero["id"], prop["id"]])


def test_full_entity_names_in_news_and_notifications(server: RunningServer, client: object) -> None:
    made = _tvshow("Full names")
    project = made["project"]
    email = f"names-{uuid.uuid4().hex[:8]}@example.com"
    artist = gazu.person.new_person("Nora", "Names", email, password="names-password-1", role="user")
    gazu.project.add_person_to_team(project, artist)
    task_type = gazu.task.get_task_type_by_name("Animation")
    wip = gazu.task.get_task_status_by_short_name("wip")
    expected = {
        made["hero"]["id"]: ("Character / Hero", None),
        made["sh1"]["id"]: ("E01 / SQ01 / SH010", made["episode"]["id"]),
        made["sequence"]["id"]: ("E01 / SQ01", made["episode"]["id"]),
        made["episode"]["id"]: ("E01", None),
    }
    for entity in (made["hero"], made["sh1"], made["sequence"], made["episode"]):
        task = gazu.task.new_task(entity, task_type)
        gazu.task.assign_task(task, artist)
        gazu.task.add_comment(task, wip, f"note on {entity['name']}")

    news = gazu.client.get(f"data/projects/{project['id']}/news")["data"]
    assert {n["task_entity_id"]: (n["full_entity_name"], n["episode_id"]) for n in news} == expected

    other = gazu.client.create_client(server.api)
    gazu.log_in(email, "names-password-1", client=other)
    tasks = {t["id"]: t["entity_id"] for t in gazu.task.all_tasks_for_project(project)}
    notifications = [n for n in gazu.user.all_notifications(client=other) if n["project_id"] == project["id"]]
    assert {tasks[n["task_id"]]: (n["full_entity_name"], n["episode_id"]) for n in notifications} == expected


def test_delete_tasks_answers_the_deleted_ids(server: RunningServer, client: object) -> None:
    made = _tvshow("Batch delete")
    task_type = gazu.task.get_task_type_by_name("Animation")
    first, second = (gazu.task.new_task(made[key], task_type) for key in ("sh1", "sh2"))
    answer = gazu.task.remove_tasks_batch(made["project"], [first, second])  # decodes the JSON body
    assert answer == [first["id"], second["id"]]
    assert gazu.task.all_tasks_for_project(made["project"]) == []

    url = f"{server.api}/actions/projects/{made['project']['id']}/delete-tasks"
    for body, message in (({"ids": []}, "Request body must be a JSON array."),
                          (["not-an-id"], "Request body must only contain valid UUIDs.")):
        r = requests.post(url, json=body, headers=_auth())
        assert r.status_code == 400
        assert r.json() == {"error": True, "message": message}


def test_durations_and_estimations_are_floats(client: object) -> None:
    made = _tvshow("Floats")
    admin = gazu.client.get_current_user()
    task = gazu.task.new_task(made["sh1"], gazu.task.get_task_type_by_name("Animation"))
    gazu.task.assign_task(task, admin)
    updated = gazu.task.update_task({"id": task["id"], "estimation": 960})
    assert isinstance(updated["estimation"], float) and updated["estimation"] == 960.0

    spent = gazu.task.set_time_spent(task, admin, "2024-03-18", 120)
    assert isinstance(spent["duration"], float) and spent["duration"] == 120.0
    half = gazu.task.add_time_spent(task, admin, "2024-03-19", 30.5)
    assert half["duration"] == 30.5  # Zou keeps fractions of a minute

    read = gazu.task.get_task(task["id"])
    assert isinstance(read["estimation"], float) and isinstance(read["duration"], float)
    assert read["duration"] == 150.5
    crud = gazu.client.fetch_one("tasks", task["id"])
    assert isinstance(crud["estimation"], float) and isinstance(crud["duration"], float)

    spents = gazu.task.get_time_spent(task)
    assert isinstance(spents["total"], float)
    assert all(isinstance(e["duration"], float) for e in spents[admin["id"]])
    rows = gazu.client.fetch_all("time-spents", {"task_id": task["id"]})
    assert rows and all(isinstance(r["duration"], float) for r in rows)

    shots = gazu.client.get(f"data/shots/with-tasks?project_id={made['project']['id']}")
    listed = [t for s in shots for t in s["tasks"] if t["id"] == task["id"]]
    assert listed and isinstance(listed[0]["estimation"], float) and isinstance(listed[0]["duration"], float)


def test_delete_time_spent_answers_the_zeroed_entry(server: RunningServer, client: object) -> None:
    made = _tvshow("Time spent removal")
    admin = gazu.client.get_current_user()
    task = gazu.task.new_task(made["sh1"], gazu.task.get_task_type_by_name("Animation"))
    gazu.task.assign_task(task, admin)
    spent = gazu.task.set_time_spent(task, admin, "2024-03-18", 90)
    url = f"{server.api}/actions/tasks/{task['id']}/time-spents/2024-03-18/persons/{admin['id']}"
    r = requests.delete(url, headers=_auth())
    assert r.status_code == 201
    body = r.json()
    assert body["id"] == spent["id"] and body["date"] == "2024-03-18" and body["duration"] == 0
    assert body["task_id"] == task["id"] and body["person_id"] == admin["id"]
    assert gazu.task.get_time_spent(task) == {"total": 0.0}
    assert gazu.task.get_task(task["id"])["duration"] == 0.0
    assert requests.delete(url, headers=_auth()).status_code == 404


def test_playlist_entry_without_preview_stores_null(client: object) -> None:
    made = _tvshow("Playlist previews")
    playlist = gazu.playlist.new_playlist(made["project"], "Daily", episode=made["episode"])
    # What the Kitsu UI sends for a shot with no preview.
    answer = gazu.client.put(f"data/playlists/{playlist['id']}",
                             {"shots": [{"entity_id": made["sh1"]["id"], "preview_file_id": ""}]})
    assert answer["shots"] == [{"entity_id": made["sh1"]["id"], "preview_file_id": None}]
    assert gazu.playlist.get_playlist(playlist)["shots"][0]["preview_file_id"] is None
    shown = gazu.client.get(f"data/projects/{made['project']['id']}/playlists/{playlist['id']}")
    assert "preview_file_id" not in shown["shots"][0]  # the playlist page: Zou drops an entry's missing preview

    added = gazu.client.post(f"actions/playlists/{playlist['id']}/add-entity",
                             {"entity_id": made["sh2"]["id"], "preview_file_id": ""})
    assert [s["preview_file_id"] for s in added["shots"]] == [None, None]
