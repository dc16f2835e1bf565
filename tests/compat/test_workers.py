"""``foxtrack serve --workers 2`` on PostgreSQL + Redis, driven for real: gazu writers pinned to one
worker, ``gazu.events`` listeners on both, Socket.IO sessions relayed between workers, a logout seen
by the other worker at once, and the response cache invalidated across workers per project."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import gazu
import pytest
import requests

from foxtrack.testing import RunningServer, drop_postgres, postgres_url, start_server

REDIS = "redis://127.0.0.1:6379/7"  # a database of its own; channels and keys carry a per-run prefix
WORKER = "x-foxtrack-worker"


def redis_reachable() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001 - any failure: no Redis here
        return False
    return True


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[RunningServer, list[str]]]:
    if not redis_reachable():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    db = postgres_url()
    if db is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    env = {"FOXTRACK_REDIS_URL": REDIS, "FOXTRACK_REDIS_PREFIX": prefix, "FOXTRACK_SECRET_KEY": uuid.uuid4().hex}
    server = start_server(database_url=db, extra_args=["--workers", "2"], env=env, timeout=60)
    try:
        workers: set[str] = set()
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline:  # each new connection: any worker
            try:
                workers.add(requests.head(server.api, timeout=2).headers[WORKER])
            except requests.RequestException:
                time.sleep(0.05)
        assert len(workers) == 2, f"two workers answer on the port: {workers}\n{server.log()}"
        yield server, sorted(workers)
    finally:
        server.stop()
        drop_postgres(db)
        import redis

        r = redis.Redis.from_url(REDIS)
        keys = list(r.scan_iter(f"{prefix}:*"))
        if keys:
            r.delete(*keys)


def pinned(server: RunningServer, worker: str) -> requests.Session:
    """A session whose (kept-alive) connection was accepted by ``worker``."""
    for _ in range(60):
        session = requests.Session()
        if session.head(server.api, timeout=5).headers[WORKER] == worker:
            return session
        session.close()
    raise AssertionError(f"no connection reached {worker}")


def gazu_client(server: RunningServer, worker: str) -> Any:
    """A logged-in gazu client whose requests all go to ``worker`` (checked on every answer)."""
    client = gazu.client.create_client(server.api)
    client.session = pinned(server, worker)
    served: list[str] = []
    client.session.hooks["response"].append(lambda r, *_a, **_k: served.append(r.headers.get(WORKER, "")))
    client.served = served
    gazu.log_in(server.email, server.password, client=client)
    return client


def test_polling_session_relayed_to_its_worker(cluster: tuple[RunningServer, list[str]]) -> None:
    """An Engine.IO long-polling session opened on one worker, then polled through new connections:
    the requests that reach the other worker are relayed to the session's own."""
    server, _ = cluster
    token = requests.post(f"{server.api}/auth/login", json={"email": server.email, "password": server.password},
                          timeout=5).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    url = f"{server.url}/socket.io/"
    opened = requests.get(url, params={"EIO": "4", "transport": "polling"}, headers=auth, timeout=5)
    assert opened.status_code == 200 and opened.text.startswith("0{")
    sid = requests.models.complexjson.loads(opened.text[1:])["sid"]
    owner = opened.headers[WORKER]
    assert sid.startswith(owner + ".")
    relayed = 0
    for i in range(40):
        query = {"EIO": "4", "transport": "polling", "sid": sid}
        sent = requests.post(url, params=query, data=f"40/events,{{\"n\":{i}}}" if i == 0 else "3", headers=auth,
                             timeout=5)
        assert sent.status_code == 200 and sent.text == "OK", sent.text
        relayed += sent.headers.get("x-foxtrack-relayed-by") is not None
        if relayed >= 2:
            break
    assert relayed >= 2, "some requests reached the other worker and were relayed"
    answer = requests.get(url, params={"EIO": "4", "transport": "polling", "sid": sid}, headers=auth, timeout=30)
    assert answer.headers[WORKER] == owner
    assert "40/events," in answer.text, "the relayed CONNECT reached the session: the namespace answered"


