#!/usr/bin/env python3
"""Where the scenario's writes go: per gazu call, the wall time, the SQL statements and their time.

    python bench/write_cpu.py [--postgres] [--shots 60] [--profile PHASE] [--sql PHASE]

Makes a fresh database (``--postgres``: on 127.0.0.1:5432, else SQLite) with ``foxtrack serve``,
then serves it from this process (uvicorn in a thread, response cache off) so that a listener on
the engine sees every statement, and drives it with the real gazu through the scenario's write
calls: ``new_shot``, ``create_shot_tasks`` (4 task types), ``new_asset``, ``new_task``,
``update_shot_casting``, ``assign_tasks_to_person``, ``add_comment`` and ``set_time_spent``. Prints,
per call: the median wall time, statements per call, and the time spent inside the driver.
``--sql PHASE`` prints the statements of one call of that phase; ``--profile PHASE`` a cProfile of
the server's thread pool... as a sampler over every thread, the functions where the time fell.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import gazu  # noqa: E402

from foxtrack.testing import drop_postgres, free_port, postgres_url, start_server  # noqa: E402


class Statements:
    """Every statement the engine sends, with the time the driver took on it."""

    def __init__(self, engine: Any):
        from sqlalchemy import event

        self.items: list[tuple[str, float]] = []
        self.on = False
        started: dict[int, float] = {}
        if engine is None:
            return

        @event.listens_for(engine, "before_cursor_execute")
        def before(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            started[id(cursor)] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def after(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            if self.on:
                self.items.append((statement, time.perf_counter() - started.pop(id(cursor), time.perf_counter())))


class Sampler(threading.Thread):
    """Reads every thread's stack every millisecond while ``on``; counts own and cumulative frames."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.on = False
        self.own: collections.Counter[str] = collections.Counter()
        self.cumulative: collections.Counter[str] = collections.Counter()
        self.samples = 0

    def run(self) -> None:
        me = threading.get_ident()
        while True:
            time.sleep(0.001)
            if not self.on:
                continue
            for ident, frame in sys._current_frames().items():
                if ident == me or ident == MAIN_THREAD:
                    continue
                stack = self._stack(frame)
                if not stack or stack[0].startswith(("selectors", "threading.py:wait", "queue")):
                    continue
                if any(s.startswith("threading.py:wait") or "base_events.py:_run_once" == s for s in stack[:3]):
                    continue
                self.samples += 1
                self.own[stack[0]] += 1
                for name in set(stack):
                    self.cumulative[name] += 1

    @staticmethod
    def _stack(frame: FrameType | None) -> list[str]:
        out = []
        while frame is not None:
            code = frame.f_code
            out.append(f"{Path(code.co_filename).name}:{code.co_name}")
            frame = frame.f_back
        return out


MAIN_THREAD = threading.get_ident()


