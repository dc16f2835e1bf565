"""The job queue (foxtrack.jobs) on real databases: SQLite, and PostgreSQL where one answers."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from foxtrack.app import build_state
from foxtrack.config import Settings
from foxtrack.core.context import AppState, Tx
from foxtrack.db import schema as s
from foxtrack.db.engine import migrate
from foxtrack.jobs import FAILED, QUEUED, RUNNING, SUCCEEDED, GiveUp, Job, Kind, Queue, Worker, later
from foxtrack.testing import drop_postgres, postgres_url

Handler = Callable[[Worker, Job], Awaitable[None]]


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppState]:
    """A migrated database of its own, with the app state a worker needs."""
    url = None
    if request.param == "postgresql":
        url = postgres_url()
        if url is None:
            pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (set FOXTRACK_TEST_PG to point at one)")
    app_state = build_state(Settings(data_dir=tmp_path, database_url=url, secret_key="test"))
    migrate(app_state.engine)
    try:
        yield app_state
    finally:
        app_state.engine.dispose()
        if url:
            drop_postgres(url)


def enqueue(state: AppState, count: int, kind: str = "test", **options: Any) -> list[str]:
    with state.write() as tx:
        return [Queue().enqueue(tx, kind, f"target-{i}", **options) for i in range(count)]


def job_rows(state: AppState) -> dict[str, dict[str, Any]]:
    with state.read() as conn:
        return {r.target_id: dict(r._mapping) for r in conn.execute(sa.select(s.job))}


async def until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def worker(state: AppState, run: Handler, slots: int = 2, lease: float = 30.0, **kind: Any) -> Worker:
    return Worker(state, [Kind("test", run, lane="test", **kind)], {"test": slots}, poll_seconds=0.2,
                  lease_seconds=lease)


def test_racing_claims_take_each_job_exactly_once(state: AppState) -> None:
    enqueue(state, 50)
    taken: dict[str, list[str]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def claim_all(name: str) -> None:
        start.wait()
        while True:
            with state.write() as tx:
                job = Queue().claim(tx, ["test"], name, 30.0)
            if job is None:
                with state.read() as conn:
                    if Queue().next_due(conn, ["test"]) is None:
                        return
                continue
            taken[name].append(str(job.target_id))

    threads = [threading.Thread(target=claim_all, args=(name,)) for name in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    together = taken["a"] + taken["b"]
    assert sorted(together) == sorted(f"target-{i}" for i in range(50))
    rows = job_rows(state)
    assert all(r["state"] == RUNNING and r["attempts"] == 1 for r in rows.values())
    assert {r["worker"] for r in rows.values()} <= {"a", "b"}


def test_two_workers_run_each_of_50_jobs_once(state: AppState) -> None:
    enqueue(state, 50)
    runs: list[tuple[str, str]] = []

    async def run(w: Worker, job: Job) -> None:
        await asyncio.sleep(0.01)
        runs.append((w.id, str(job.target_id)))

    async def main() -> None:
        first, second = worker(state, run), worker(state, run)
        await first.start()
        await second.start()
        try:
            await until(lambda: len(runs) >= 50)
            await asyncio.sleep(0.3)
        finally:
            await first.stop()
            await second.stop()
        assert len({w for w, _ in runs}) == 2

    asyncio.run(main())
    assert sorted(t for _, t in runs) == sorted(f"target-{i}" for i in range(50))
    assert {r["state"] for r in job_rows(state).values()} == {SUCCEEDED}


def test_an_expired_lease_is_taken_again(state: AppState) -> None:
    enqueue(state, 1)
    with state.write() as tx:
        lost = Queue().claim(tx, ["test"], "elsewhere:1:dead", lease_seconds=-1)  # its worker died
    assert lost is not None and lost.attempts == 1
    ran: list[Job] = []

    async def run(_w: Worker, job: Job) -> None:
        ran.append(job)

    async def main() -> None:
        w = worker(state, run, base_delay=0.05)
        await w.start()
        try:
            await until(lambda: bool(ran))
        finally:
            await w.stop()

    asyncio.run(main())
    assert ran[0].attempts == 2 and ran[0].worker != "elsewhere:1:dead"
    row = job_rows(state)["target-0"]
    assert row["state"] == SUCCEEDED and row["attempts"] == 2


def test_the_lease_of_a_running_job_is_renewed(state: AppState) -> None:
    enqueue(state, 1)
    release = asyncio.Event()
    leases: list[str] = []

    async def run(_w: Worker, _job: Job) -> None:
        await release.wait()

    async def main() -> None:
        w = worker(state, run, slots=1, lease=0.6)
        await w.start()
        try:
            await until(lambda: job_rows(state)["target-0"]["state"] == RUNNING)
            leases.append(job_rows(state)["target-0"]["lease_until"])
            await asyncio.sleep(1.0)  # longer than the lease: renewed meanwhile, never taken again
            leases.append(job_rows(state)["target-0"]["lease_until"])
            assert job_rows(state)["target-0"]["attempts"] == 1
            release.set()
            await until(lambda: job_rows(state)["target-0"]["state"] == SUCCEEDED)
        finally:
            await w.stop()

    asyncio.run(main())
    assert leases[1] > leases[0]


def test_failures_are_retried_with_backoff_then_the_job_fails(state: AppState) -> None:
    enqueue(state, 1, max_attempts=3)
    attempts: list[float] = []
    recorded: list[tuple[int, str | None]] = []

    async def run(_w: Worker, _job: Job) -> None:
        attempts.append(time.monotonic())
        raise RuntimeError("the render farm is on fire")

    def failed(_tx: Tx, job: Job, error: BaseException, retry_at: str | None) -> None:
        assert isinstance(error, RuntimeError)
        recorded.append((job.attempts, retry_at))

    async def main() -> None:
        w = worker(state, run, max_attempts=3, base_delay=0.3, failed=failed)
        await w.start()
        try:
            await until(lambda: job_rows(state)["target-0"]["state"] == FAILED)
        finally:
            await w.stop()

    asyncio.run(main())
    assert len(attempts) == 3
    assert attempts[1] - attempts[0] >= 0.3 and attempts[2] - attempts[1] >= 0.6  # 0.3 s, then 0.6 s
    assert [n for n, _ in recorded] == [1, 2, 3]
    assert recorded[0][1] is not None and recorded[1][1] is not None and recorded[2][1] is None
    row = job_rows(state)["target-0"]
    assert row["attempts"] == 3 and row["last_error"] == "the render farm is on fire" and row["lease_until"] is None


def test_a_handler_that_gives_up_fails_at_once(state: AppState) -> None:
    enqueue(state, 1, max_attempts=5)

    async def run(_w: Worker, _job: Job) -> None:
        raise GiveUp("not a movie")

    async def main() -> None:
        w = worker(state, run)
        await w.start()
        try:
            await until(lambda: job_rows(state)["target-0"]["state"] == FAILED)
        finally:
            await w.stop()

    asyncio.run(main())
    row = job_rows(state)["target-0"]
    assert row["attempts"] == 1 and row["last_error"] == "not a movie"


def test_a_delayed_job_waits_for_its_time(state: AppState) -> None:
    enqueue(state, 1, run_after=later(0.8))
    started: list[float] = []

    async def run(_w: Worker, _job: Job) -> None:
        started.append(time.monotonic())

    async def main() -> None:
        w = worker(state, run)
        begin = time.monotonic()
        await w.start()
        try:
            await until(lambda: bool(started))
        finally:
            await w.stop()
        assert 0.7 <= started[0] - begin < 5.0

    asyncio.run(main())


def test_shutdown_gives_jobs_in_flight_back_to_the_queue(state: AppState) -> None:
    enqueue(state, 3)
    running: set[str] = set()

    async def forever(_w: Worker, job: Job) -> None:
        running.add(str(job.target_id))
        await asyncio.Event().wait()

    done: list[str] = []

    async def quick(_w: Worker, job: Job) -> None:
        done.append(str(job.target_id))

    async def main() -> None:
        first = worker(state, forever, slots=2)
        await first.start()
        try:
            await until(lambda: len(running) == 2)
        finally:
            await first.stop()
        rows = job_rows(state)
        assert sorted(r["state"] for r in rows.values()) == [QUEUED] * 3
        assert all(r["worker"] is None and r["attempts"] == 0 and r["lease_until"] is None for r in rows.values())
        second = worker(state, quick)
        await second.start()
        try:
            await until(lambda: len(done) == 3)
        finally:
            await second.stop()

    asyncio.run(main())
    assert sorted(done) == ["target-0", "target-1", "target-2"]


def test_a_stopped_claim_can_no_longer_touch_its_job(state: AppState) -> None:
    enqueue(state, 1)
    queue = Queue()
    with state.write() as tx:
        old = queue.claim(tx, ["test"], "w1", lease_seconds=-1)
    assert old is not None
    with state.write() as tx:
        assert queue.fail(tx, old, "lease ran out", later(-1))  # what a sweep does
    with state.write() as tx:
        new = queue.claim(tx, ["test"], "w2", lease_seconds=30)
        assert new is not None and new.attempts == 2
        assert not queue.finish(tx, old) and not queue.release(tx, old)
        assert queue.renew(tx, "w1", 30) == set()
        assert queue.finish(tx, new)
    assert job_rows(state)["target-0"]["state"] == SUCCEEDED


def test_migration_0005_queues_the_work_the_old_queues_held(tmp_path: Path) -> None:
    from foxtrack.db.migrations import upgrade

    app_state = build_state(Settings(data_dir=tmp_path, secret_key="test"))
    engine = app_state.engine
    upgrade(engine, "0004")
    stamp, old = "2024-01-01T00:00:00.000000", "2000-01-01T00:00:00.000000"
    common = {"created_at": stamp, "updated_at": stamp}
    with engine.begin() as conn:
        conn.execute(s.preview_file.insert(), [
            {"id": "movie", **common, "status": "processing",
             "data": {"job": {"state": "running", "attempts": 1, "worker": "h:1:x", "lease_until": old}}},
            {"id": "picture", **common, "status": "ready", "data": None}])
        conn.execute(s.build_job.insert(), [{"id": "build", **common, "status": "running"},
                                            {"id": "built", **common, "status": "succeeded"}])
        conn.execute(s.webhook_delivery.insert(), [
            {"id": "call", **common, "webhook_id": "hook", "status": "retrying", "attempts": 2,
             "next_attempt_at": old},
            {"id": "made", **common, "webhook_id": "hook", "status": "delivered", "attempts": 1,
             "next_attempt_at": old}])
    upgrade(engine)
    rows = job_rows(app_state)
    assert {t: (r["kind"], r["state"], r["attempts"]) for t, r in rows.items()} == {
        "movie": ("transcode", QUEUED, 1), "build": ("playlist-build", QUEUED, 0), "call": ("webhook", QUEUED, 2)}
    assert rows["call"]["run_after"] == old
    with engine.connect() as conn:
        data = conn.execute(sa.select(s.preview_file.c.data).where(s.preview_file.c.id == "movie")).scalar()
    assert data == {"job": {"id": rows["movie"]["id"]}}
    engine.dispose()


def test_notify_wakes_an_idle_worker(state: AppState) -> None:
    ran: list[float] = []

    async def run(_w: Worker, _job: Job) -> None:
        ran.append(time.monotonic())

    async def main() -> None:
        w = Worker(state, [Kind("test", run, lane="test")], {"test": 1}, poll_seconds=60.0)
        await w.start()
        try:
            await asyncio.sleep(0.3)  # the worker found nothing and sleeps for a minute
            await asyncio.to_thread(enqueue, state, 1)
            queued = time.monotonic()
            w.notify()
            await until(lambda: bool(ran), timeout=5.0)
            assert ran[0] - queued < 2.0
        finally:
            await w.stop()

    asyncio.run(main())
