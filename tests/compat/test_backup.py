"""``foxtrack backup`` while gazu writes to the live server in parallel, then ``foxtrack restore`` into
another database of the same kind: the restored rows are exactly the archive's counts, and the snapshot
is whole (every task's entity and every entity's project is there), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gazu
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from foxtrack.cli import app
from foxtrack.db import schema as s
from foxtrack.testing import RunningServer, drop_postgres, postgres_url


def run(*args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout) if code == 0 else result.stderr


def _where(data_dir: Path, url: str | None) -> list[str]:
    return ["--data-dir", str(data_dir), *(["--database-url", url] if url else [])]


class Writer(threading.Thread):
    """Creates assets with a task each through gazu until stopped (at most ``limit``)."""

    def __init__(self, server: RunningServer, limit: int = 300):
        super().__init__(daemon=True)
        self.client = gazu.client.create_client(server.api)
        gazu.log_in(server.email, server.password, client=self.client)
        self.stop = threading.Event()
        self.written = 0
        self.limit = limit
        self.error: BaseException | None = None
        tag = uuid.uuid4().hex[:8]
        self.project = gazu.project.new_project(f"Backup {tag}", "short", client=self.client)
        self.asset_type = gazu.asset.new_asset_type(f"Backup {tag}", client=self.client)
        self.task_type = gazu.task.new_task_type(f"Backup {tag}", for_entity="Asset", client=self.client)

    def run(self) -> None:
        try:
            while not self.stop.is_set() and self.written < self.limit:
                asset = gazu.asset.new_asset(self.project, self.asset_type, f"A{self.written:04d}", client=self.client)
                gazu.task.new_task(asset, self.task_type, client=self.client)
                self.written += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.written < count and time.monotonic() < deadline and self.is_alive():
            time.sleep(0.05)
        assert self.written >= count, self.error


@pytest.fixture()
def restore_target(server: RunningServer, tmp_path: Path) -> Iterator[tuple[Path, str | None]]:
    url = postgres_url() if server.database_url else None
    yield tmp_path / "restored", url
    if url:
        drop_postgres(url)


def _engine(data_dir: Path, url: str | None) -> sa.Engine:
    return sa.create_engine((url or f"sqlite:///{data_dir / 'foxtrack.db'}").replace("postgresql://",
                                                                                     "postgresql+psycopg://"))


def test_backup_under_writes_restores_the_same_counts(server: RunningServer, client: object, tmp_path: Path,
                                                      restore_target: tuple[Path, str | None]) -> None:
    writer = Writer(server)
    writer.start()
    try:
        writer.wait_for(3)
        before = writer.written
        archive = tmp_path / "studio.tar.gz"
        made = run("backup", str(archive), "--files", *_where(server.data_dir, server.database_url))
        during = writer.written
        writer.wait_for(during + 2)  # the server kept taking writes after the snapshot
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert made["dialect"] == ("postgresql" if server.database_url else "sqlite")
    project_id = writer.project["id"]
    counts = made["counts"]
    assert counts["entity"] > 0 and counts["task"] > 0 and made["archive_bytes"] == archive.stat().st_size

    data_dir, url = restore_target
    restored = run("restore", str(archive), *_where(data_dir, url))
    assert restored["same_counts"] is True and restored["counts"] == counts
    assert restored["files"] == made["files"]
    engine = _engine(data_dir, url)
    try:
        with engine.connect() as conn:
            assets = conn.execute(sa.select(sa.func.count()).select_from(s.entity)
                                  .where(s.entity.c.project_id == project_id)).scalar()
            orphan_tasks = conn.execute(sa.select(sa.func.count()).select_from(s.task).where(
                s.task.c.entity_id.not_in(sa.select(s.entity.c.id)))).scalar()
            orphan_entities = conn.execute(sa.select(sa.func.count()).select_from(s.entity).where(
                s.entity.c.project_id.not_in(sa.select(s.project.c.id)))).scalar()
            tasks = conn.execute(sa.select(sa.func.count()).select_from(s.task)
                                 .where(s.task.c.project_id == project_id)).scalar()
    finally:
        engine.dispose()
    # the snapshot holds the writes made before it, none made after, and no half of one
    assert before <= assets <= during + 1 and tasks in (assets, assets - 1)
    assert (orphan_tasks, orphan_entities) == (0, 0)
    if made["files"]:
        assert (data_dir / "files").is_dir()

    assert "holds data" in run("restore", str(archive), *_where(data_dir, url), code=1)
    again = run("restore", str(archive), "--force", *_where(data_dir, url))
    assert again["counts"] == counts


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not an archive")
    assert "not a foxtrack backup" in run("restore", str(bogus), "--data-dir", str(tmp_path / "d"), code=1)
    assert "does not exist" in run("restore", str(tmp_path / "none.tar.gz"), "--data-dir", str(tmp_path), code=1)
