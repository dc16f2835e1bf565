#!/usr/bin/env python3
"""Does a slow route stall the others? 16 clients hammer a heavy read while one client times a
trivial route and a Socket.IO client times its ping/pong round trip.

    python bench/io_model.py [--clients 16] [--seconds 15] [--shots 400]

Starts a foxtrack (SQLite, response cache off so every call does its work), makes a production with
``--shots`` shots and their tasks, then measures, first idle and then with the clients hammering
``GET data/shots/with-tasks`` (the Kitsu shot list): the latency of ``GET /api/`` and the Socket.IO
round trip (an Engine.IO ping answered by the server). Prints p50/p95/max of both, idle and loaded,
and the heavy route's throughput. With handlers on the thread pool, the loop stays free: the trivial
route waits only for the CPU, not for whole heavy handlers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import gazu
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from foxtrack.testing import start_server  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def summary(label: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (f"{label:<28} n={len(ms):<6} p50 {statistics.median(ms):7.2f} ms  p95 {pct(ms, 0.95):7.2f} ms  "
            f"max {max(ms):8.2f} ms")


def probe_http(url: str, headers: dict[str, str], stop: threading.Event, out: list[float]) -> None:
    with requests.Session() as session:
        while not stop.is_set():
            t0 = time.perf_counter()
            session.get(url, headers=headers, timeout=30)
            out.append(time.perf_counter() - t0)
            time.sleep(0.02)


def probe_socket(base: str, token: str, stop: threading.Event, out: list[float]) -> None:
    """Engine.IO 4 over a websocket (pings are the server's in EIO 4, so the timed round trip is a
    Socket.IO namespace connect to ``/events`` and its answer, repeated on one connection)."""
    import websockets.sync.client as ws_client

    url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    with ws_client.connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        ws.recv()  # the Engine.IO open packet
        while not stop.is_set():
            t0 = time.perf_counter()
            ws.send("40/events,")  # connect to the namespace: the server answers 40/events,{sid}
            while True:
                message = ws.recv(timeout=30)
                if isinstance(message, str) and message.startswith("40/events"):
                    break
                if message == "2":  # a server ping: answer it
                    ws.send("3")
            out.append(time.perf_counter() - t0)
            ws.send("41/events,")  # leave the namespace again
            time.sleep(0.05)


def hammer(url: str, headers: dict[str, str], stop: threading.Event, count: list[int]) -> None:
    with requests.Session() as session:
        while not stop.is_set():
            session.get(url, headers=headers, timeout=60)
            count.append(1)


def measure(base: str, api: str, token: str, heavy: str, clients: int, seconds: float) -> tuple[list[float], list[float], int]:
    headers = {"Authorization": f"Bearer {token}"}
    stop = threading.Event()
    http: list[float] = []
    sock: list[float] = []
    done: list[int] = []
    threads = [threading.Thread(target=probe_http, args=(f"{api}/", headers, stop, http)),
               threading.Thread(target=probe_socket, args=(base, token, stop, sock))]
    threads += [threading.Thread(target=hammer, args=(heavy, headers, stop, done)) for _ in range(clients)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(60)
    return http, sock, len(done)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--shots", type=int, default=400)
    args = parser.parse_args()
    server = start_server(env={"FOXTRACK_RESPONSE_CACHE": "false", "FOXTRACK_MEDIA_WORKERS": "0"})
    try:
        gazu.set_host(server.api)
        gazu.log_in(server.email, server.password)
        project = gazu.project.new_project("IO model", "featurefilm")
        task_types = [gazu.task.get_task_type_by_name(n) for n in ("Layout", "Animation", "Lighting")]
        for seq_index in range(max(1, args.shots // 50)):
            sequence = gazu.shot.new_sequence(project, f"SQ{seq_index:02d}")
            shots = [gazu.shot.new_shot(project, sequence, f"SH{i:04d}") for i in range(50)]
            for task_type in task_types:
                gazu.client.post(f"actions/projects/{project['id']}/task-types/{task_type['id']}/shots/create-tasks",
                                 [s["id"] for s in shots])
        token = gazu.client.default_client.tokens["access_token"]
        heavy = f"{server.api}/data/shots/with-tasks?project_id={project['id']}"
        idle_http, idle_sock, _ = measure(server.url, server.api, token, heavy, 0, args.seconds / 3)
        http, sock, done = measure(server.url, server.api, token, heavy, args.clients, args.seconds)
        print(f"{args.shots} shots, {args.clients} clients on data/shots/with-tasks for {args.seconds:.0f} s: "
              f"{done} calls ({done / args.seconds:.1f}/s)")
        print(summary("GET /api/ idle", idle_http))
        print(summary("GET /api/ loaded", http))
        print(summary("Socket.IO round trip idle", idle_sock))
        print(summary("Socket.IO round trip loaded", sock))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
