"""Every write through the API records its event row, in the change's transaction: a client reading
``data/events/last`` (or replaying a Socket.IO stream) sees each change once it is answered."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import gazu

from foxtrack.ops.catalog import CATALOG


def _newest() -> list[dict[str, Any]]:
    return list(gazu.client.get("data/events/last?limit=100"))


def _events_of(write: Callable[[], Any]) -> list[str]:
    before = {e["id"] for e in _newest()}
    write()
    return [e["name"] for e in _newest() if e["id"] not in before]


def test_each_write_adds_its_events(client: object) -> None:
    tag = uuid.uuid4().hex[:6]
    made: dict[str, Any] = {}
    me = gazu.client.get_current_user()
    wip = gazu.task.get_task_status_by_short_name("wip")
    animation = gazu.task.get_task_type_by_name("Animation")

    def remember(key: str, fn: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            made[key] = fn()
            return made[key]
        return run

    steps: list[tuple[str, Callable[[], Any], str]] = [
        ("new project", remember("project", lambda: gazu.project.new_project(f"Ev {tag}", "tvshow")), "project:new"),
        ("update project", lambda: gazu.project.update_project({"id": made["project"]["id"], "fps": "24"}),
         "project:update"),
        ("add to team", lambda: gazu.project.add_person_to_team(made["project"], me), "project:update"),
        ("new episode", remember("episode", lambda: gazu.shot.new_episode(made["project"], "E02")), "episode:new"),
        ("new sequence", remember("sequence", lambda: gazu.shot.new_sequence(made["project"], "SQ01",
                                                                              episode=made["episode"])),
         "sequence:new"),
        ("new shot", remember("shot", lambda: gazu.shot.new_shot(made["project"], made["sequence"], "SH01")),
         "shot:new"),
        ("update shot", lambda: gazu.shot.update_shot({"id": made["shot"]["id"], "nb_frames": 48}), "shot:update"),
        ("new asset type", remember("asset_type", lambda: gazu.asset.new_asset_type(f"Prop {tag}")),
         "asset-type:new"),
        ("new asset", remember("asset", lambda: gazu.asset.new_asset(made["project"], made["asset_type"], "Cup")),
         "asset:new"),
        ("update asset", lambda: gazu.asset.update_asset({"id": made["asset"]["id"], "description": "d"}),
         "asset:update"),
        ("casting", lambda: gazu.casting.update_shot_casting(made["project"], made["shot"]["id"],
                                                             [{"asset_id": made["asset"]["id"], "nb_occurences": 2}]),
         "shot:casting-update"),
        ("new task", remember("task", lambda: gazu.task.new_task(made["shot"], animation)), "task:new"),
        ("assign", lambda: gazu.task.assign_task(made["task"], me), "task:assign"),
        ("comment with status", remember("comment", lambda: gazu.task.add_comment(made["task"], wip, "go")),
         "comment:new"),
        ("time spent", lambda: gazu.task.set_time_spent(made["task"], me, "2024-03-18", 60), "time-spent:new"),
        ("update comment", lambda: gazu.task.update_comment({"id": made["comment"]["id"], "text": "went"}),
         "comment:update"),
        ("new playlist", remember("playlist", lambda: gazu.playlist.new_playlist(made["project"], f"PL {tag}")),
         "playlist:new"),
        ("update playlist", lambda: gazu.playlist.update_playlist({"id": made["playlist"]["id"], "name": "PL2"}),
         "playlist:update"),
        ("new department", lambda: gazu.person.new_department(f"Dept {tag}"), "department:new"),
        ("new person", remember("person", lambda: gazu.person.new_person("Ev", tag, f"ev{tag}@example.com")),
         "person:new"),
        ("update person", lambda: gazu.person.update_person({"id": made["person"]["id"], "phone": "1"}),
         "person:update"),
        ("new metadata descriptor", lambda: gazu.project.add_metadata_descriptor(made["project"], "Look", "Asset"),
         "metadata-descriptor:new"),
        ("unassign", lambda: gazu.task.clear_assignations([made["task"]], me), "task:unassign"),
        ("remove comment", lambda: gazu.task.remove_comment(made["comment"]), "comment:delete"),
        ("remove task", lambda: gazu.task.remove_task(made["task"]), "task:delete"),
        ("remove shot", lambda: gazu.shot.remove_shot(made["shot"], force=True), "shot:delete"),
        ("remove asset", lambda: gazu.asset.remove_asset(made["asset"], force=True), "asset:delete"),
        ("remove person", lambda: gazu.person.remove_person(made["person"], force=True), "person:delete"),
    ]
    missing = []
    for label, write, expected in steps:
        names = _events_of(write)
        assert all(name in CATALOG for name in names), (label, names)
        if expected not in names:
            missing.append((label, expected, names))
    assert missing == []
