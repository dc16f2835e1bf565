"""Unit-test fixtures: a fresh SQLite database per test, with foxtrack's schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from foxtrack.db.engine import create_engine
from foxtrack.db.schema import metadata


@pytest.fixture()
def engine(tmp_path: Path) -> Iterator[Engine]:
    """An empty foxtrack database (SQLite, in this test's temporary folder)."""
    eng = create_engine(f"sqlite:///{tmp_path / 'foxtrack.db'}")
    metadata.create_all(eng)
    yield eng
    eng.dispose()
