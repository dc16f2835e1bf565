"""Fixtures: a real foxtrack server per backend (SQLite always; PostgreSQL where reachable),
driven over HTTP with the real gazu."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import gazu
import pytest

from foxtrack.testing import RunningServer, drop_postgres, postgres_url, start_server

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

# Programs a developer may have installed by hand but that the project's own files do not install: the
# suite runs with them hidden from PATH (servers it starts included), as on a new user's machine, so a
# test or a code path that needs one fails here rather than only on a fresh clone.
HIDDEN_TOOLS = ("ffmpeg", "ffprobe", "chromium", "chromium-browser", "chromedriver", "google-chrome",
                "node", "npm", "npx", "convert", "magick")
_shadow_root: str | None = None


def _path_without(tools: tuple[str, ...], root: Path) -> str:
    """PATH with each folder that holds one of ``tools`` replaced by a folder of links to everything else."""
    folders = []
    for index, folder in enumerate(os.environ.get("PATH", "").split(os.pathsep)):
        if not folder or not any(os.path.exists(os.path.join(folder, tool)) for tool in tools):
            folders.append(folder)
            continue
        shadow = root / str(index)
        shadow.mkdir()
        for entry in os.scandir(folder):
            if entry.name not in tools:
                (shadow / entry.name).symlink_to(entry.path)
        folders.append(str(shadow))
    return os.pathsep.join(folders)


def pytest_configure(config: pytest.Config) -> None:
    global _shadow_root
    _shadow_root = tempfile.mkdtemp(prefix="foxtrack-path-")
    os.environ["PATH"] = _path_without(HIDDEN_TOOLS, Path(_shadow_root))
    os.environ["FOXTRACK_TEST_HIDDEN_TOOLS"] = ",".join(HIDDEN_TOOLS)
    for name in ("FOXTRACK_FFMPEG", "FOXTRACK_FFPROBE"):
        os.environ.pop(name, None)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _shadow_root:
        shutil.rmtree(_shadow_root, ignore_errors=True)


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
