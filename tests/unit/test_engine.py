"""The PostgreSQL engine: reads run in autocommit (no BEGIN/ROLLBACK round trips around them), writes
stay one transaction, and a pooled connection that died while idle is replaced before use."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from foxtrack.db import engine as engines
from foxtrack.testing import drop_postgres, postgres_url


@pytest.fixture()
def pg_engine() -> Iterator[Engine]:
    url = postgres_url()
    if url is None:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    engine = engines.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE note (id integer PRIMARY KEY)"))
    yield engine
    engine.dispose()
    drop_postgres(url)


def test_reads_are_autocommit_and_writes_one_transaction(pg_engine: Engine) -> None:
    reader = engines.read_engine(pg_engine)
    with reader.connect() as conn:
        assert conn.connection.dbapi_connection.autocommit is True  # type: ignore[union-attr]
        assert conn.execute(sa.text("SELECT count(*) FROM note")).scalar() == 0
        # no transaction left open by the read: the server sees the session idle, not "in transaction"
        status = conn.connection.dbapi_connection.info.transaction_status  # type: ignore[union-attr]
        assert status == psycopg.pq.TransactionStatus.IDLE
    with pytest.raises(RuntimeError), pg_engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO note VALUES (1)"))
        raise RuntimeError("the unit of work fails")
    with pg_engine.begin() as conn:  # the connection went back to the pool from a read: still transactional
        assert conn.connection.dbapi_connection.autocommit is False  # type: ignore[union-attr]
        conn.execute(sa.text("INSERT INTO note VALUES (2)"))
    with reader.connect() as conn:
        assert conn.execute(sa.text("SELECT id FROM note")).scalars().all() == [2]


def test_connection_killed_while_idle_is_replaced(pg_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    reader = engines.read_engine(pg_engine)
    with reader.connect() as conn:
        pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    with psycopg.connect(pg_engine.url.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 0.0)  # the pooled connection counts as idle
    with reader.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar() != pid
        assert conn.execute(sa.text("SELECT count(*) FROM note")).scalar() == 0
