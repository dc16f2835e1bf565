"""Start a real foxtrack server for tests: a subprocess on a free port with its own data dir."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

__all__ = ["RunningServer", "free_port", "moto_server", "postgres_url", "start_server", "stop_process"]

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "mysecretpassword"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """End a process the tests started: terminate, then kill if it has not exited within 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@contextlib.contextmanager
def moto_server(timeout: float = 30.0) -> Iterator[str]:
    """A moto S3 server on a free loopback port for the block; yields its endpoint URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)


@dataclass
class RunningServer:
    """A foxtrack process serving on ``url`` (API at ``api``) until ``stop()``."""

    port: int
    data_dir: Path
    process: subprocess.Popen[bytes]
    database_url: str | None = None
    email: str = ADMIN_EMAIL
    password: str = ADMIN_PASSWORD
    _owns_dir: bool = field(default=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return f"{self.url}/api"

    def stop(self) -> None:
        stop_process(self.process)
        if self._owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def log(self) -> str:
        path = self.data_dir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


def start_server(
    database_url: str | None = None,
    data_dir: Path | None = None,
    extra_args: list[str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> RunningServer:
    """Start ``foxtrack serve`` and wait until ``HEAD /api`` answers 200."""
    owns = data_dir is None
    data_dir = Path(data_dir or tempfile.mkdtemp(prefix="foxtrack-test-"))
    port = free_port()
    cmd = [sys.executable, "-m", "foxtrack.cli", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    if database_url:
        cmd += ["--database-url", database_url]
    cmd += extra_args or []
    full_env = {**os.environ, "FOXTRACK_BCRYPT_ROUNDS": "4", "FOXTRACK_LOOP_GUARD": "raise", "FOXTRACK_ADMIN_EMAIL": ADMIN_EMAIL,
                "FOXTRACK_ADMIN_PASSWORD": ADMIN_PASSWORD, **(env or {})}
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=full_env)
    server = RunningServer(port, data_dir, process, database_url, _owns_dir=owns)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"foxtrack exited with {process.returncode}:\n{server.log()}")
        try:
            if requests.head(server.api, timeout=1).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"foxtrack did not answer within {timeout}s:\n{server.log()}")


def postgres_url() -> str | None:
    """A fresh database on the local PostgreSQL (127.0.0.1:5432, trust auth), or None if absent."""
    base = os.environ.get("FOXTRACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        import psycopg

        name = f"foxtrack_test_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(base, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        return None
    return base.rsplit("/", 1)[0] + "/" + name


def drop_postgres(url: str) -> None:
    base = os.environ.get("FOXTRACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = url.rsplit("/", 1)[1]
    try:
        import psycopg

        with psycopg.connect(base, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception:  # noqa: BLE001
        pass
