"""4 concurrent readers against ``foxtrack serve --workers 1`` and ``--workers 2`` on PostgreSQL + Redis.

The read mix is the shared scenario's concurrent phase (``../shared/bench/scenario.py``,
``concurrent:4x_get_shot+tasks_for_shot``): each of 4 threads, with a gazu client of its own, alternates
``gazu.shot.get_shot`` and ``gazu.task.all_tasks_for_shot`` on random shots, 100 calls each. The data
(one project, ``--shots`` shots with 4 tasks each) is made once; the two configurations then serve the
same database in alternating rounds; the median of each is printed with the ratio.

    .venv/bin/python bench/workers.py [--rounds 3] [--shots 200] [--cache]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import gazu
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from foxtrack.testing import RunningServer, drop_postgres, postgres_url, start_server  # noqa: E402

REDIS = "redis://127.0.0.1:6379/8"


def seed(server: RunningServer, shots: int) -> list[str]:
    client = gazu.client.create_client(server.api)
    gazu.log_in(server.email, server.password, client=client)
    project = gazu.project.new_project(f"Readers {uuid.uuid4().hex[:6]}", client=client)
    task_types = [gazu.task.new_task_type(f"TT{i} {uuid.uuid4().hex[:4]}", client=client) for i in range(4)]
    sequence = gazu.shot.new_sequence(project, "SQ01", client=client)
    made = []
    for i in range(shots):
        shot = gazu.shot.new_shot(project, sequence, f"SH{i:04d}", client=client)
        for task_type in task_types:
            gazu.task.new_task(shot, task_type, client=client)
        made.append(shot["id"])
    return made


def readers(server: RunningServer, shot_ids: list[str], threads: int, per_thread: int) -> tuple[float, int]:
    """Wall seconds for ``threads`` x ``per_thread`` reads, and the number of errors."""
    login = gazu.client.create_client(server.api)
    gazu.log_in(server.email, server.password, client=login)
    clients = []
    for _ in range(threads):
        c = gazu.client.create_client(server.api)
        c.tokens = dict(login.tokens)
        clients.append(c)
    errors = [0]

    def work(k: int) -> None:
        r = random.Random(42 + k)
        for i in range(per_thread):
            shot_id = r.choice(shot_ids)
            try:
                if i % 2:
                    gazu.shot.get_shot(shot_id, client=clients[k])
                else:
                    gazu.task.all_tasks_for_shot(shot_id, client=clients[k])
            except Exception:  # noqa: BLE001 - counted, as the scenario does
                errors[0] += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - started, errors[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--shots", type=int, default=200)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--per-thread", type=int, default=100)
    ap.add_argument("--cache", action="store_true", help="leave the response cache on (default: off)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "workers.json")
    args = ap.parse_args()
    db = postgres_url()
    if db is None:
        print("PostgreSQL is not reachable on 127.0.0.1:5432")
        return 1
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    env = {"FOXTRACK_REDIS_URL": REDIS, "FOXTRACK_REDIS_PREFIX": prefix, "FOXTRACK_SECRET_KEY": uuid.uuid4().hex,
           "FOXTRACK_RESPONSE_CACHE": "true" if args.cache else "false"}
    results: dict[int, list[float]] = {1: [], 2: []}
    try:
        server = start_server(database_url=db, env=env, timeout=90)
        try:
            shot_ids = seed(server, args.shots)
        finally:
            server.stop()
        for round_no in range(args.rounds):
            for workers in ((1, 2) if round_no % 2 == 0 else (2, 1)):
                server = start_server(database_url=db, env=env, extra_args=["--workers", str(workers)], timeout=90)
                try:
                    if workers > 1:  # every worker answers before the clock starts
                        seen: set[str] = set()
                        deadline = time.monotonic() + 60
                        while len(seen) < workers and time.monotonic() < deadline:
                            seen.add(requests.head(server.api, timeout=5).headers.get("x-foxtrack-worker", ""))
                    readers(server, shot_ids, args.threads, 10)  # warm both workers' connections
                    seconds, errors = readers(server, shot_ids, args.threads, args.per_thread)
                finally:
                    server.stop()
                results[workers].append(seconds)
                print(f"round {round_no + 1}: --workers {workers}: {seconds:.2f} s, {errors} errors, "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        drop_postgres(db)
    one, two = statistics.median(results[1]), statistics.median(results[2])
    calls = args.threads * args.per_thread
    print(f"\n| {args.threads} concurrent readers, {calls} calls | median s | calls/s |\n|---|---|---|")
    print(f"| --workers 1 | {one:.2f} | {calls / one:.0f} |\n| --workers 2 | {two:.2f} | {calls / two:.0f} |")
    print(f"\n--workers 2 vs 1: {one / two:.2f}x (cache {'on' if args.cache else 'off'})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "rounds": {str(k): v for k, v in results.items()}, "ratio": one / two, "cache": args.cache,
        "shots": args.shots, "calls": calls, "cpu": platform.processor() or _cpu_model(),
        "cores": os.cpu_count(), "loadavg_end": os.getloadavg()}, indent=2))
    return 0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


if __name__ == "__main__":
    sys.exit(main())
