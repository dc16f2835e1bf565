"""The seed document's walkthrough (shared/seed/kitsu-api-SKILL.md), driven by the real gazu."""

from __future__ import annotations

import struct
import uuid
import zlib
from pathlib import Path

import gazu
import pytest
from gazu import exception as gexc

from foxtrack.testing import RunningServer


def make_png(path: Path, w: int = 64, h: int = 36) -> Path:
    rows = b"".join(b"\x00" + b"".join(bytes((x * 4 % 256, y * 7 % 256, 90)) for x in range(w)) for y in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def test_api_root_and_host(server: RunningServer, client: object) -> None:
    assert gazu.client.host_is_up()
    assert gazu.client.get_api_version() == "1.0.97"
    assert gazu.client.get("")["api"] == "Zou"


def test_auth_tokens_refresh_logout(server: RunningServer) -> None:
    c = gazu.client.create_client(server.api)
    tokens = gazu.log_in(server.email, server.password, client=c)
    assert tokens["login"] is True and tokens["access_token"].count(".") == 2
    assert gazu.client.get_current_user(client=c)["email"] == server.email
    old = c.access_token
    gazu.refresh_access_token(client=c)
    assert c.access_token != old
    assert gazu.client.get("auth/authenticated", client=c)["authenticated"] is True
    token = c.access_token
    gazu.log_out(client=c)
    other = gazu.client.create_client(server.api)
    gazu.set_token(token, client=other)
    with pytest.raises(gexc.NotAuthenticatedException):
        gazu.client.get("auth/authenticated", client=other)


def test_bot_token(client: object, server: RunningServer) -> None:
    bot = gazu.person.new_bot(unique("bot"), f"bot-{uuid.uuid4().hex[:8]}@example.com", role="manager")
    c = gazu.client.create_client(server.api)
    gazu.set_token(bot["access_token"], client=c)
    assert gazu.client.get_current_user(client=c)["id"] == bot["id"]


def test_production_walkthrough(client: object, tmp_path: Path) -> None:
    # projects and team
    anim = gazu.task.get_task_type_by_name("Animation")
    wip = gazu.task.get_task_status_by_short_name("wip")
    wfa = gazu.task.get_task_status_by_short_name("wfa")
    assert anim and wip and wfa
    name = unique("Show")
    project = gazu.project.new_project(name, production_type="tvshow")
    assert gazu.project.new_project(name, production_type="tvshow")["id"] == project["id"]
    assert project["id"] in [p["id"] for p in gazu.project.all_open_projects()]
    assert gazu.project.get_project_by_name(name)["id"] == project["id"]
    dept = gazu.person.new_department(unique("Lighting"))
    artist = gazu.person.new_person("John", unique("Doe"), f"j-{uuid.uuid4().hex[:8]}@example.com",
                                    role="user", departments=[dept])
    assert gazu.person.get_person_by_full_name(artist["full_name"])["id"] == artist["id"]
    gazu.project.add_person_to_team(project, artist)
    assert artist["id"] in [p["id"] for p in gazu.project.get_team(project)]

    # episodes, sequences, shots
    episode = gazu.shot.new_episode(project, "E01")
    sequence = gazu.shot.new_sequence(project, "SQ010", episode=episode)
    assert sequence["parent_id"] == episode["id"]
    shot = gazu.shot.new_shot(project, sequence, "SH0010", nb_frames=100, frame_in=101, frame_out=200,
                              data={"custom_field": "value"})
    assert shot["data"] == {"frame_in": 101, "frame_out": 200, "custom_field": "value"}
    assert gazu.shot.get_shot_by_name(sequence, "SH0010")["id"] == shot["id"]
    full = gazu.shot.get_shot(shot["id"])
    full["description"] = "updated"
    full["data"] = {"camera": "cam_b"}
    gazu.shot.update_shot(full)
    again = gazu.shot.get_shot(shot["id"])
    assert again["description"] == "updated"
    assert again["data"]["camera"] == "cam_b" and again["data"]["frame_in"] == 101

    # assets
    asset_type = gazu.asset.new_asset_type(unique("Character"))
    hero = gazu.asset.new_asset(project, asset_type, "Hero", description="Main character",
                                extra_data={"variant": "default"})
    assert gazu.asset.get_asset_by_name(project, "Hero", asset_type)["id"] == hero["id"]
    assert hero["id"] in [a["id"] for a in gazu.asset.all_assets_for_project(project)]

    # tasks, assignment, time, scheduling
    task = gazu.task.new_task(shot, anim, task_status=wip, assignees=[artist])
    assert task["id"] in [t["id"] for t in gazu.task.all_tasks_for_shot(shot)]
    assert gazu.task.get_task_by_entity(shot, anim)["id"] == task["id"]
    gazu.task.assign_task(task, artist)
    gazu.task.set_time_spent(task, artist, "2024-03-18", duration=4 * 60)
    gazu.task.add_time_spent(task, artist, "2024-03-18", duration=60)
    spent = gazu.task.get_time_spent(task, "2024-03-18")
    assert spent["total"] == 300
    task = gazu.task.get_task(task["id"])
    task["start_date"], task["due_date"], task["estimation"] = "2024-03-01", "2024-03-15", 5 * 8 * 3600
    gazu.task.update_task(task)
    task = gazu.task.get_task(task["id"])
    assert task["start_date"].startswith("2024-03-01") and task["estimation"] == 5 * 8 * 3600

    # comments, attachments, previews
    c1 = gazu.task.add_comment(task, wip, comment="First pass")
    c2 = gazu.task.add_comment(task, wfa, comment="Looking good!")
    assert gazu.task.get_task(task["id"])["task_status_id"] == wfa["id"]
    assert [c["id"] for c in gazu.task.all_comments_for_task(task)][:2] == [c2["id"], c1["id"]]
    notes = tmp_path / "notes.txt"
    notes.write_text("attachment\n")
    c3 = gazu.task.add_comment(task, wip, comment="see file", attachments=[str(notes)])
    assert [a["name"] for a in c3["attachment_files"]] == ["notes.txt"]
    out = tmp_path / "back.txt"
    gazu.files.download_attachment_file(c3["attachment_files"][0], str(out))
    assert out.read_text() == "attachment\n"
    png = make_png(tmp_path / "render.png")
    comment, preview = gazu.task.publish_preview(task, wip, comment="WIP update", preview_file_path=str(png),
                                                 set_thumbnail=True)
    assert gazu.shot.get_shot(shot["id"])["preview_file_id"] == preview["id"]
    thumb = tmp_path / "thumb.png"
    gazu.files.download_preview_file_thumbnail(preview, str(thumb))
    assert thumb.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    original = tmp_path / "original.png"
    gazu.files.download_preview_file(preview, str(original))
    assert original.read_bytes() == png.read_bytes()

    # casting
    gazu.casting.update_shot_casting(project, shot["id"], [{"asset_id": hero["id"], "nb_occurences": 2}])
    casting = gazu.casting.get_shot_casting(gazu.shot.get_shot(shot["id"]))
    assert {c["asset_id"]: c["nb_occurences"] for c in casting} == {hero["id"]: 2}
    assert shot["id"] in [c.get("shot_id") for c in gazu.casting.get_asset_cast_in(hero)]

    # playlists
    playlist = gazu.playlist.new_playlist(project, unique("Daily"), for_entity="shot")
    gazu.playlist.add_entity_to_playlist(playlist, shot, preview_file=preview)
    assert gazu.playlist.get_playlist(playlist["id"])["shots"][0]["preview_file_id"] == preview["id"]

    # search and raw client
    found = gazu.search.search_entities("Hero", project=project)
    assert hero["id"] in [a["id"] for a in found["assets"]]
    rows = gazu.client.fetch_all("tasks", {"project_id": project["id"], "task_type_id": anim["id"]})
    assert [r["id"] for r in rows] == [task["id"]]
    page = gazu.client.fetch_all("tasks?page=1")
    assert page["page"] == 1 and isinstance(page["data"], list)

    # removal: soft cancel without force, gone with force
    doomed = gazu.shot.new_shot(project, sequence, "SH0900")
    gazu.task.new_task(doomed, anim)
    gazu.shot.remove_shot(doomed, force=True)
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.shot.get_shot(doomed["id"])
