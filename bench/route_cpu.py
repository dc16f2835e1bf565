#!/usr/bin/env python3
"""Server CPU and SQL statements per call of the hot routes, in process (no HTTP, no client).

    python bench/route_cpu.py prepare DATA_DIR [--postgres | --database-url URL] [--shots 40]
    python bench/route_cpu.py measure DATA_DIR [--calls 300] [--json FILE] [--profile ROUTE]

``prepare`` starts a foxtrack on DATA_DIR, makes the small production of ``bench/routes.py``
through the API with gazu and keeps the database (and the ids of what it made, ``route-ids.json``).
``measure`` builds the app on that database with ``create_app`` (response cache off), runs its
lifespan, and calls each route straight through the ASGI interface: the CPU time of the process
per call (``time.process_time``, every thread: the event loop and the thread pool) and the
statements the route sent to the driver (``before_cursor_execute``). What remains is what the
server does for a request apart from parsing HTTP: middleware, routing, dependencies, the
handler's SQL and the encoding. ``--profile ROUTE`` prints a cProfile of that route's calls.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from routes import ROUTES as HTTP_ROUTES  # noqa: E402 - bench/ on the path first
from routes import in_process_app  # noqa: E402

ROUTES: dict[str, str] = {  # the routes of ``routes.py``, with the plain task read and two UI lists
    "get_task (tasks/{id})": "data/tasks/{task}",
    **HTTP_ROUTES,
    "projects/open": "data/projects/open",
    "user/tasks": "data/user/tasks",
}


def prepare(data_dir: Path, database_url: str | None, shots: int) -> None:
    import gazu
    from routes import make_production

    from foxtrack.testing import postgres_url, start_server

    data_dir.mkdir(parents=True, exist_ok=True)
    if database_url == "postgres":
        database_url = postgres_url()
        if database_url is None:
            raise SystemExit("no PostgreSQL on 127.0.0.1:5432")
    server = start_server(database_url=database_url, data_dir=data_dir,
                          env={"FOXTRACK_RESPONSE_CACHE": "false", "FOXTRACK_MEDIA_WORKERS": "0"}, timeout=60)
    try:
        gazu.set_host(server.api)
        gazu.log_in(server.email, server.password)
        ids = make_production(shots)
    finally:
        server.stop()
    url = database_url or f"sqlite:///{(data_dir / 'foxtrack.db').resolve()}"
    (data_dir / "route-ids.json").write_text(json.dumps({"database_url": url, "ids": ids,
                                                         "email": server.email, "password": server.password}))
    print(f"prepared {url}")


class Driver:
    """Calls an ASGI app as a server would, one request at a time, on one event loop."""

    def __init__(self, app: Any):
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.lifespan_queue: asyncio.Queue[dict[str, Any]] | None = None

    def start(self) -> None:
        self.loop.run_until_complete(self._lifespan_start())

    async def _lifespan_start(self) -> None:
        self.lifespan_queue = asyncio.Queue()
        started = asyncio.Event()

        async def receive() -> dict[str, Any]:
            assert self.lifespan_queue is not None
            return await self.lifespan_queue.get()

        async def send(message: dict[str, Any]) -> None:
            if message["type"] in ("lifespan.startup.complete", "lifespan.startup.failed"):
                started.set()
            if message["type"] == "lifespan.startup.failed":
                raise RuntimeError(message.get("message"))

        self.lifespan_task = asyncio.ensure_future(self.app({"type": "lifespan", "asgi": {"version": "3.0"},
                                                             "state": {}}, receive, send))
        await self.lifespan_queue.put({"type": "lifespan.startup"})
        await started.wait()

    def stop(self) -> None:
        async def end() -> None:
            assert self.lifespan_queue is not None
            await self.lifespan_queue.put({"type": "lifespan.shutdown"})
            await self.lifespan_task

        self.loop.run_until_complete(end())
        self.loop.close()

    def call(self, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
        return self.loop.run_until_complete(self._call(method, target, headers, body))

    def many(self, target: str, headers: dict[str, str], n: int) -> None:
        async def run() -> None:
            for _ in range(n):
                await self._call("GET", target, headers, b"")

        self.loop.run_until_complete(run())

    async def _call(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        path, _, query = target.partition("?")
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": query.encode(), "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in
                        {"host": "127.0.0.1", **headers, "content-length": str(len(body))}.items()],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80), "state": {},
        }
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


def measure(data_dir: Path, calls: int, rounds: int, profile: str | None,
            only: list[str] | None) -> list[dict[str, Any]]:
    from sqlalchemy import event

    info = json.loads((data_dir / "route-ids.json").read_text())
    app, engine = in_process_app(data_dir, info["database_url"], "bench-route-cpu")  # ``prepare`` migrated it
    driver = Driver(app)
    driver.start()
    login = json.dumps({"email": info["email"], "password": info["password"]}).encode()
    status, answer = driver.call("POST", "/api/auth/login", {"content-type": "application/json"}, login)
    assert status == 200, answer
    headers = {"authorization": f"Bearer {json.loads(answer)['access_token']}"}
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
        seen.append(statement)

    rows = []
    for name, route in ROUTES.items():
        if only and name not in only and route not in only:
            continue
        target = "/api/" + route.format(**info["ids"])
        for _ in range(20):
            status, body = driver.call("GET", target, headers)
            assert status == 200, (target, status, body[:300])
        event.listen(engine, "before_cursor_execute", record)
        seen.clear()
        driver.call("GET", target, headers)
        event.remove(engine, "before_cursor_execute", record)
        statements = list(seen)
        n = max(20, calls if len(body) < 100_000 else calls // 10)
        cpus = []
        for _ in range(rounds):
            t0 = time.process_time()
            driver.many(target, headers, n)
            cpus.append((time.process_time() - t0) / n)
        if profile and (profile == name or profile == route):
            import anyio.to_thread

            threaded = anyio.to_thread.run_sync

            async def inline(func: Any, *args: Any, **_: Any) -> Any:
                return func(*args)

            anyio.to_thread.run_sync = inline  # one thread, so that the profile sees the handler
            profiler = cProfile.Profile()
            profiler.enable()
            driver.many(target, headers, n)
            profiler.disable()
            anyio.to_thread.run_sync = threaded
            pstats.Stats(profiler).sort_stats("tottime").print_stats(35)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
        rows.append({"route": name, "cpu_ms": statistics.median(cpus) * 1000, "statements": len(statements),
                     "bytes": len(body), "sql": statements})
    driver.stop()
    engine.dispose()
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["prepare", "measure"])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--postgres", action="store_true")
    ap.add_argument("--database-url")
    ap.add_argument("--shots", type=int, default=40)
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--sql", action="store_true", help="print each route's statements")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.what == "prepare":
        prepare(args.data_dir, "postgres" if args.postgres else args.database_url, args.shots)
        return 0
    rows = measure(args.data_dir, args.calls, args.rounds, args.profile, args.only)
    backend = "PostgreSQL" if "postgresql" in json.loads((args.data_dir / "route-ids.json").read_text())[
        "database_url"] else "SQLite"
    trivial = next((r["cpu_ms"] for r in rows if r["route"].startswith("trivial")), None)
    print(f"{backend}, in process, response cache off, load {os.getloadavg()[0]:.1f}")
    print("| route | SQL statements | bytes | server CPU ms | CPU / trivial |\n|---|---|---|---|---|")
    for r in rows:
        ratio = f"{r['cpu_ms'] / trivial:.1f}x" if trivial else "-"
        print(f"| {r['route']} | {r['statements']} | {r['bytes']} | {r['cpu_ms']:.3f} | {ratio} |")
        if args.sql:
            for statement in r["sql"]:
                print("    ", " ".join(statement.split())[:400])
    if args.json:
        args.json.write_text(json.dumps({"backend": backend, "load": os.getloadavg(), "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
