"""Chats, desktop logins and presence, avatar/invite/2FA actions, guess-from-path and linked
entities, driven by gazu against a live server."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import gazu
import pytest
import requests
from gazu import exception as gexc
from PIL import Image

from foxtrack.testing import RunningServer


def _shot_and_asset() -> tuple[dict, dict, dict]:
    suffix = uuid.uuid4().hex[:6]
    project = gazu.project.new_project(f"Misc {suffix}", "short")
    sequence = gazu.shot.new_sequence(project, "SQ01")
    shot = gazu.shot.new_shot(project, sequence, "SH010")
    prop = gazu.asset.new_asset_type(f"Prop{suffix}")
    asset = gazu.asset.new_asset(project, prop, "Chair")
    return project, shot, asset


def _user_client(server: RunningServer, role: str = "user") -> tuple[dict, object]:
    suffix = uuid.uuid4().hex[:8]
    email = f"misc-{suffix}@example.com"
    person = gazu.person.new_person("Misc", f"User{suffix}", email, password="misc-password-1", role=role)
    other = gazu.client.create_client(server.api)
    gazu.log_in(email, "misc-password-1", client=other)
    return person, other


def test_entity_chat_join_post_leave(server: RunningServer, client: object) -> None:
    project, shot, asset = _shot_and_asset()
    chat = gazu.client.get(f"data/entities/{shot['id']}/chat")
    assert chat["type"] == "Chat" and chat["object_id"] == shot["id"] and chat["participants"] == []
    assert chat["object_type"] == "entity" and chat["last_message"] is None

    # only participants post
    with pytest.raises(gexc.ParameterException, match="not a participant"):
        gazu.client.post(f"data/entities/{shot['id']}/chat/messages", {"message": "hi"})
    joined = gazu.user.join_chat(shot)
    assert joined["id"] == chat["id"] and "participants" not in joined
    chats = gazu.user.all_chats()
    assert [(c["id"], c["entity_name"], c["project_id"]) for c in chats] == [
        (chat["id"], "SQ01 / SH010", project["id"])]

    message = gazu.client.post(f"data/entities/{shot['id']}/chat/messages", {"message": "hello"})
    assert message["type"] == "ChatMessage" and message["text"] == "hello" and message["chat_id"] == chat["id"]
    listed = gazu.client.get(f"data/entities/{shot['id']}/chat/messages")
    assert [(m["id"], m["attachment_files"]) for m in listed] == [(message["id"], [])]
    assert gazu.client.get(f"data/entities/{shot['id']}/chat/messages/{message['id']}")["text"] == "hello"
    chat = gazu.client.get(f"data/entities/{shot['id']}/chat")
    assert chat["last_message"] is not None and chat["participants"] == [gazu.client.get_current_user()["id"]]

    # a message with an attachment, sent as multipart
    answer = gazu.client.default_client.session.post(
        f"{server.api}/data/entities/{shot['id']}/chat/messages", data={"message": "see file"},
        files={"file": ("notes.txt", b"some notes", "text/plain")},
        headers={"Authorization": f"Bearer {gazu.client.default_client.tokens['access_token']}"})
    assert answer.status_code == 201
    assert [a["name"] for a in answer.json()["attachment_files"]] == ["notes.txt"]

    gazu.client.delete(f"data/entities/{shot['id']}/chat/messages/{message['id']}")
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.client.get(f"data/entities/{shot['id']}/chat/messages/{message['id']}")
    gazu.user.leave_chat(shot)
    assert gazu.user.all_chats() == []
    assert gazu.client.get(f"data/entities/{shot['id']}/chat")["participants"] == []

    # asset chats are named by type
    gazu.user.join_chat(asset)
    assert [c["entity_name"].split(" / ")[1] for c in gazu.user.all_chats()] == ["Chair"]
    gazu.user.leave_chat(asset)

    # chat events are pushed, not stored
    names = {e["name"] for e in gazu.client.get("data/events/last?limit=200")}
    assert not {n for n in names if n.startswith("chat:")}


def test_chat_bad_input(server: RunningServer, client: object) -> None:
    _, shot, _ = _shot_and_asset()
    gazu.user.join_chat(shot)
    with pytest.raises(gexc.ParameterException, match="message"):
        gazu.client.post(f"data/entities/{shot['id']}/chat/messages", {})
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.client.get(f"data/entities/{uuid.uuid4()}/chat")
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.client.get("data/entities/not-an-id/chat/messages")
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.user.join_chat(str(uuid.uuid4()))
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.client.delete(f"data/entities/{shot['id']}/chat/messages/{uuid.uuid4()}")


def test_chat_messages_of_others(server: RunningServer, client: object) -> None:
    project, shot, _ = _shot_and_asset()
    person, other = _user_client(server)
    # not in the team: no access to the project's chats
    with pytest.raises(gexc.NotAllowedException):
        gazu.user.join_chat(shot, client=other)
    gazu.project.add_person_to_team(project, person)
    gazu.user.join_chat(shot, client=other)
    theirs = gazu.client.post(f"data/entities/{shot['id']}/chat/messages", {"message": "mine"}, client=other)
    gazu.user.join_chat(shot)
    mine = gazu.client.post(f"data/entities/{shot['id']}/chat/messages", {"message": "admin"})
    with pytest.raises(gexc.NotAllowedException):  # only the author (or an admin) deletes
        gazu.client.delete(f"data/entities/{shot['id']}/chat/messages/{mine['id']}", client=other)
    gazu.client.delete(f"data/entities/{shot['id']}/chat/messages/{theirs['id']}")
    assert [m["id"] for m in gazu.client.get(f"data/entities/{shot['id']}/chat/messages")] == [mine["id"]]


def test_desktop_logins_and_presence_log(server: RunningServer, client: object) -> None:
    person, other = _user_client(server)
    assert gazu.user.all_desktop_login_logs(client=other) == []
    log = gazu.user.log_desktop_session_log_in(client=other)
    assert log["type"] == "DesktopLoginLog" and log["person_id"] == person["id"]
    old = gazu.client.post("data/user/desktop-login-logs", {"date": "2024-03-05T09:30:00"}, client=other)
    assert old["date"] == "2024-03-05T09:30:00"
    assert [x["id"] for x in gazu.user.all_desktop_login_logs(client=other)] == [log["id"], old["id"]]
    with pytest.raises(gexc.ParameterException):
        gazu.client.post("data/user/desktop-login-logs", {"date": "yesterday"}, client=other)

    sheet = gazu.person.get_presence_log(2024, 3).splitlines()
    assert sheet[0] == "2024;" + ";".join(str(d) for d in range(1, 32))
    row = next(line for line in sheet if line.startswith(f"{person['full_name']};"))
    assert row.split(";")[5] == "X" and row.count("X") == 1
    today = date.today()
    assert gazu.person.get_presence_log(today.year, today.month).count("X") >= 1
    with pytest.raises(gexc.ParameterException, match="Invalid month"):
        gazu.client.get("data/persons/presence-logs/2024-13", json_response=False)
    with pytest.raises(gexc.NotAllowedException):
        gazu.person.get_presence_log(2024, 3, client=other)


def test_avatar_invite_and_two_factor(server: RunningServer, client: object, tmp_path: Path) -> None:
    person, other = _user_client(server)
    picture = tmp_path / "avatar.png"
    Image.new("RGB", (20, 20), "red").save(picture, "PNG")
    gazu.person.set_avatar(person, str(picture))
    assert gazu.person.get_person(person["id"])["has_avatar"] is True
    png = f"{server.api}/pictures/thumbnails/persons/{person['id']}.png"
    with pytest.raises(gexc.NotAllowedException):  # someone else's avatar
        gazu.person.clear_person_avatar(gazu.client.get_current_user()["id"], client=other)
    gazu.user.clear_avatar(client=other)
    assert gazu.person.get_person(person["id"])["has_avatar"] is False
    token = gazu.client.default_client.tokens["access_token"]
    assert requests.get(png, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 404
    gazu.person.clear_person_avatar(person)  # an admin may, again: nothing left to clear
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.person.clear_person_avatar(str(uuid.uuid4()))

    assert gazu.person.invite_person(person) == {"success": True, "message": "Email sent"}
    with pytest.raises(gexc.NotAllowedException):
        gazu.person.invite_person(person, client=other)
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.person.invite_person(str(uuid.uuid4()))

    with pytest.raises(gexc.ParameterException, match="not enabled"):
        gazu.person.disable_two_factor_authentication(person)
    with pytest.raises(gexc.NotAllowedException):
        gazu.person.disable_two_factor_authentication(person, client=other)


def test_guess_from_path(server: RunningServer, client: object) -> None:
    project, _, _ = _shot_and_asset()
    with pytest.raises(gexc.ParameterException, match="No tree"):
        gazu.entity.guess_from_path(project["id"], "/working_files/x")
    gazu.client.post(f"actions/projects/{project['id']}/set-file-tree", {"tree_name": "default"})
    root = "/working_files/productions/misc"
    assert gazu.entity.guess_from_path(project["id"], f"{root}/shots/sq01/sh010/anim/maya") == [{"Template": "shot"}]
    assert gazu.entity.guess_from_path(project["id"], f"{root}/assets/prop/chair") == [{"Template": "asset"}]
    assert gazu.entity.guess_from_path(project["id"], root) == [
        {"Template": "shot"}, {"Template": "asset"}, {"Template": "scene"}, {"Template": "sequence"}]
    out = "/output_files/productions/misc/shots/sq01/sh010"
    assert gazu.entity.guess_from_path(project["id"], f"{out}/assets/x/y") == [
        {"Template": "shot"}, {"Template": "instance"}]
    assert gazu.entity.guess_from_path(project["id"], "/elsewhere/a/b") == []
    assert gazu.entity.guess_from_path(project["id"], "\\working_files\\productions\\m\\shots", sep="\\") == [
        {"Template": "shot"}]
    with pytest.raises(gexc.ParameterException, match="file_path"):
        gazu.client.post("data/entities/guess-from-path", {"project_id": project["id"]})
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.entity.guess_from_path(str(uuid.uuid4()), "/a")


def test_entities_linked_with_tasks(server: RunningServer, client: object) -> None:
    project, shot, asset = _shot_and_asset()
    concept = gazu.concept.new_concept(project, "Look")
    gazu.client.put(f"data/entities/{concept['id']}", {"entity_concept_links": [asset["id"]]})
    task_type = gazu.task.new_task_type(f"Concept {uuid.uuid4().hex[:6]}", for_entity="Concept")
    task = gazu.task.new_task(concept, task_type)
    linked = gazu.entity.all_entities_with_tasks_linked_to_entity(asset)
    assert [(e["id"], e["type"], e["project_name"], e["entity_concept_links"]) for e in linked] == [
        (concept["id"], "Concept", project["name"], [asset["id"]])]
    assert [t["id"] for t in linked[0]["tasks"]] == [task["id"]]
    assert set(linked[0]["tasks"][0]) >= {"task_status_id", "task_type_id", "assignees", "duration"}
    assert gazu.entity.all_entities_with_tasks_linked_to_entity(shot) == []
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.entity.all_entities_with_tasks_linked_to_entity(str(uuid.uuid4()))
    with pytest.raises(gexc.RouteNotFoundException):
        gazu.client.put(f"data/entities/{concept['id']}", {"entity_concept_links": [str(uuid.uuid4())]})