def test_websocket_upgrade_relayed_to_its_worker(cluster: tuple[RunningServer, list[str]]) -> None:
    """Sessions opened by long polling, upgraded through new connections until one upgrade reaches the
    other worker: the relayed WebSocket carries the probe, the upgrade and the namespace's answer."""
    import websocket

    server, _ = cluster
    token = requests.post(f"{server.api}/auth/login", json={"email": server.email, "password": server.password},
                          timeout=5).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    for _ in range(40):
        opened = requests.get(f"{server.url}/socket.io/", params={"EIO": "4", "transport": "polling"}, headers=auth,
                              timeout=5)
        sid = requests.models.complexjson.loads(opened.text[1:])["sid"]
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket&sid={sid}",
            header=[f"Authorization: Bearer {token}"], timeout=10)
        try:
            relayed = "x-foxtrack-relayed-by" in ws.getheaders()
            ws.send("2probe")
            assert ws.recv() == "3probe"
            ws.send("5")
            ws.send("40/events,")
            answer = ws.recv()
            while answer in ("2", "6"):  # pings or noops before the namespace answers
                answer = ws.recv()
            assert answer.startswith("40/events,{"), answer
        finally:
            ws.close()
        if relayed:
            return
    raise AssertionError("no upgrade reached the other worker in 40 tries")


def test_events_from_every_worker_reach_every_listener(cluster: tuple[RunningServer, list[str]]) -> None:
    """gazu writers on each worker, gazu.events listeners until both workers hold some: every listener
    receives every event exactly once, whichever worker wrote it."""
    server, workers = cluster
    writers = [gazu_client(server, w) for w in workers]
    project = gazu.project.new_project(f"Workers {uuid.uuid4().hex[:6]}", client=writers[0])
    listeners: list[tuple[Any, str, list[str], threading.Lock]] = []
    try:
        for _ in range(12):
            client = gazu_client(server, workers[len(listeners) % 2])
            gazu.client.set_event_host(server.url, client=client)
            got: list[str] = []
            lock = threading.Lock()

            def add(data: dict[str, Any], _got: list[str] = got, _lock: threading.Lock = lock) -> None:
                with _lock:
                    _got.append(data["sequence_id"])

            events = gazu.events.init(client=client, reconnection=False)
            gazu.events.add_listener(events, "sequence:new", add)
            listeners.append((events, events.eio.sid.partition(".")[0], got, lock))
            if len(listeners) >= 4 and {owner for _, owner, _, _ in listeners} == set(workers):
                break
        assert {owner for _, owner, _, _ in listeners} == set(workers), "listeners on both workers"
        made = []
        for i in range(60):
            writer = writers[i % 2]
            made.append(gazu.shot.new_sequence(project, f"SQ{i:03d}", client=writer)["id"])
        for writer, worker in zip(writers, workers):
            assert set(writer.served) == {worker}, "each writer stayed on its worker"
        for events, owner, got, lock in listeners:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and len(got) < len(made):
                time.sleep(0.05)
            time.sleep(0.1)  # nothing more arrives: no duplicates
            with lock:
                assert sorted(got) == sorted(made), f"listener on {owner}: {len(got)} of {len(made)}"
                assert got == made, f"listener on {owner}: in commit order"
            assert events.transport() == "websocket", "upgraded, through a relay when it landed elsewhere"
    finally:
        for events, _, _, _ in listeners:
            events.disconnect()


def test_logout_on_one_worker_refused_on_the_other(cluster: tuple[RunningServer, list[str]]) -> None:
    server, (first, second) = cluster
    token = requests.post(f"{server.api}/auth/login", json={"email": server.email, "password": server.password},
                          timeout=5).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    on_first, on_second = pinned(server, first), pinned(server, second)
    seen = on_second.get(f"{server.api}/auth/authenticated", headers=auth, timeout=5)
    assert seen.status_code == 200 and seen.headers[WORKER] == second  # the token is now known there
    out = on_first.get(f"{server.api}/auth/logout", headers=auth, timeout=5)
    assert out.status_code == 200 and out.headers[WORKER] == first
    after = on_second.get(f"{server.api}/auth/authenticated", headers=auth, timeout=5)
    assert after.headers[WORKER] == second
    assert after.status_code == 401, "revoked on one worker, refused by the other at once"


