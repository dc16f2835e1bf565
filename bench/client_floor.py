#!/usr/bin/env python3
"""The HTTP floor of the scenario's per-entity reads: the same gazu calls against a server that
does nothing but answer canned bytes.

    python bench/client_floor.py [--calls 200] [--threads 4] [--ops 100] [--json FILE]

Starts a foxtrack (SQLite, cache off), makes the small production of ``bench/routes.py`` and keeps
the answers of ``data/shots/{id}`` and ``data/shots/{id}/tasks``, then serves those bytes from a
bare ASGI function on uvicorn (as ``foxtrack serve`` runs it: same loop and HTTP parser, one
process) and times, with the real gazu:

- ``get_shot`` and ``all_tasks_for_shot`` one after the other (``--calls`` each): the scenario's
  ``read:get_shot`` and ``read:all_tasks_for_shot``;
- ``--threads`` threads, each with its own gazu client, alternating the two calls ``--ops`` times:
  the scenario's ``concurrent:4x_get_shot+tasks_for_shot``.

No server can answer these calls faster than this through gazu on this machine: what is left is
the client (gazu, requests) and the HTTP exchange. Compare a server's phase time with it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import gazu  # noqa: E402
from gazu import client as raw  # noqa: E402

from foxtrack.testing import free_port, start_server  # noqa: E402

CANNED = '''
import json, sys
bodies = json.load(open(sys.argv[1]))
shot, tasks = bodies["shot"].encode(), bodies["tasks"].encode()
headers = [(b"content-type", b"application/json")]

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path.endswith("/auth/login"):
        body = b'{"login": true, "access_token": "x", "refresh_token": "y", "user": {}}'
    else:
        body = tasks if path.endswith("/tasks") else shot
    await send({"type": "http.response.start", "status": 200,
                "headers": headers + [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})

import uvicorn
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False, lifespan="on")
'''


def capture(shots: int) -> dict[str, str]:
    """The answers of a real foxtrack for one shot of a small production."""
    import requests

    from routes import make_production

    server = start_server(env={"FOXTRACK_RESPONSE_CACHE": "false", "FOXTRACK_MEDIA_WORKERS": "0"}, timeout=60)
    try:
        gazu.set_host(server.api)
        gazu.log_in(server.email, server.password)
        ids = make_production(shots)
        headers = {"Authorization": f"Bearer {gazu.client.default_client.tokens['access_token']}"}
        shot = requests.get(f"{server.api}/data/shots/{ids['shot']}", headers=headers, timeout=10).text
        tasks = requests.get(f"{server.api}/data/shots/{ids['shot']}/tasks", headers=headers, timeout=10).text
    finally:
        server.stop()
    return {"shot": shot, "tasks": tasks, "shot_id": ids["shot"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--ops", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    bodies = capture(40)
    work = Path(tempfile.mkdtemp(prefix="foxtrack-client-floor-"))
    (work / "bodies.json").write_text(json.dumps(bodies))
    (work / "canned.py").write_text(CANNED)
    port = free_port()
    process = subprocess.Popen([sys.executable, str(work / "canned.py"), str(work / "bodies.json"), str(port)])
    host = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                import requests

                requests.get(host + "/", timeout=1)
                break
            except Exception:  # noqa: BLE001 - not up yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        gazu.set_host(host)
        gazu.client.default_client.tokens = {"access_token": "x", "refresh_token": "y"}
        shot = {"id": bodies["shot_id"]}
        results: dict[str, list[float]] = {"get_shot": [], "all_tasks_for_shot": [], "concurrent": []}
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            for _ in range(args.calls):
                gazu.shot.get_shot(shot["id"])
            results["get_shot"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for _ in range(args.calls):
                gazu.task.all_tasks_for_shot(shot)
            results["all_tasks_for_shot"].append(time.perf_counter() - t0)
            clients = []
            for _ in range(args.threads):
                c = raw.create_client(host)
                c.tokens = {"access_token": "x", "refresh_token": "y"}
                clients.append(c)

            def worker(k: int) -> None:
                r = random.Random(k)
                for i in range(args.ops):
                    r.random()
                    if i % 2:
                        gazu.shot.get_shot(shot["id"], client=clients[k])
                    else:
                        gazu.task.all_tasks_for_shot(shot, client=clients[k])

            threads = [threading.Thread(target=worker, args=(k,)) for k in range(args.threads)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            results["concurrent"].append(time.perf_counter() - t0)
    finally:
        process.terminate()
        process.wait(10)
    out = {name: statistics.median(values) for name, values in results.items()}
    print(f"HTTP floor through gazu (canned answers: shot {len(bodies['shot'])} B, tasks {len(bodies['tasks'])} B), "
          f"load {os.getloadavg()[0]:.1f}, median of {args.rounds} rounds")
    print(f"| phase | calls | floor s |\n|---|---|---|\n| read:get_shot | {args.calls} | {out['get_shot']:.2f} |\n"
          f"| read:all_tasks_for_shot | {args.calls} | {out['all_tasks_for_shot']:.2f} |\n"
          f"| concurrent:{args.threads}x_get_shot+tasks_for_shot | {args.threads * args.ops} | {out['concurrent']:.2f} |")
    if args.json:
        args.json.write_text(json.dumps({"load": os.getloadavg(), "seconds": out, "rounds": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
