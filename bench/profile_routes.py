#!/usr/bin/env python3
"""Where a route's time goes: the shared scenario fills a database, then an in-process app answers
the named routes while a sampler reads every thread's stack (handlers run on the thread pool, where
cProfile in the main thread sees nothing).

    python bench/profile_routes.py [--postgres] [--size small] [--calls 50] [--top 25]
                                   [--route data/projects/open ...] [--keep FILE | --reuse FILE]

Starts a foxtrack (``--postgres``: a fresh database on 127.0.0.1:5432, else SQLite), runs
``../shared/bench/scenario.py`` against it, stops it, then builds the app in process on the same
database (response cache off), logs in as the admin and, for each route (``{project}`` is the
scenario's project id), prints the median wall time per call, the SQL statements per call with
their time, the slowest statements, and the functions where the samples fell (own time and cumulative, in % of samples).
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "src"))

from foxtrack.testing import drop_postgres, postgres_url, start_server  # noqa: E402

ROUTES = ["data/projects/open", "auth/authenticated", "data/user/context", "data/user/done-tasks",
          "data/user/notifications", "data/projects/{project}/sequences/all/casting",
          "data/tasks/open-tasks?project_id={project}"]


class Sampler:
    """Samples the stacks of every thread but its own every ``interval`` seconds."""

    def __init__(self, interval: float = 0.0005) -> None:
        self.interval = interval
        self.own: collections.Counter[str] = collections.Counter()
        self.cumulative: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.is_set():
            for ident, frame in sys._current_frames().items():
                if ident != me and self._busy(frame):
                    self._record(frame)
            time.sleep(self.interval)

    @staticmethod
    def _busy(frame: FrameType) -> bool:
        """Idle threads wait in the thread pool's queue or the loop's selector."""
        name = frame.f_code.co_name
        return name not in {"wait", "select", "_worker", "get", "run_forever", "_run_once", "sleep"}

    def _record(self, frame: FrameType | None) -> None:
        self.samples += 1
        assert frame is not None
        self.own[self._name(frame)] += 1
        seen: set[str] = set()
        while frame is not None:
            name = self._name(frame)
            if name not in seen:
                self.cumulative[name] += 1
                seen.add(name)
            frame = frame.f_back

    @staticmethod
    def _name(frame: FrameType) -> str:
        code = frame.f_code
        path = code.co_filename.replace(str(ROOT / "src") + "/", "").replace(str(ROOT / ".venv"), "~")
        return f"{path}:{code.co_firstlineno} {code.co_name}"

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def fill(url: str | None, size: str, data_dir: Path) -> tuple[str, str, str]:
    """Run the scenario against a server on ``url``; the project id and the admin's credentials."""
    server = start_server(database_url=url, data_dir=data_dir, env={"FOXTRACK_BCRYPT_ROUNDS": "10"}, timeout=60)
    out = data_dir / "scenario.json"
    try:
        subprocess.run([sys.executable, str(SHARED / "bench" / "scenario.py"), "--host", server.api, "--email",
                        server.email, "--password", server.password, "--size", size, "--out", str(out)],
                       check=True, stdout=subprocess.DEVNULL)
    finally:
        server.stop()
    return json.loads(out.read_text())["meta"]["project_id"], server.email, server.password


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--postgres", action="store_true")
    ap.add_argument("--size", default="small", choices=["small", "medium"])
    ap.add_argument("--calls", type=int, default=50)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--route", action="append", help="a route under /api (default: a set of UI reads)")
    ap.add_argument("--keep", type=Path, metavar="FILE", help="keep the filled database; its address goes to FILE")
    ap.add_argument("--reuse", type=Path, metavar="FILE", help="profile the database that --keep left in FILE")
    args = ap.parse_args()
    if args.reuse:
        kept = json.loads(args.reuse.read_text())
        profile(kept["database_url"], Path(kept["data_dir"]), kept["email"], kept["password"],
                [r.format(project=kept["project"]) for r in (args.route or ROUTES)], args.calls, args.top)
        return 0
    url = postgres_url() if args.postgres else None
    if args.postgres and url is None:
        raise SystemExit("no PostgreSQL on 127.0.0.1:5432")
    data_dir = Path(tempfile.mkdtemp(prefix="foxtrack-profile-"))
    database_url = url or f"sqlite:///{(data_dir / 'foxtrack.db').resolve()}"
    try:
        project, email, password = fill(url, args.size, data_dir)
        if args.keep:
            args.keep.write_text(json.dumps({"database_url": database_url, "data_dir": str(data_dir),
                                             "project": project, "email": email, "password": password}))
        profile(database_url, data_dir, email, password, [r.format(project=project) for r in (args.route or ROUTES)],
                args.calls, args.top)
    finally:
        if not args.keep:
            if url:
                drop_postgres(url)
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def profile(database_url: str, data_dir: Path, email: str, password: str, routes: list[str], calls: int,
            top: int) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from routes import in_process_app  # bench/routes.py, beside this file

    app, engine = in_process_app(data_dir, database_url, "bench-profile-routes")
    statements: list[float] = []
    by_text: dict[str, float] = collections.defaultdict(float)
    started: dict[int, float] = {}

    def before(_conn: Any, cursor: Any, *_: Any) -> None:
        started[id(cursor)] = time.perf_counter()

    def after(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seconds = time.perf_counter() - started.pop(id(cursor), time.perf_counter())
        statements.append(seconds)
        by_text[" ".join(statement.split())[:160]] += seconds

    with TestClient(app) as client:
        token = client.post("/api/auth/login", json={"email": email, "password": password}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for route in routes:
            for _ in range(3):
                answer = client.get(f"/api/{route}", headers=headers)
            event.listen(engine, "before_cursor_execute", before)
            event.listen(engine, "after_cursor_execute", after)
            statements.clear()
            by_text.clear()
            walls = []
            with Sampler() as sampler:
                for _ in range(calls):
                    t0 = time.perf_counter()
                    client.get(f"/api/{route}", headers=headers)
                    walls.append(time.perf_counter() - t0)
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)
            print(f"\n## GET {route}: {answer.status_code}, {len(answer.content)} bytes, "
                  f"{statistics.median(walls) * 1000:.2f} ms a call (median of {calls}), "
                  f"{len(statements) / calls:.1f} statements a call taking {sum(statements) / calls * 1000:.2f} ms, "
                  f"{sampler.samples} samples")
            for text, seconds in sorted(by_text.items(), key=lambda item: -item[1])[:5]:
                print(f"  {seconds / calls * 1000:6.2f} ms a call  {text}")
            for title, counter in (("own", sampler.own), ("cumulative", sampler.cumulative)):
                print(f"{title}:")
                for name, count in counter.most_common(top):
                    print(f"  {100 * count / max(1, sampler.samples):5.1f}%  {name}")

if __name__ == "__main__":
    sys.exit(main())
