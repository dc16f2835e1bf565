"""The Kitsu UI's production screens, replayed over HTTP against a live server: the calls each
screen makes (kitsu-ui-routes.tsv), on a TV show (episodes) and on a feature film (none), with the
shapes Zou answers and the ETag / 304 revalidation the UI relies on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import gazu
import pytest
import requests

from foxtrack.testing import RunningServer

# Zou's fields, per list (zou/app/services/*_service.py, the with-tasks builders)
SHOT_KEYS = {"canceled", "data", "description", "entity_type_id", "episode_id", "episode_name", "fps", "frame_in",
             "frame_out", "id", "name", "nb_frames", "parent_id", "preview_file_id", "project_id", "project_name",
             "sequence_id", "sequence_name", "source_id", "nb_entities_out", "is_casting_standby", "type", "tasks"}
SHOT_TASK_KEYS = {"id", "duration", "due_date", "end_date", "done_date", "entity_id", "estimation", "is_subscribed",
                  "last_comment_date", "last_preview_file_id", "nb_assets_ready", "priority", "real_start_date",
                  "retake_count", "start_date", "difficulty", "nb_drawings", "task_status_id", "task_type_id",
                  "assignees", "data"}
ASSET_KEYS = {"id", "name", "preview_file_id", "description", "asset_type_name", "asset_type_id", "canceled",
              "ready_for", "episode_id", "casting_episode_ids", "is_casting_standby", "is_shared", "data", "tasks"}
ASSET_TASK_KEYS = {"id", "due_date", "done_date", "duration", "entity_id", "estimation", "end_date", "is_subscribed",
                   "last_comment_date", "last_preview_file_id", "priority", "real_start_date", "retake_count",
                   "start_date", "difficulty", "task_status_id", "task_type_id", "assignees", "data"}
ENTITY_KEYS = {"id", "name", "status", "episode_id", "description", "frame_in", "frame_out", "fps",
               "preview_file_id", "canceled", "data", "tasks"}
ENTITY_TASK_KEYS = {"id", "estimation", "entity_id", "end_date", "due_date", "done_date", "duration",
                    "last_comment_date", "last_preview_file_id", "priority", "real_start_date", "retake_count",
                    "start_date", "difficulty", "task_status_id", "task_type_id", "data", "is_subscribed",
                    "assignees"}
EDIT_KEYS = {"canceled", "data", "description", "entity_type_id", "episode_id", "episode_name", "id", "name",
             "parent_id", "preview_file_id", "project_id", "project_name", "source_id", "nb_entities_out", "tasks",
             "type"}
EDIT_TASK_KEYS = {"id", "duration", "due_date", "entity_id", "end_date", "estimation", "last_comment_date",
                  "last_preview_file_id", "nb_assets_ready", "priority", "real_start_date", "retake_count",
                  "start_date", "task_status_id", "task_type_id", "data", "is_subscribed", "assignees"}
CONCEPT_KEYS = {"canceled", "data", "description", "entity_type_id", "fps", "frame_in", "frame_out", "id", "name",
                "nb_frames", "parent_id", "preview_file_id", "project_id", "project_name", "source_id",
                "nb_entities_out", "is_casting_standby", "tasks", "entity_concept_links", "type", "updated_at",
                "created_at", "created_by"}
CONCEPT_TASK_KEYS = {"id", "duration", "due_date", "end_date", "entity_id", "estimation", "last_comment_date",
                     "nb_assets_ready", "priority", "real_start_date", "retake_count", "start_date", "task_status_id",
                     "task_type_id", "data", "is_subscribed", "assignees"}
ZERO = {"count": 0, "frames": 0, "drawings": 0}


@dataclass
class Production:
    project: dict[str, Any]
    ids: dict[str, str] = field(default_factory=dict)


class Api:
    """Plain HTTP as the browser sends it (the admin's bearer token, or a session's cookies)."""

    def __init__(self, server: RunningServer, session: requests.Session | None = None):
        self.base = server.api
        self.session = session or requests.Session()
        if session is None:
            self.session.headers["Authorization"] = f"Bearer {gazu.client.default_client.tokens['access_token']}"

    def get(self, path: str, status: int = 200, **headers: str) -> requests.Response:
        answer = self.session.get(f"{self.base}/{path}", headers=headers)
        assert answer.status_code == status, (path, answer.status_code, answer.text[:300])
        return answer

    def json(self, path: str, status: int = 200) -> Any:
        return self.get(path, status).json()


def _status(short_name: str) -> dict[str, Any]:
    status = gazu.task.get_task_status_by_short_name(short_name)
    assert status is not None, short_name
    return status


def _task_types(suffix: str) -> dict[str, dict[str, Any]]:
    kinds = {"shot": "Shot", "asset": "Asset", "sequence": "Sequence", "episode": "Episode", "edit": "Edit",
             "concept": "Concept"}
    return {key: gazu.task.new_task_type(f"UI {kind} {suffix}", for_entity=kind) for key, kind in kinds.items()}


@pytest.fixture()
def tv_show(client: object) -> Production:
    """E01 (SQ01: SH010 48 frames done after a retake, SH020 24 frames in retake), E02 (SQ02: SH030
    10 frames, todo); Hero made in E01, Chair (main pack) cast in SH030, Lamp (main pack) nowhere;
    the shared Tree of another production cast in SH010; an edit of E01; a concept linked to Hero."""
    suffix = uuid.uuid4().hex[:6]
    tt = _task_types(suffix)
    project = gazu.project.new_project(f"UI Show {suffix}", "tvshow")
    prod = Production(project)
    e01, e02 = gazu.shot.new_episode(project, "E01"), gazu.shot.new_episode(project, "E02")
    sq01, sq02 = gazu.shot.new_sequence(project, "SQ01", episode=e01), gazu.shot.new_sequence(project, "SQ02", e02)
    sh010 = gazu.shot.new_shot(project, sq01, "SH010", nb_frames=48, frame_in=1001, frame_out=1048)
    sh020 = gazu.shot.new_shot(project, sq01, "SH020", nb_frames=24)
    sh030 = gazu.shot.new_shot(project, sq02, "SH030", nb_frames=10)
    character = gazu.asset.new_asset_type(f"UI Character {suffix}")
    prop = gazu.asset.new_asset_type(f"UI Prop {suffix}")
    hero = gazu.asset.new_asset(project, character, "Hero", episode=e01)
    chair = gazu.asset.new_asset(project, prop, "Chair")
    lamp = gazu.asset.new_asset(project, prop, "Lamp")
    library = gazu.project.new_project(f"UI Library {suffix}", "short")
    tree = gazu.asset.new_asset(library, prop, "Tree", is_shared=True)
    gazu.casting.update_shot_casting(project, sh030, [{"asset_id": chair["id"], "nb_occurences": 1}])
    gazu.casting.update_shot_casting(project, sh010, [{"asset_id": tree["id"], "nb_occurences": 1}])
    # as Kitsu sends it (gazu's new_edit sends parent_id, which Zou ignores)
    cut = gazu.client.post(f"data/projects/{project['id']}/edits", {"name": "Cut01", "episode_id": e01["id"]})
    mood = gazu.concept.new_concept(project, "Mood01", entity_concept_links=[hero["id"]])

    me = gazu.client.get_current_user()
    anim10 = gazu.task.new_task(sh010, tt["shot"], assignees=[me])
    anim20 = gazu.task.new_task(sh020, tt["shot"])
    anim30 = gazu.task.new_task(sh030, tt["shot"])
    for entity, key in ((hero, "asset"), (chair, "asset"), (sq01, "sequence"), (e01, "episode"), (cut, "edit"),
                        (mood, "concept")):
        prod.ids[f"{key}_task:{entity['name']}"] = gazu.task.new_task(entity, tt[key])["id"]
    gazu.task.add_comment(anim10, _status("retake"), "again")
    gazu.task.add_comment(anim10, _status("done"), "good")
    gazu.task.add_comment(anim20, _status("retake"), "again")
    prod.ids.update(project=project["id"], library=library["id"], e01=e01["id"], e02=e02["id"], sq01=sq01["id"],
                    sq02=sq02["id"], sh010=sh010["id"], sh020=sh020["id"], sh030=sh030["id"], hero=hero["id"],
                    chair=chair["id"], lamp=lamp["id"], tree=tree["id"], cut=cut["id"], mood=mood["id"],
                    prop=prop["id"], anim=tt["shot"]["id"], anim10=anim10["id"], anim20=anim20["id"],
                    anim30=anim30["id"], me=me["id"])
    return prod


@pytest.fixture()
def feature_film(client: object) -> Production:
    """A production without episodes: SQ01 (SH010, SH020), the asset Car, the edit Trailer."""
    suffix = uuid.uuid4().hex[:6]
    tt = _task_types(suffix)
    project = gazu.project.new_project(f"UI Film {suffix}", "featurefilm")
    sq01 = gazu.shot.new_sequence(project, "SQ01")
    sh010 = gazu.shot.new_shot(project, sq01, "SH010", nb_frames=12)
    sh020 = gazu.shot.new_shot(project, sq01, "SH020")
    car = gazu.asset.new_asset(project, gazu.asset.new_asset_type(f"UI Vehicle {suffix}"), "Car")
    trailer = gazu.edit.new_edit(project, "Trailer")
    for entity, key in ((sh010, "shot"), (car, "asset"), (sq01, "sequence"), (trailer, "edit")):
        gazu.task.new_task(entity, tt[key])
    return Production(project, {"project": project["id"], "sq01": sq01["id"], "sh010": sh010["id"],
                                "sh020": sh020["id"], "car": car["id"], "trailer": trailer["id"]})


def _names(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(r["name"] for r in rows)


def _assert_keys(rows: list[dict[str, Any]], keys: set[str], task_keys: set[str]) -> None:
    assert rows, "expected a non-empty list"
    for row in rows:
        assert set(row) == keys, (row.get("name"), set(row) ^ keys)
        for task in row["tasks"]:
            assert set(task) == task_keys, (row.get("name"), set(task) ^ task_keys)


# ----------------------------------------------------------------------------- TV show

def test_open_tv_show_lands_on_all_assets(server: RunningServer, tv_show: Production) -> None:
    api, p = Api(server), tv_show.ids
    assert _names(api.json(f"data/projects/{p['project']}/episodes")) == ["E01", "E02"]
    assets = api.json(f"data/assets/with-tasks?project_id={p['project']}&episode_id=all")
    _assert_keys(assets, ASSET_KEYS, ASSET_TASK_KEYS)
    by_name = {a["name"]: a for a in assets}
    assert sorted(by_name) == ["Chair", "Hero", "Lamp"]  # the shared Tree is another production's
    assert by_name["Hero"]["episode_id"] == p["e01"] and by_name["Chair"]["episode_id"] == ""
    assert by_name["Chair"]["casting_episode_ids"] == [p["e02"]]
    assert by_name["Hero"]["casting_episode_ids"] == [] and by_name["Lamp"]["casting_episode_ids"] == []
    assert by_name["Chair"]["asset_type_id"] == p["prop"] and by_name["Chair"]["asset_type_name"].startswith("UI Prop")
    assert [t["id"] for t in by_name["Hero"]["tasks"]] == [p["asset_task:Hero"]]
    assert by_name["Lamp"]["tasks"] == [] and by_name["Lamp"]["preview_file_id"] == ""
    # no episode_id at all: the same list
    assert _names(api.json(f"data/assets/with-tasks?project_id={p['project']}")) == ["Chair", "Hero", "Lamp"]
    used = api.json(f"data/projects/{p['project']}/episodes/all/assets/shared-used")
    assert [(a["id"], a["type"], a["is_shared"], a["project_id"]) for a in used] == [
        (p["tree"], "Asset", True, p["library"])]
    assert [a["id"] for a in api.json(f"data/projects/{p['project']}/assets/shared-used")] == [p["tree"]]
    # the shared assets of every production (the UI's "all" view), and of one
    assert p["tree"] in [a["id"] for a in api.json("data/assets?is_shared=true")]
    assert [a["id"] for a in api.json(f"data/assets?is_shared=true&project_id={p['library']}")] == [p["tree"]]
    assert api.json(f"data/assets?is_shared=true&project_id={p['project']}") == []


def test_assets_by_episode_and_main_pack(server: RunningServer, tv_show: Production) -> None:
    api, p = Api(server), tv_show.ids
    base = f"data/assets/with-tasks?project_id={p['project']}"
    main = api.json(f"{base}&episode_id=main")
    assert _names(main) == ["Chair", "Lamp"]  # no episode of their own, cast or not
    assert {a["name"]: a["casting_episode_ids"] for a in main} == {"Chair": [p["e02"]], "Lamp": []}
    e01 = api.json(f"{base}&episode_id={p['e01']}")
    assert _names(e01) == ["Hero"] and e01[0]["casting_episode_ids"] == []
    e02 = api.json(f"{base}&episode_id={p['e02']}")  # cast in a shot of E02
    assert _names(e02) == ["Chair"] and e02[0]["casting_episode_ids"] == [p["e02"]]
    assert [a["id"] for a in api.json(f"data/projects/{p['project']}/episodes/{p['e01']}/assets/shared-used")] == [
        p["tree"]]
    assert api.json(f"data/projects/{p['project']}/episodes/{p['e02']}/assets/shared-used") == []
    assert [a["id"] for a in api.json(f"data/projects/{p['project']}/episodes/main/assets/shared-used")] == [p["tree"]]


def test_shots_list_of_an_episode(server: RunningServer, tv_show: Production) -> None:
    api, p = Api(server), tv_show.ids
    sequences = api.json(f"data/sequences/with-tasks?project_id={p['project']}&episode_id={p['e01']}")
    _assert_keys(sequences, ENTITY_KEYS, ENTITY_TASK_KEYS)
    assert [(s["id"], s["episode_id"], s["status"]) for s in sequences] == [(p["sq01"], p["e01"], "running")]
    assert [t["id"] for t in sequences[0]["tasks"]] == [p["sequence_task:SQ01"]]
    # Zou answers nothing for every episode's sequences
    assert api.json(f"data/sequences/with-tasks?project_id={p['project']}&episode_id=all") == []
    assert _names(api.json(f"data/sequences/with-tasks?project_id={p['project']}")) == ["SQ01", "SQ02"]

    shots = api.json(f"data/shots/with-tasks?project_id={p['project']}&episode_id={p['e01']}")
    _assert_keys(shots, SHOT_KEYS, SHOT_TASK_KEYS)
    assert _names(shots) == ["SH010", "SH020"]
    sh010 = next(s for s in shots if s["name"] == "SH010")
    assert (sh010["episode_id"], sh010["episode_name"], sh010["sequence_id"], sh010["sequence_name"]) == (
        p["e01"], "E01", p["sq01"], "SQ01")
    assert (sh010["nb_frames"], sh010["frame_in"], sh010["frame_out"], sh010["type"]) == (48, 1001, 1048, "Shot")
    [task] = sh010["tasks"]
    assert task["id"] == p["anim10"] and task["assignees"] == [p["me"]] and task["retake_count"] == 1
    assert task["task_status_id"] == _status("done")["id"]
    assert _names(api.json(f"data/shots/with-tasks?project_id={p['project']}&episode_id=all")) == [
        "SH010", "SH020", "SH030"]
    assert api.json(f"data/shots/with-tasks?project_id={p['project']}&episode_id=main") == []
    assert api.json(f"data/shots/{p['sh010']}/versions") == []


def test_shot_page_time_spents(server: RunningServer, tv_show: Production) -> None:
    api, p = Api(server), tv_show.ids
    assert api.json(f"data/entities/{p['sh010']}/time-spents") == []
    gazu.task.set_time_spent(p["anim10"], p["me"], "2026-01-02", 120)
    gazu.task.set_time_spent(p["anim10"], p["me"], "2026-01-05", 60)
    gazu.task.assign_task(p["anim20"], p["me"])
    gazu.task.set_time_spent(p["anim20"], p["me"], "2026-01-03", 30)  # another shot's
    spents = api.json(f"data/entities/{p['sh010']}/time-spents")
    assert [(t["date"][:10], t["duration"], t["task_id"], t["person_id"], t["type"]) for t in spents] == [
        ("2026-01-05", 60, p["anim10"], p["me"], "TimeSpent"), ("2026-01-02", 120, p["anim10"], p["me"], "TimeSpent")]
    api.json(f"data/entities/{uuid.uuid4()}/time-spents", 404)


def test_episodes_edits_concepts(server: RunningServer, tv_show: Production) -> None:
    api, p = Api(server), tv_show.ids
    episodes = api.json(f"data/episodes/with-tasks?project_id={p['project']}")
    _assert_keys(episodes, ENTITY_KEYS, ENTITY_TASK_KEYS)
    assert [(e["name"], e["episode_id"]) for e in episodes] == [("E01", "None"), ("E02", "None")]
    assert [t["id"] for t in episodes[0]["tasks"]] == [p["episode_task:E01"]] and episodes[1]["tasks"] == []

    edits = api.json(f"data/edits/with-tasks?project_id={p['project']}&episode_id={p['e01']}")
    _assert_keys(edits, EDIT_KEYS, EDIT_TASK_KEYS)
    assert [(e["id"], e["episode_id"], e["episode_name"], e["parent_id"], e["type"]) for e in edits] == [
        (p["cut"], p["e01"], "E01", p["e01"], "Edit")]
    assert [t["id"] for t in edits[0]["tasks"]] == [p["edit_task:Cut01"]]
    assert api.json(f"data/edits/with-tasks?project_id={p['project']}&episode_id={p['e02']}") == []
    assert _names(api.json(f"data/edits/with-tasks?project_id={p['project']}&episode_id=all")) == ["Cut01"]
    assert api.json(f"data/edits/{p['cut']}/versions") == []

    concepts = api.json(f"data/concepts/with-tasks?project_id={p['project']}")
    _assert_keys(concepts, CONCEPT_KEYS, CONCEPT_TASK_KEYS)
    [mood] = concepts
    assert (mood["id"], mood["entity_concept_links"], mood["type"]) == (p["mood"], [p["hero"]], "Concept")
    assert len(mood["created_at"]) == 19 and mood["project_name"] == tv_show.project["name"]
    assert [t["id"] for t in mood["tasks"]] == [p["concept_task:Mood01"]]


def test_episode_stats(server: RunningServer, tv_show: Production) -> None:
    api, p = Api(server), tv_show.ids
    done, retake, todo = _status("done")["id"], _status("retake")["id"], _status("todo")["id"]
    stats = api.json(f"data/projects/{p['project']}/episodes/stats")
    # only the shots' tasks count (not the episode's, sequence's, edit's or assets' own)
    assert set(stats) == {p["e01"], p["e02"], "all"}
    assert set(stats[p["e01"]]) == {p["anim"], "all"}
    assert stats[p["e01"]][p["anim"]][done] == {"name": "done", "color": _status("done")["color"], "count": 1,
                                               "frames": 48, "drawings": 0}
    assert stats[p["e01"]][p["anim"]][retake]["count"] == 1 and stats[p["e01"]][p["anim"]][retake]["frames"] == 24
    assert stats[p["e02"]]["all"][todo]["count"] == 1 and stats[p["e02"]]["all"][todo]["frames"] == 10
    assert {k: v["count"] for k, v in stats["all"]["all"].items()} == {done: 1, retake: 1, todo: 1}
    assert stats["all"][p["anim"]] == stats["all"]["all"]

    retakes = api.json(f"data/projects/{p['project']}/episodes/retake-stats")
    overall = retakes["all"]["all"]
    assert overall["max_retake_count"] == 1 and overall["evolution"] == {}
    assert (overall["done"], overall["retake"], overall["other"]) == (
        {"count": 1, "frames": 48, "drawings": 0}, {"count": 1, "frames": 24, "drawings": 0},
        {"count": 1, "frames": 10, "drawings": 0})
    e01 = retakes[p["e01"]]["all"]
    # take 1: both shots of E01 were retaken once
    assert e01["evolution"] == {"1": {"retake": {"count": 2, "frames": 72, "drawings": 0}, "done": ZERO,
                                      "other": ZERO}}
    assert retakes[p["e02"]][p["anim"]]["evolution"] == {} and retakes[p["e02"]][p["anim"]]["other"]["count"] == 1


def test_breakdown_screen(server: RunningServer, tv_show: Production) -> None:
    api, p = Api(server), tv_show.ids
    project = p["project"]
    casting = api.json(f"data/projects/{project}/sequences/{p['sq02']}/casting")
    assert [c["asset_id"] for c in casting[p["sh030"]]] == [p["chair"]]
    assert p["sh010"] in api.json(f"data/projects/{project}/episodes/{p['e01']}/sequences/all/casting")
    assert [c["shot_id"] for c in api.json(f"data/assets/{p['chair']}/cast-in")] == [p["sh030"]]
    assert [c["asset_id"] for c in api.json(f"data/projects/{project}/entities/{p['sh030']}/casting")] == [p["chair"]]
    api.json(f"data/projects/{project}/episodes/casting")
    api.json(f"data/projects/{project}/asset-types/{p['prop']}/casting")


# ----------------------------------------------------------------------------- feature film

def test_feature_film_screens(server: RunningServer, feature_film: Production) -> None:
    api, p = Api(server), feature_film.ids
    project = p["project"]
    assets = api.json(f"data/assets/with-tasks?project_id={project}")
    _assert_keys(assets, ASSET_KEYS, ASSET_TASK_KEYS)
    assert [(a["id"], a["episode_id"], a["casting_episode_ids"], len(a["tasks"])) for a in assets] == [
        (p["car"], "", [], 1)]
    assert api.json(f"data/projects/{project}/assets/shared-used") == []

    sequences = api.json(f"data/sequences/with-tasks?project_id={project}")
    _assert_keys(sequences, ENTITY_KEYS, ENTITY_TASK_KEYS)
    assert [(s["id"], s["episode_id"], len(s["tasks"])) for s in sequences] == [(p["sq01"], "None", 1)]
    shots = api.json(f"data/shots/with-tasks?project_id={project}")
    _assert_keys(shots, SHOT_KEYS, SHOT_TASK_KEYS)
    assert [(s["name"], s["episode_id"], s["episode_name"], len(s["tasks"])) for s in shots] == [
        ("SH010", None, "", 1), ("SH020", None, "", 0)]
    edits = api.json(f"data/edits/with-tasks?project_id={project}")
    _assert_keys(edits, EDIT_KEYS, EDIT_TASK_KEYS)
    assert [(e["id"], e["episode_id"], e["episode_name"]) for e in edits] == [(p["trailer"], None, "")]
    assert api.json(f"data/episodes/with-tasks?project_id={project}") == []
    assert api.json(f"data/projects/{project}/episodes/stats") == {}
    default = {"max_retake_count": 0, "evolution": {}, "done": ZERO, "retake": ZERO, "other": ZERO}
    assert api.json(f"data/projects/{project}/episodes/retake-stats") == {"all": {"all": default}}


# ----------------------------------------------------------------------------- revalidation

@pytest.mark.parametrize("screen", ["shots", "assets", "sequences", "edits"])
def test_with_tasks_revalidates_with_etag(server: RunningServer, feature_film: Production, screen: str) -> None:
    api, p = Api(server), feature_film.ids
    path = f"data/{screen}/with-tasks?project_id={p['project']}"
    first = api.get(path)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.headers["Cache-Control"] == "private, no-cache"
    assert api.get(path).headers["ETag"] == etag  # same data, same validator
    again = api.get(path, 304, **{"If-None-Match": etag})
    assert again.content == b"" and again.headers["ETag"] == etag
    assert api.get(path, 200, **{"If-None-Match": '"something-else"'}).json() == first.json()

    # a change makes the held copy stale
    entity = {"shots": "sh010", "assets": "car", "sequences": "sq01", "edits": "trailer"}[screen]
    gazu.client.put(f"data/entities/{p[entity]}", {"description": "changed"})
    fresh = api.get(path, 200, **{"If-None-Match": etag})
    assert fresh.headers["ETag"] != etag
    assert any(row["description"] == "changed" for row in fresh.json())


def test_revalidation_with_the_ui_cookie(server: RunningServer, feature_film: Production) -> None:
    """The UI authenticates by cookie (no bearer token: the answer is computed every time)."""
    browser = requests.Session()
    login = browser.post(f"{server.api}/auth/login", json={"email": server.email, "password": server.password},
                         headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36"})
    assert login.status_code == 200 and "access_token_cookie" in browser.cookies
    api = Api(server, browser)
    path = f"data/shots/with-tasks?project_id={feature_film.ids['project']}"
    etag = api.get(path).headers["ETag"]
    assert api.get(path, 304, **{"If-None-Match": f'W/{etag}, "other"'}).content == b""


# ----------------------------------------------------------------------------- refusals

@pytest.mark.parametrize("path, message", [
    ("data/assets/with-tasks?project_id=nope", "Invalid UUID format for project_id: nope"),
    ("data/shots/with-tasks?project_id={p}&episode_id=E01", "Invalid UUID format for episode_id: E01"),
    ("data/sequences/with-tasks?project_id={p}&episode_id=nope", "Invalid UUID format for episode_id: nope"),
    ("data/edits/with-tasks?id=1", "Invalid UUID format for id: 1"),
    ("data/concepts/with-tasks?project_id=x", "Invalid UUID format for project_id: x"),
    ("data/episodes/with-tasks?project_id=", "Invalid UUID format for project_id: "),
])
def test_malformed_ids_are_400(server: RunningServer, feature_film: Production, path: str, message: str) -> None:
    body = Api(server).json(path.format(p=feature_film.ids["project"]), 400)
    assert body == {"error": True, "message": message, "data": None}


def test_unknown_targets_are_404(server: RunningServer, feature_film: Production) -> None:
    api, p = Api(server), feature_film.ids
    unknown = str(uuid.uuid4())
    for path in (f"data/projects/{unknown}/episodes/stats", f"data/projects/{unknown}/episodes/retake-stats",
                 "data/projects/nope/episodes/stats", f"data/projects/{unknown}/assets/shared-used",
                 f"data/projects/{p['project']}/episodes/nope/assets/shared-used",
                 f"data/shots/{unknown}/versions", f"data/edits/{p['sh010']}/versions",
                 f"data/projects/{p['project']}/sequences/stats"):
        assert api.json(path, 404)["error"] is True, path


def _log_in_as(server: RunningServer, role: str) -> tuple[dict[str, Any], Api]:
    suffix = uuid.uuid4().hex[:8]
    email = f"ui-{role}-{suffix}@example.com"
    person = gazu.person.new_person("UI", f"{role}{suffix}", email, password="ui-screens-pw-1", role=role)
    session = requests.Session()
    token = session.post(f"{server.api}/auth/login", json={"email": email, "password": "ui-screens-pw-1"}).json()
    session.headers["Authorization"] = f"Bearer {token['access_token']}"
    return person, Api(server, session)


def test_vendors_see_what_they_are_assigned(server: RunningServer, tv_show: Production) -> None:
    p = tv_show.ids
    vendor, api = _log_in_as(server, "vendor")
    gazu.project.add_person_to_team(p["project"], vendor)
    gazu.task.assign_task(p["anim20"], vendor)
    base = f"project_id={p['project']}"
    shots = api.json(f"data/shots/with-tasks?{base}")
    assert [(s["name"], [t["id"] for t in s["tasks"]]) for s in shots] == [("SH020", [p["anim20"]])]
    sequences = api.json(f"data/sequences/with-tasks?{base}&episode_id={p['e01']}")
    assert [(s["name"], s["tasks"]) for s in sequences] == [("SQ01", [])]  # its own task is not theirs
    assert [(e["name"], e["tasks"]) for e in api.json(f"data/episodes/with-tasks?{base}")] == [("E01", [])]
    assert api.json(f"data/assets/with-tasks?{base}") == [] and api.json(f"data/edits/with-tasks?{base}") == []
    assert api.json(f"data/concepts/with-tasks?{base}", 403)["error"] is True
    stats = api.json(f"data/projects/{p['project']}/episodes/stats")
    assert {k: v["count"] for k, v in stats["all"]["all"].items()} == {_status("retake")["id"]: 1}


def test_outsiders_are_refused(server: RunningServer, feature_film: Production) -> None:
    _, api = _log_in_as(server, "user")
    project = feature_film.ids["project"]
    for path in (f"data/shots/with-tasks?project_id={project}", f"data/assets/with-tasks?project_id={project}",
                 f"data/projects/{project}/episodes/stats", f"data/projects/{project}/assets/shared-used",
                 "data/sequences/with-tasks", "data/episodes/with-tasks", "data/concepts/with-tasks"):
        assert api.json(path, 403)["error"] is True, path
    # without a project, the asset list is limited to the caller's productions: none here
    assert api.json("data/assets/with-tasks") == []
