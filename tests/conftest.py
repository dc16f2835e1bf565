"""Fixtures: a real foxtrack server per backend (SQLite always; PostgreSQL where reachable),
driven over HTTP with the real gazu."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gazu
import pytest

from foxtrack.testing import RunningServer, drop_postgres, postgres_url, start_server

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    url = None
    if request.param == "postgresql":
        url = postgres_url()
        if url is None:
            pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (set FOXTRACK_TEST_PG to point at one)")
    srv = start_server(database_url=url)
    try:
        yield srv
    finally:
        srv.stop()
        if url:
            drop_postgres(url)


@pytest.fixture()
def client(server: RunningServer) -> Iterator[object]:
    """gazu's default client, logged in as the admin of ``server``."""
    gazu.set_host(server.api)
    gazu.log_in(server.email, server.password)
    yield gazu.client.default_client
    gazu.cache.disable()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "conformance" / "run.py").exists():
        pytest.skip(f"the shared reference folder is not beside the repo ({SHARED})")
    return SHARED
