"""Task duration and estimation and time spent duration are floats, as in Zou (migration 0004), also
in databases made before it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from foxtrack.db.engine import create_engine
from foxtrack.db.migrations import upgrade
from foxtrack.db.schema import FloatNumber
from foxtrack.testing import drop_postgres, postgres_url

COLUMNS = [("task", "duration"), ("task", "estimation"), ("time_spent", "duration")]


def test_postgresql_integer_columns_become_double_precision() -> None:
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (set FOXTRACK_TEST_PG to point at one)")
    engine = create_engine(url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as conn:  # the columns as revisions before 0004 made them
            for table, column in COLUMNS:
                conn.execute(sa.text(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE integer'))
        upgrade(engine, "0004")
        inspector = sa.inspect(engine)
        for table, column in COLUMNS:
            kind = {c["name"]: c["type"] for c in inspector.get_columns(table)}[column]
            assert isinstance(kind, sa.Float) and not isinstance(kind, sa.Integer), (table, column, kind)
    finally:
        engine.dispose()
        drop_postgres(url)


def test_sqlite_integer_affinity_reads_back_floats(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE spent (duration INTEGER)"))
            conn.execute(sa.text("INSERT INTO spent VALUES (960), (30.5), (NULL)"))
            spent = sa.Table("spent", sa.MetaData(), sa.Column("duration", FloatNumber()))
            values = conn.execute(sa.select(spent.c.duration)).scalars().all()
            total = conn.execute(sa.select(sa.func.sum(spent.c.duration))).scalar()
        assert values == [960.0, 30.5, None] and isinstance(values[0], float)
        assert isinstance(total, float) and total == 990.5
    finally:
        engine.dispose()
