#!/usr/bin/env python3
"""Per-route cost of the hot reads against their floor, with the response cache off.

    python bench/routes.py [--database-url URL | --postgres] [--calls 200] [--shots 40] [--json FILE]

Starts a foxtrack (``FOXTRACK_RESPONSE_CACHE=false``, SQLite unless ``--database-url``/``--postgres``),
makes a small production through the API with gazu (sequences, shots and assets with tasks,
casting, assignations, comments), then, for each hot route (what gazu's ``get_task``, ``get_shot``,
``all_tasks_for_shot``, ``get_shot_casting``, ``all_comments_for_task`` and Kitsu's
``data/user/context`` and ``*/with-tasks`` lists call):

- **http**: the route's round trip from one keep-alive client, per call (median of rounds);
- **cpu**: the server process's CPU time per call (``/proc/<pid>/stat``, user + system);
- **floor**: the same SQL plus JSON encoding in process, no HTTP: the statements the route ran
  (captured from an in-process app on the same database) replayed through the driver, and the
  answer encoded with orjson;

and prints route time / floor and server CPU / a trivial route's (``GET /api/``, and
``auth/authenticated`` for the authenticated path).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gazu
import orjson
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from foxtrack.testing import drop_postgres, postgres_url, start_server  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def make_production(shots: int) -> dict[str, str]:
    """A small production through the API; the ids the routes need."""
    project = gazu.project.new_project(f"Routes {time.time():.0f}", "tvshow")
    task_types = [t for t in gazu.task.all_task_types() if t["for_entity"] == "Shot"][:4]
    asset_task_types = [t for t in gazu.task.all_task_types() if t["for_entity"] == "Asset"][:2]
    status = next(s for s in gazu.task.all_task_statuses() if s["short_name"] == "wip")
    me = gazu.client.get_current_user()
    gazu.project.add_person_to_team(project, me)
    episode = gazu.shot.new_episode(project, "E01")
    asset_type = gazu.asset.new_asset_type("Props")
    assets = [gazu.asset.new_asset(project, asset_type, f"prop{i:03d}") for i in range(max(4, shots // 2))]
    for asset in assets:
        gazu.task.create_asset_tasks(asset, asset_task_types)
    all_shots = []
    for seq_no in range(2):
        sequence = gazu.shot.new_sequence(project, f"SQ{seq_no + 1:02d}", episode=episode)
        for i in range(shots // 2):
            shot = gazu.shot.new_shot(project, sequence, f"SH{i:04d}", nb_frames=48)
            gazu.task.create_shot_tasks(shot, task_types)
            all_shots.append(shot)
    for n, shot in enumerate(all_shots):
        gazu.casting.update_shot_casting(project, shot, [
            {"asset_id": assets[(n + k) % len(assets)]["id"], "nb_occurences": 1} for k in range(3)])
    shot = all_shots[len(all_shots) // 2]
    tasks = gazu.task.all_tasks_for_shot(shot)
    gazu.task.assign_task(tasks[0], me)
    for k in range(6):
        gazu.task.add_comment(tasks[0], status, f"comment {k}")
    return {"project": project["id"], "shot": shot["id"], "task": tasks[0]["id"], "episode": episode["id"]}


ROUTES: dict[str, str] = {
    "trivial GET /api/": "",
    "auth/authenticated": "auth/authenticated",
    "get_task (tasks/{id}/full)": "data/tasks/{task}/full",
    "get_shot": "data/shots/{shot}",
    "all_tasks_for_shot": "data/shots/{shot}/tasks",
    "get_shot_casting": "data/projects/{project}/entities/{shot}/casting",
    "all_comments_for_task": "data/tasks/{task}/comments",
    "user/context": "data/user/context",
    "shots/with-tasks": "data/shots/with-tasks?project_id={project}",
    "assets/with-tasks": "data/assets/with-tasks?project_id={project}",
}


def time_http(session: requests.Session, url: str, pid: int, calls: int, rounds: int) -> tuple[float, float, bytes]:
    body = b""
    for _ in range(5):
        answer = session.get(url, timeout=60)
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:200])
        body = answer.content
    walls, cpus = [], []
    for _ in range(rounds):
        cpu0, t0 = process_cpu(pid), time.perf_counter()
        for _ in range(calls):
            session.get(url, timeout=60)
        walls.append((time.perf_counter() - t0) / calls)
        cpus.append((process_cpu(pid) - cpu0) / calls)
    return statistics.median(walls), statistics.median(cpus), body


def in_process_app(data_dir: Path, database_url: str, secret_key: str) -> tuple[Any, Any]:
    """An app on an already prepared database, response cache off, and its engine (found under the
    middleware layers): for the in-process measurements of ``routes.py``, ``route_cpu.py`` and
    ``profile_routes.py``."""
    from foxtrack.app import create_app
    from foxtrack.config import Settings

    settings = Settings(data_dir=data_dir, database_url=database_url, response_cache=False, media_workers=0,
                        secret_key=secret_key)
    app = create_app(settings, prepare_database=False)
    layer: Any = app
    while not (hasattr(layer, "router") and hasattr(layer, "state")):
        layer = getattr(layer, "app", None) or layer.other_asgi_app
    return app, layer.state.foxtrack.engine


def capture_sql(database_url: str, data_dir: Path, email: str, password: str,
                paths: dict[str, str]) -> dict[str, list[tuple[str, Any]]]:
    """The driver-level statements each route runs, from an in-process app on the same database."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    app, engine = in_process_app(data_dir, database_url, "bench-routes-capture")
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    out: dict[str, list[tuple[str, Any]]] = {}
    with TestClient(app) as client:
        token = client.post("/api/auth/login", json={"email": email, "password": password}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for name, path in paths.items():
            client.get(f"/api/{path}", headers=headers)  # compiled, identity remembered
            event.listen(engine, "before_cursor_execute", record)
            seen.clear()
            client.get(f"/api/{path}", headers=headers)
            event.remove(engine, "before_cursor_execute", record)
            out[name] = list(seen)
    return out


def floor_of(database_url: str, statements: list[tuple[str, Any]], body: bytes, calls: int) -> float:
    """Median time of the route's statements through the driver plus orjson encoding of its answer."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    answer = orjson.loads(body)
    samples = []
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None

        def once() -> None:
            cursor = raw.cursor()
            for statement, params in statements:
                cursor.execute(statement, params)
                if cursor.description is not None:
                    cursor.fetchall()
            cursor.close()
            orjson.dumps(answer)

        for _ in range(5):
            once()
        for _ in range(calls):
            t0 = time.perf_counter()
            once()
            samples.append(time.perf_counter() - t0)
        raw.rollback()
    engine.dispose()
    return statistics.median(samples)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url")
    ap.add_argument("--postgres", action="store_true", help="a fresh database on 127.0.0.1:5432")
    ap.add_argument("--calls", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--shots", type=int, default=40)
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()
    url, fresh = args.database_url, False
    if args.postgres and not url:
        url, fresh = postgres_url(), True
        if url is None:
            raise SystemExit("no PostgreSQL on 127.0.0.1:5432")
    server = start_server(database_url=url, env={"FOXTRACK_RESPONSE_CACHE": "false", "FOXTRACK_MEDIA_WORKERS": "0"},
                          timeout=60)
    rows: list[dict[str, Any]] = []
    try:
        gazu.set_host(server.api)
        gazu.log_in(server.email, server.password)
        ids = make_production(args.shots)
        paths = {name: route.format(**ids) for name, route in ROUTES.items()}
        database_url = url or f"sqlite:///{(server.data_dir / 'foxtrack.db').resolve()}"
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {gazu.client.default_client.tokens['access_token']}"
        measured: dict[str, tuple[float, float, bytes]] = {}
        for name, path in paths.items():
            measured[name] = time_http(session, f"{server.api}/{path}", server.process.pid, args.calls, args.rounds)
        captured = capture_sql(database_url, server.data_dir, server.email, server.password,
                               {k: v for k, v in paths.items() if v})
        trivial_cpu = measured["trivial GET /api/"][1]
        auth_cpu = measured["auth/authenticated"][1]
        for name, (wall, cpu, body) in measured.items():
            statements = captured.get(name, [])
            floor = floor_of(database_url, statements, body, args.calls) if name in captured else None
            rows.append({"route": name, "http_ms": wall * 1000, "cpu_ms": cpu * 1000,
                         "floor_ms": None if floor is None else floor * 1000, "statements": len(statements),
                         "bytes": len(body), "cpu_over_trivial": cpu / trivial_cpu if trivial_cpu else None,
                         "cpu_over_authenticated": cpu / auth_cpu if auth_cpu else None})
    finally:
        server.stop()
        if fresh and url:
            drop_postgres(url)
    backend = "PostgreSQL" if url else "SQLite"
    print(f"{backend}, response cache off, {args.calls} calls x {args.rounds} rounds, load {os.getloadavg()[0]:.1f}")
    print("| route | SQL statements | bytes | http ms | server CPU ms | floor ms | http / floor | CPU / trivial "
          "| CPU / auth/authenticated |\n|---|---|---|---|---|---|---|---|---|")

    def fmt(value: float | None, pattern: str = "{:.2f}") -> str:
        return "-" if value is None else pattern.format(value)

    for r in rows:
        ratio: Callable[[], float | None] = lambda: (r["http_ms"] / r["floor_ms"]) if r["floor_ms"] else None  # noqa: E731
        print(f"| {r['route']} | {r['statements']} | {r['bytes']} | {fmt(r['http_ms'])} | {fmt(r['cpu_ms'])} | "
              f"{fmt(r['floor_ms'])} | {fmt(ratio(), '{:.1f}x')} | {fmt(r['cpu_over_trivial'], '{:.1f}x')} | "
              f"{fmt(r['cpu_over_authenticated'], '{:.1f}x')} |")
    if args.json:
        args.json.write_text(json.dumps({"backend": backend, "calls": args.calls, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