def serve(data_dir: Path, database_url: str) -> tuple[Any, Any, str]:
    import uvicorn

    from routes import in_process_app

    app, engine = in_process_app(data_dir, database_url, "bench-write-cpu-secret-key-0123456789abcdef")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, engine, f"http://127.0.0.1:{port}/api"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--postgres", action="store_true")
    ap.add_argument("--shots", type=int, default=60)
    ap.add_argument("--sql", help="print the statements of one call of this phase")
    ap.add_argument("--profile", help="sample the server's stacks during this phase")
    ap.add_argument("--keep", action="store_true", help="keep the database (its URL is printed)")
    ap.add_argument("--subprocess", action="store_true",
                    help="drive a `foxtrack serve` process instead (wall times only, as the scenario sees them)")
    args = ap.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="foxtrack-write-cpu-"))
    url = postgres_url() if args.postgres else None
    if args.postgres and url is None:
        raise SystemExit("no PostgreSQL on 127.0.0.1:5432")
    first = start_server(database_url=url, data_dir=data_dir, env={"FOXTRACK_MEDIA_WORKERS": "0"}, timeout=60)
    email, password = first.email, first.password
    if args.subprocess:
        try:
            gazu.set_host(first.api)
            gazu.log_in(email, password)
            run(args, Statements(None), Sampler())
        finally:
            first.stop()
            if url:
                drop_postgres(url)
            shutil.rmtree(data_dir, ignore_errors=True)
        return 0
    first.stop()
    database_url = url or f"sqlite:///{(data_dir / 'foxtrack.db').resolve()}"
    server, engine, api = serve(data_dir, database_url)
    statements = Statements(engine)
    sampler = Sampler()
    sampler.start()
    try:
        gazu.set_host(api)
        gazu.log_in(email, password)
        run(args, statements, sampler)
    finally:
        server.should_exit = True
        time.sleep(0.5)
        engine.dispose()
        if args.keep:
            print(f"kept {database_url}")
        else:
            if url:
                drop_postgres(url)
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def run(args: argparse.Namespace, statements: Statements, sampler: Sampler) -> None:
    project = gazu.project.new_project(f"Writes {time.time():.0f}", "tvshow")
    me = gazu.client.get_current_user()
    shot_tts = [t for t in gazu.task.all_task_types() if t["for_entity"] == "Shot"][:4]
    asset_tts = [t for t in gazu.task.all_task_types() if t["for_entity"] == "Asset"][:3]
    statuses = gazu.task.all_task_statuses()
    default = next(s for s in statuses if s.get("is_default")) if any(s.get("is_default") for s in statuses) \
        else statuses[0]
    wip = next(s for s in statuses if s["short_name"] == "wip")
    asset_type = gazu.asset.all_asset_types()[0]
    artist = gazu.person.new_person("Write", "Artist", f"write.artist.{time.time():.0f}@example.com")
    sequence = gazu.shot.new_sequence(project, "SQ001")
    timings: dict[str, list[tuple[float, list[tuple[str, float]]]]] = collections.defaultdict(list)

    def call(phase: str, func: Callable[..., Any], *a: Any, **k: Any) -> Any:
        statements.items = []
        statements.on = True
        sampler.on = phase == args.profile
        t0 = time.perf_counter()
        out = func(*a, **k)
        wall = time.perf_counter() - t0
        sampler.on = False
        statements.on = False
        timings[phase].append((wall, statements.items))
        return out

    n = args.shots
    shots = [call("new_shot", gazu.shot.new_shot, project, sequence, f"SH{i:04d}", nb_frames=48, frame_in=1001,
                  frame_out=1048, description=f"Shot {i}") for i in range(n)]
    assets = [call("new_asset", gazu.asset.new_asset, project, asset_type, f"prop_{i:04d}", description=f"A {i}")
              for i in range(n // 2)]
    tasks = []
    for shot in shots:
        tasks += call("create_shot_tasks", gazu.task.create_shot_tasks, shot, shot_tts)
    for asset in assets:
        for tt in asset_tts:
            tasks.append(call("new_task", gazu.task.new_task, asset, tt, task_status=default))
    for i, shot in enumerate(shots):
        cast = [{"asset_id": assets[(i + j) % len(assets)]["id"], "nb_occurences": 1} for j in range(3)]
        call("update_shot_casting", gazu.casting.update_shot_casting, project, shot, cast)
    for chunk in range(0, len(tasks) // 2, 50):
        call("assign_tasks_to_person", gazu.task.assign_tasks_to_person, tasks[chunk:chunk + 50], artist)
    for i, task in enumerate(tasks[:n * 2]):
        call("add_comment", gazu.task.add_comment, task, wip, f"comment {i}")
    for i, task in enumerate(tasks[:n * 2]):
        day = (datetime.date(2026, 1, 1) + datetime.timedelta(days=i % 10)).isoformat()
        call("set_time_spent", gazu.task.set_time_spent, task, artist, day, 60)

    print("| phase | calls | wall ms (median) | statements / call | SQL ms / call (median) |\n|---|---|---|---|---|")
    for phase, runs in timings.items():
        walls = [w for w, _ in runs[2:]] or [w for w, _ in runs]
        sql = [sum(d for _, d in items) for _, items in runs[2:]] or [0.0]
        counts = [len(items) for _, items in runs[2:]] or [0]
        print(f"| {phase} | {len(runs)} | {statistics.median(walls) * 1000:.2f} | {statistics.median(counts):.0f} | "
              f"{statistics.median(sql) * 1000:.2f} |")
    print("\nthe statements that took most, per phase (ms per call):")
    for phase, runs in timings.items():
        spent: collections.Counter[str] = collections.Counter()
        for _, items in runs:
            for statement, took in items:
                spent[" ".join(statement.split())[:110]] += took
        for statement, took in spent.most_common(3):
            print(f"  {phase:24} {took / len(runs) * 1000:6.2f}  {statement}")
    if args.sql and args.sql in timings:
        _, items = timings[args.sql][len(timings[args.sql]) // 2]
        print(f"\nstatements of one {args.sql}:")
        for statement, took in items:
            print(f"  {took * 1000:6.2f} ms  {' '.join(statement.split())[:2000]}")
    if args.profile and sampler.samples:
        print(f"\n{sampler.samples} samples during {args.profile}; own:")
        for name, count in sampler.own.most_common(25):
            print(f"  {100 * count / sampler.samples:5.1f}%  {name}")
        print("cumulative:")
        for name, count in sampler.cumulative.most_common(45):
            print(f"  {100 * count / sampler.samples:5.1f}%  {name}")


if __name__ == "__main__":
    sys.exit(main())
