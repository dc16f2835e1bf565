"""Engine creation and schema management for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from foxtrack.db.schema import metadata


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def create_engine(url: str) -> Engine:
    """An engine tuned for the backend: WAL + NORMAL sync for SQLite, a pool for PostgreSQL."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=16,
        )

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=OFF")
            cur.execute("PRAGMA cache_size=-65536")
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.execute("PRAGMA mmap_size=268435456")
            cur.close()

        return engine
    engine = sa.create_engine(
        url,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        pool_size=10,
        max_overflow=20,
        connect_args={"prepare_threshold": PREPARE_AFTER},
    )
    _ping_when_idle(engine)

    @sa.event.listens_for(engine, "connect")
    def _statement_cache(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.prepared_max = PREPARED_PER_CONNECTION

    return engine


# PostgreSQL plans a statement on each execution unless it is prepared: psycopg prepares (on the
# server, per connection) a statement run more than PREPARE_AFTER times, and keeps the
# PREPARED_PER_CONNECTION most recent. The statements are built once per shape and their values
# bound at execution, so the hot paths' few hundred shapes stay prepared.
PREPARE_AFTER = 1
PREPARED_PER_CONNECTION = 1000


# A pooled connection idle for longer than this is pinged before use (a restarted server, a
# dropped link). ``pool_pre_ping`` pings on every checkout: one more round trip on each request.
PING_AFTER_IDLE_SECONDS = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection only when it comes back after a while; a connection that fails the
    ping is replaced (the pool's documented ``DisconnectionError`` protocol)."""

    @sa.event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # noqa: BLE001 - any failure: the connection is gone
            raise sa.exc.DisconnectionError() from exc
        if not alive:
            raise sa.exc.DisconnectionError()


def read_engine(engine: Engine) -> Engine:
    """The engine reads check out from (the same pool). On PostgreSQL they run in autocommit: a
    read-only request sends its SELECTs alone, without a BEGIN and a ROLLBACK around them. Each
    statement sees what was committed when it started, as it does in a READ COMMITTED transaction
    (PostgreSQL's default), so what a request reads does not change."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (Alembic), creating it on a new database."""
    from foxtrack.db.migrations import upgrade

    upgrade(engine)


__all__ = ["create_engine", "metadata", "migrate", "read_engine"]