def test_cache_across_workers_per_project(cluster: tuple[RunningServer, list[str]]) -> None:
    """Worker B caches a project's sequence list; a write in another project made on worker A leaves
    it cached, a write in that project makes B compute it again, with the new sequence."""
    server, (first, second) = cluster
    writer = gazu_client(server, first)
    watched = gazu.project.new_project(f"Watched {uuid.uuid4().hex[:6]}", client=writer)
    other = gazu.project.new_project(f"Other {uuid.uuid4().hex[:6]}", client=writer)
    gazu.shot.new_sequence(watched, "SQ001", client=writer)
    reader = pinned(server, second)
    auth = {"Authorization": f"Bearer {writer.access_token}"}
    url = f"{server.api}/data/projects/{watched['id']}/sequences"

    def read() -> tuple[list[str], bool]:
        answer = reader.get(url, headers=auth, timeout=5)
        assert answer.status_code == 200 and answer.headers[WORKER] == second
        return sorted(s["name"] for s in answer.json()), answer.headers.get("x-foxtrack-cache") == "hit"

    assert read() == (["SQ001"], False)
    assert read() == (["SQ001"], True)
    gazu.shot.new_sequence(other, "SQ900", client=writer)
    assert read() == (["SQ001"], True), "a change in another project leaves the answer cached"
    gazu.shot.new_sequence(watched, "SQ002", client=writer)
    assert read() == (["SQ001", "SQ002"], False), "a change in the project, made on the other worker"
    assert set(writer.served) == {first}


def test_cache_per_project_in_one_process(server: RunningServer) -> None:
    """One process: on SQLite a project's answers stay cached through another project's changes and
    are computed again after their own; an answer that is no project's follows every change. On
    PostgreSQL without Redis nothing is cached. The answers are the same on both."""
    writer = gazu.client.create_client(server.api)
    gazu.log_in(server.email, server.password, client=writer)
    watched = gazu.project.new_project(f"Watched {uuid.uuid4().hex[:6]}", client=writer)
    other = gazu.project.new_project(f"Other {uuid.uuid4().hex[:6]}", client=writer)
    gazu.shot.new_sequence(watched, "SQ001", client=writer)
    auth = {"Authorization": f"Bearer {writer.access_token}"}
    caching = server.database_url is None
    reader = requests.Session()

    def read(path: str, **params: str) -> tuple[list[str], bool]:
        answer = reader.get(f"{server.api}{path}", params=params, headers=auth, timeout=5)
        assert answer.status_code == 200
        hit = answer.headers.get("x-foxtrack-cache") == "hit"
        assert caching or not hit
        return sorted(s["name"] for s in answer.json() if s.get("project_id") in (watched["id"], other["id"])), hit

    scoped = f"/data/projects/{watched['id']}/sequences"
    for path, params in ((scoped, {}), ("/data/sequences", {"project_id": watched["id"]})):
        read(path, **params)
        assert read(path, **params) == (["SQ001"], caching)
    read("/data/sequences")
    assert read("/data/sequences") == (["SQ001"], caching)  # no project named: depends on everything
    gazu.shot.new_sequence(other, "SQ900", client=writer)
    assert read(scoped) == (["SQ001"], caching), "another project's change leaves it cached"
    assert read("/data/sequences", project_id=watched["id"]) == (["SQ001"], caching)
    assert read("/data/sequences") == (["SQ001", "SQ900"], False)
    gazu.shot.new_sequence(watched, "SQ002", client=writer)
    assert read(scoped) == (["SQ001", "SQ002"], False), "its own project's change"
    assert read(scoped) == (["SQ001", "SQ002"], caching)


def test_refused_configurations(tmp_path: Any) -> None:
    """Several workers on SQLite, or without Redis, are refused with the reason."""
    base = [sys.executable, "-m", "foxtrack.cli", "serve", "--workers", "2", "--data-dir", str(tmp_path)]
    sqlite = subprocess.run(base, capture_output=True, text=True, timeout=60,
                            env={**_env(), "FOXTRACK_REDIS_URL": REDIS})
    assert sqlite.returncode == 2 and "needs PostgreSQL" in sqlite.stdout
    no_redis = subprocess.run([*base, "--database-url", "postgresql://postgres@127.0.0.1:5432/none"],
                              capture_output=True, text=True, timeout=60, env=_env())
    assert no_redis.returncode == 2 and "needs FOXTRACK_REDIS_URL" in no_redis.stdout


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "FOXTRACK_REDIS_URL"} | {"COLUMNS": "200"}
