"""Planner statistics on PostgreSQL when autovacuum does not keep them.

PostgreSQL plans a query from each table's statistics, which ``ANALYZE`` gathers; its autovacuum
daemon runs ``ANALYZE`` on a table once more than 50 rows plus 10% of it changed. With autovacuum
turned off (some hosts do), a table filled after its creation keeps "empty" statistics: the planner
expects a handful of rows and picks nested loops over thousands (``data/tasks/open-tasks`` on a
10,000-task production took twice as long as after an ``ANALYZE``). There, foxtrack does the
daemon's work: every ``interval`` seconds one process (an advisory lock elects it) analyzes the
tables of its schema that crossed the same threshold. With autovacuum on, it does nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("foxtrack.db.statistics")

# autovacuum's defaults (autovacuum_analyze_threshold, autovacuum_analyze_scale_factor)
THRESHOLD_ROWS = 50
THRESHOLD_SHARE = 0.1
LOCK_KEY = 0x666F78_7374  # "foxst": one analyzing process per database

_STALE = (
    "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() "
    "AND n_mod_since_analyze > %(rows)s + %(share)s * n_live_tup ORDER BY relname"
)


def analyze_stale(conn: Connection) -> list[str]:
    """``ANALYZE`` the tables whose rows changed past autovacuum's threshold since they were last
    analyzed, unless autovacuum is on or another process holds the lock; the tables analyzed."""
    if str(conn.exec_driver_sql("SHOW autovacuum").scalar()).lower() == "on":
        return []
    if not conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({LOCK_KEY})").scalar():
        return []
    try:
        tables = [str(name) for name in conn.exec_driver_sql(
            _STALE, {"rows": THRESHOLD_ROWS, "share": THRESHOLD_SHARE}).scalars()]
        quote = conn.dialect.identifier_preparer.quote
        for name in tables:
            conn.exec_driver_sql(f"ANALYZE {quote(name)}")
        return tables
    finally:
        conn.exec_driver_sql(f"SELECT pg_advisory_unlock({LOCK_KEY})")


class StatisticsKeeper:
    """Runs ``analyze_stale`` every ``interval`` seconds on a thread of the pool, from the app's
    start-up to its shutdown (PostgreSQL only)."""

    def __init__(self, engine: Engine, interval: float):
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.interval = interval
        self._task: asyncio.Task[Any] | None = None

    def once(self) -> list[str]:
        with self.engine.connect() as conn:
            return analyze_stale(conn)

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                analyzed = await asyncio.to_thread(self.once)
            except Exception:  # noqa: BLE001 - a failed round is retried at the next
                log.exception("could not refresh the planner statistics")
                continue
            if analyzed:
                log.info("analyzed %s", ", ".join(analyzed))


def install(state: Any) -> StatisticsKeeper | None:
    """A keeper for this app when its database is PostgreSQL and the interval is not 0."""
    interval = float(state.settings.pg_analyze_seconds)
    if state.engine.dialect.name != "postgresql" or interval <= 0:
        return None
    keeper = StatisticsKeeper(state.engine, interval)
    state.extras.setdefault("startup", []).append(keeper.start)
    state.extras.setdefault("shutdown", []).append(keeper.stop)
    return keeper
