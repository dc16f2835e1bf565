"""Real-time events: gazu.events against a live server; per-project isolation; replay; fan-out
across two server processes through PostgreSQL + Redis."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import gazu
import pytest
import socketio

from foxtrack.testing import RunningServer, drop_postgres, postgres_url, start_server


class Inbox:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def add(self, name: str, data: Any) -> None:
        with self.lock:
            self.events.append((name, data if isinstance(data, dict) else {}))

    def wait(self, name: str, timeout: float = 5.0, **match: Any) -> dict[str, Any] | None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                for n, d in self.events:
                    if n == name and all(d.get(k) == v for k, v in match.items()):
                        return d
            time.sleep(0.05)
        return None

    def names(self) -> list[str]:
        with self.lock:
            return [n for n, _ in self.events]


def listen(server: RunningServer, token: str, last_event_id: str | None = None) -> tuple[socketio.Client, Inbox]:
    """A raw python-socketio client, as gazu.events builds it, optionally asking for a replay."""
    inbox = Inbox()
    sio = socketio.Client(reconnection=False)
    sio.on("*", lambda name, data=None: inbox.add(name, data), namespace="/events")
    auth = {"last_event_id": last_event_id} if last_event_id else None
    sio.connect(server.url, headers={"Authorization": f"Bearer {token}"}, namespaces=["/", "/events"], auth=auth,
                wait_timeout=5)
    time.sleep(0.2)
    return sio, inbox


def admin_client(server: RunningServer) -> Any:
    c = gazu.client.create_client(server.api)
    gazu.log_in(server.email, server.password, client=c)
    return c


def test_gazu_events_receive_changes(server: RunningServer) -> None:
    c = admin_client(server)
    gazu.client.set_event_host(server.url, client=c)
    ev = gazu.events.init(client=c, reconnection=False)
    inbox = Inbox()
    for name in ("project:new", "episode:new", "sequence:new", "department:new"):
        gazu.events.add_listener(ev, name, lambda data, _n=name: inbox.add(_n, data))
    time.sleep(0.3)
    try:
        dept = gazu.person.new_department(f"Ev {uuid.uuid4().hex[:6]}", client=c)
        project = gazu.project.new_project(f"Ev {uuid.uuid4().hex[:6]}", client=c)
        seq = gazu.shot.new_sequence(project, "SQ01", client=c)
        assert inbox.wait("department:new", department_id=dept["id"])
        got = inbox.wait("sequence:new", sequence_id=seq["id"])
        assert got is not None and got["project_id"] == project["id"] and got.get("event_id")
    finally:
        ev.disconnect()


def test_listener_only_gets_its_projects(server: RunningServer) -> None:
    c = admin_client(server)
    project_a = gazu.project.new_project(f"A {uuid.uuid4().hex[:6]}", client=c)
    project_b = gazu.project.new_project(f"B {uuid.uuid4().hex[:6]}", client=c)
    email = f"ev-{uuid.uuid4().hex[:8]}@example.com"
    artist = gazu.person.new_person("Eve", "Listener", email, role="user", client=c)
    gazu.person.change_password_for_person(artist, "listener-pass-1", client=c)
    gazu.project.add_person_to_team(project_a, artist, client=c)
    artist_client = gazu.client.create_client(server.api)
    gazu.log_in(email, "listener-pass-1", client=artist_client)
    sio, inbox = listen(server, artist_client.access_token)
    try:
        seq_b = gazu.shot.new_sequence(project_b, "SQB", client=c)
        seq_a = gazu.shot.new_sequence(project_a, "SQA", client=c)
        assert inbox.wait("sequence:new", sequence_id=seq_a["id"])
        time.sleep(0.3)
        assert inbox.wait("sequence:new", timeout=0.1, sequence_id=seq_b["id"]) is None
    finally:
        sio.disconnect()


def test_replay_after_disconnect(server: RunningServer) -> None:
    c = admin_client(server)
    sio, inbox = listen(server, c.access_token)
    first = gazu.person.new_department(f"R0 {uuid.uuid4().hex[:6]}", client=c)
    seen = inbox.wait("department:new", department_id=first["id"])
    assert seen is not None
    sio.disconnect()
    missed = [gazu.person.new_department(f"R{i} {uuid.uuid4().hex[:6]}", client=c)["id"] for i in range(1, 4)]
    sio, inbox = listen(server, c.access_token, last_event_id=seen["event_id"])
    try:
        deadline = time.time() + 5
        while time.time() < deadline and len([n for n in inbox.names() if n == "department:new"]) < 3:
            time.sleep(0.05)
        with inbox.lock:
            replayed = [d["department_id"] for n, d in inbox.events if n == "department:new"]
        assert replayed[:3] == missed
    finally:
        sio.disconnect()


def redis_url() -> str | None:
    try:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001
        return None
    return "redis://127.0.0.1:6379/0"


@pytest.fixture()
def two_processes() -> Iterator[tuple[RunningServer, RunningServer]]:
    redis = redis_url()
    if redis is None:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    db = postgres_url()
    if db is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    env = {"FOXTRACK_REDIS_URL": redis, "FOXTRACK_SECRET_KEY": uuid.uuid4().hex}
    first = start_server(database_url=db, env=env)
    second = start_server(database_url=db, env=env)
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()
        drop_postgres(db)


def test_two_processes_fan_out_exactly_once(two_processes: tuple[RunningServer, RunningServer]) -> None:
    """200 changes in one project, made alternately through two processes: a listener on each
    process receives each of them exactly once, in commit order."""
    a, b = two_processes
    ca, cb = admin_client(a), admin_client(b)
    project = gazu.project.new_project(f"Fan-out {uuid.uuid4().hex[:6]}", client=ca)
    sio_a, inbox_a = listen(a, ca.access_token)
    sio_b, inbox_b = listen(b, cb.access_token)
    try:
        made = []
        for i in range(200):
            via = ca if i % 2 == 0 else cb
            made.append(gazu.shot.new_sequence(project, f"SQ{i:03d}", client=via)["id"])
        for inbox in (inbox_a, inbox_b):
            deadline = time.time() + 15
            while time.time() < deadline and inbox.names().count("sequence:new") < 200:
                time.sleep(0.05)
            with inbox.lock:
                got = [d["sequence_id"] for n, d in inbox.events if n == "sequence:new"]
            assert len(got) == 200 and len(set(got)) == 200, "every change exactly once"
            assert got == made, "in commit order"
    finally:
        sio_a.disconnect()
        sio_b.disconnect()


def test_review_room_people_and_sync(server: RunningServer) -> None:
    c = admin_client(server)
    project = gazu.project.new_project(f"Room {uuid.uuid4().hex[:6]}", client=c)
    playlist = gazu.playlist.new_playlist(project, f"Review {uuid.uuid4().hex[:6]}", client=c)
    alice, alice_inbox = listen(server, c.access_token)
    bob, bob_inbox = listen(server, c.access_token)
    try:
        alice.emit("preview-room:open-playlist", {"playlist_id": playlist["id"]}, namespace="/events")
        bob.emit("preview-room:open-playlist", {"playlist_id": playlist["id"]}, namespace="/events")
        alice.emit("preview-room:join", {"playlist_id": playlist["id"]}, namespace="/events")
        joined = bob_inbox.wait("preview-room:room-people-updated", playlist_id=playlist["id"])
        assert joined is not None
        deadline = time.time() + 5
        while time.time() < deadline:
            with bob_inbox.lock:
                people = [d["people"] for n, d in bob_inbox.events if n == "preview-room:room-people-updated"]
            if people and people[-1]:
                break
            time.sleep(0.05)
        assert people[-1] and len(people[-1]) == 1
        alice.emit("preview-room:room-updated", {"playlist_id": playlist["id"], "is_playing": True,
                                                  "current_entity_index": 2}, namespace="/events")
        update = bob_inbox.wait("preview-room:room-updated", playlist_id=playlist["id"])
        assert update is not None and update["is_playing"] is True and update["current_entity_index"] == 2
        time.sleep(0.2)
        assert alice_inbox.wait("preview-room:room-updated", timeout=0.1) is None  # not echoed to the sender
    finally:
        alice.disconnect()
        bob.disconnect()
