"""Planner statistics on PostgreSQL (``foxtrack.db.statistics``): where autovacuum is off, a server
analyzes the tables its writes changed past autovacuum's threshold; where it is on, it leaves that
to PostgreSQL."""

from __future__ import annotations

import time
import uuid

import gazu
import psycopg
import pytest

from foxtrack.testing import drop_postgres, postgres_url, start_server


@pytest.fixture()
def database() -> str:
    url = postgres_url()
    if url is None:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    yield url
    drop_postgres(url)


def autovacuum_on(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW autovacuum").fetchone()
    return row is not None and row[0] == "on"


def analyzed(url: str, table: str) -> tuple[bool, float]:
    """Whether ``table`` was analyzed by a manual ANALYZE, and the row count the planner sees."""
    with psycopg.connect(url) as conn:
        last = conn.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s", (table,)).fetchone()
        rows = conn.execute("SELECT reltuples FROM pg_class WHERE relname = %s", (table,)).fetchone()
    return bool(last and last[0] is not None), float(rows[0]) if rows else -1.0


def test_tables_filled_by_writes_get_statistics(database: str) -> None:
    server = start_server(database_url=database, env={"FOXTRACK_PG_ANALYZE_SECONDS": "0.5"}, timeout=60)
    try:
        gazu.set_host(server.api)
        gazu.log_in(server.email, server.password)
        project = gazu.project.new_project(f"Stats {uuid.uuid4().hex[:6]}", "tvshow")
        sequence = gazu.shot.new_sequence(project, "SQ01")
        shot_types = [t for t in gazu.task.all_task_types() if t["for_entity"] == "Shot"][:2]
        for n in range(80):
            shot = gazu.shot.new_shot(project, sequence, f"SH{n:03d}")
            gazu.task.create_shot_tasks(shot, shot_types)
        deadline = time.monotonic() + 15
        seen = analyzed(database, "task")
        while not seen[0] and time.monotonic() < deadline:
            time.sleep(0.25)
            seen = analyzed(database, "task")
        if autovacuum_on(database):
            # PostgreSQL's daemon does it, on its own schedule: foxtrack ran no ANALYZE of its own
            assert not seen[0]
        else:
            assert seen[0], "the task table was never analyzed"
            assert seen[1] > 50, seen  # the planner sees tasks, not an empty table
    finally:
        server.stop()
