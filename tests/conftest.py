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
    # the servers and commands the tests start keep their compiled modules for the next ones (each
    # start recompiled foxtrack's ~250 modules where byte-code writing was off), outside the tree
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.setdefault("PYTHONPYCACHEPREFIX", os.path.join(_shadow_root, "pycache"))  # workers: the controller's
    for name in ("FOXTRACK_FFMPEG", "FOXTRACK_FFPROBE"):
        os.environ.pop(name, None)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _shadow_root:
        shutil.rmtree(_shadow_root, ignore_errors=True)


@pytest.fixture(scope="session")
def _session_servers() -> Iterator[dict[str, RunningServer]]:
    """The session's shared servers, one per backend, started on first use and stopped at the end.

    ``server`` below is parametrised per backend; pytest tears a parametrised session fixture down
    whenever the next test wants the other parameter (which happens module after module when the
    suite runs on several workers, ``pytest -n 2``): keeping the servers here makes that switch free.
    """
    running: dict[str, RunningServer] = {}
    yield running
    for srv in running.values():
        srv.stop()
        if srv.database_url:
            drop_postgres(srv.database_url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, _session_servers: dict[str, RunningServer]) -> RunningServer:
    """The shared server of this backend (SQLite always; PostgreSQL where reachable)."""
    backend: str = request.param
    if backend not in _session_servers:
        url = None
        if backend == "postgresql":
            url = postgres_url()
            if url is None:
                pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (set FOXTRACK_TEST_PG to point at one)")
        _session_servers[backend] = start_server(database_url=url)
    return _session_servers[backend]


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
