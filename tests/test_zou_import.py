"""``foxtrack import-zou``: a Zou-shaped PostgreSQL database (uuid, timestamp, jsonb, bytea) copied
into a fresh SQLite foxtrack, then read back through gazu with the people's old passwords."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import gazu
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from foxtrack.testing import drop_postgres, postgres_url, start_server

PASSWORD = "old-zou-password"
CREATED = dt.datetime(2024, 1, 2, 3, 4, 5, 123456)
IDS = {name: str(uuid.uuid4()) for name in (
    "person", "open", "project", "asset_type", "sequence_type", "shot_type", "sequence", "shot",
    "task_type", "todo", "task", "comment", "preview")}


def _zou_table(meta: sa.MetaData, name: str, *columns: sa.Column[Any]) -> sa.Table:
    return sa.Table(name, meta, sa.Column("id", pg.UUID(as_uuid=False), primary_key=True),
                    sa.Column("created_at", sa.DateTime()), sa.Column("updated_at", sa.DateTime()), *columns)


def _ref(name: str, target: str) -> sa.Column[Any]:
    return sa.Column(name, pg.UUID(as_uuid=False), sa.ForeignKey(f"{target}.id"))


def _build_zou(url: str) -> None:
    meta = sa.MetaData()
    person = _zou_table(meta, "person", sa.Column("first_name", sa.String(80)), sa.Column("last_name", sa.String(80)),
                        sa.Column("email", sa.String(255)), sa.Column("password", sa.LargeBinary()),
                        sa.Column("role", sa.String(30)), sa.Column("active", sa.Boolean()),
                        sa.Column("last_presence", sa.Date()), sa.Column("oidc_subject", sa.String(255)))
    project_status = _zou_table(meta, "project_status", sa.Column("name", sa.String(20)), sa.Column("color", sa.String(7)))
    project = _zou_table(meta, "project", sa.Column("name", sa.String(80)), _ref("project_status_id", "project_status"),
                         sa.Column("production_type", sa.String(20)), sa.Column("start_date", sa.Date()),
                         sa.Column("data", pg.JSONB()))
    entity_type = _zou_table(meta, "entity_type", sa.Column("name", sa.String(30)))
    entity = _zou_table(meta, "entity", sa.Column("name", sa.String(160)), _ref("project_id", "project"),
                        _ref("entity_type_id", "entity_type"), sa.Column("parent_id", pg.UUID(as_uuid=False)),
                        sa.Column("nb_frames", sa.Integer()), sa.Column("data", pg.JSONB()))
    task_type = _zou_table(meta, "task_type", sa.Column("name", sa.String(40)), sa.Column("color", sa.String(7)),
                           sa.Column("priority", sa.Integer()), sa.Column("for_entity", sa.String(30)))
    task_status = _zou_table(meta, "task_status", sa.Column("name", sa.String(40)), sa.Column("short_name", sa.String(10)),
                             sa.Column("color", sa.String(7)), sa.Column("is_default", sa.Boolean()))
    task = _zou_table(meta, "task", sa.Column("name", sa.String(80)), _ref("project_id", "project"),
                      _ref("task_type_id", "task_type"), _ref("task_status_id", "task_status"),
                      _ref("entity_id", "entity"), _ref("assigner_id", "person"),
                      sa.Column("estimation", sa.Float()), sa.Column("due_date", sa.DateTime()),
                      sa.Column("data", pg.JSONB()))
    comment = _zou_table(meta, "comment", sa.Column("object_id", pg.UUID(as_uuid=False)),
                         sa.Column("object_type", sa.String(80)), sa.Column("text", sa.Text()),
                         _ref("person_id", "person"), _ref("task_status_id", "task_status"),
                         sa.Column("links", pg.ARRAY(sa.String())), sa.Column("checklist", pg.JSONB()))
    mentions = sa.Table("comment_mentions", meta, sa.Column("comment", pg.UUID(as_uuid=False), primary_key=True),
                        sa.Column("person", pg.UUID(as_uuid=False), primary_key=True))
    plugin = sa.Table("plugin", meta, sa.Column("id", pg.UUID(as_uuid=False), primary_key=True),
                      sa.Column("name", sa.String(80)))
    stamps = {"created_at": CREATED, "updated_at": CREATED}
    zou_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(10))  # bytes, as Zou's bytea column holds it
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(person.insert(), {"id": IDS["person"], **stamps, "first_name": "Ada", "last_name": "Zou",
                                           "email": "ada@example.com", "password": zou_hash, "role": "admin",
                                           "active": True, "last_presence": dt.date(2024, 5, 6),
                                           "oidc_subject": "ada"})
            conn.execute(project_status.insert(), {"id": IDS["open"], **stamps, "name": "Open", "color": "#000000"})
            conn.execute(project.insert(), {"id": IDS["project"], **stamps, "name": "Moved Over",
                                            "project_status_id": IDS["open"], "production_type": "tvshow",
                                            "start_date": dt.date(2024, 1, 1), "data": {"studio": "north"}})
            conn.execute(entity_type.insert(), [
                {"id": IDS["asset_type"], **stamps, "name": "Character"},
                {"id": IDS["sequence_type"], **stamps, "name": "Sequence"},
                {"id": IDS["shot_type"], **stamps, "name": "Shot"}])
            conn.execute(entity.insert(), [
                {"id": IDS["sequence"], **stamps, "name": "SQ01", "project_id": IDS["project"],
                 "entity_type_id": IDS["sequence_type"], "parent_id": None, "nb_frames": None, "data": {}},
                {"id": IDS["shot"], **stamps, "name": "SH010", "project_id": IDS["project"],
                 "entity_type_id": IDS["shot_type"], "parent_id": IDS["sequence"], "nb_frames": 48,
                 "data": {"frame_in": 1001}}])
            conn.execute(task_type.insert(), {"id": IDS["task_type"], **stamps, "name": "Animation",
                                              "color": "#009688", "priority": 3, "for_entity": "Shot"})
            conn.execute(task_status.insert(), {"id": IDS["todo"], **stamps, "name": "Todo", "short_name": "todo",
                                                "color": "#f5f5f5", "is_default": True})
            conn.execute(task.insert(), {"id": IDS["task"], **stamps, "name": "main", "project_id": IDS["project"],
                                         "task_type_id": IDS["task_type"], "task_status_id": IDS["todo"],
                                         "entity_id": IDS["shot"], "assigner_id": IDS["person"],
                                         "estimation": 2.0, "due_date": dt.datetime(2024, 2, 1), "data": None})
            conn.execute(comment.insert(), {"id": IDS["comment"], **stamps, "object_id": IDS["task"],
                                            "object_type": "Task", "text": "Carried over from Zou",
                                            "person_id": IDS["person"], "task_status_id": IDS["todo"],
                                            "links": ["https://example.com/ref"],
                                            "checklist": [{"text": "timing", "checked": True}]})
            conn.execute(mentions.insert(), {"comment": IDS["comment"], "person": IDS["person"]})
            conn.execute(plugin.insert(), {"id": str(uuid.uuid4()), "name": "unknown to foxtrack"})
    finally:
        engine.dispose()


@pytest.fixture()
def zou_url() -> Iterator[str]:
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (set FOXTRACK_TEST_PG): no Zou source to import")
    try:
        _build_zou(url)
        yield url
    finally:
        drop_postgres(url)


def _import(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "foxtrack.cli", "import-zou", *args],
                          check=False, capture_output=True, text=True, timeout=120)


def test_import_then_read_with_gazu(zou_url: str, tmp_path: Path) -> None:
    files = tmp_path / "zou-previews"
    thumbnail = files / "pictures" / "thumbnails" / IDS["preview"][:3] / IDS["preview"][3:6] / IDS["preview"]
    thumbnail.parent.mkdir(parents=True)
    thumbnail.write_bytes(b"\x89PNG from zou")
    data_dir = tmp_path / "foxtrack"

    run = _import("--from-url", zou_url, "--data-dir", str(data_dir), "--files-from", str(files))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "plugin" in run.stdout and "oidc_subject" in run.stdout  # what foxtrack has no place for
    assert (data_dir / "files" / thumbnail.relative_to(files)).read_bytes() == b"\x89PNG from zou"

    server = start_server(data_dir=data_dir)
    try:
        client = gazu.client.create_client(server.api)
        user = gazu.log_in("ada@example.com", PASSWORD, client=client)["user"]
        assert user["id"] == IDS["person"] and user["role"] == "admin"
        project = gazu.project.get_project_by_name("Moved Over", client=client)
        assert project["id"] == IDS["project"] and project["start_date"] == "2024-01-01"
        assert project["data"] == {"studio": "north"}
        shot = gazu.shot.get_shot_by_name(gazu.shot.get_sequence_by_name(project, "SQ01", client=client),
                                          "SH010", client=client)
        assert shot["id"] == IDS["shot"] and shot["data"] == {"frame_in": 1001}
        task = gazu.task.get_task(IDS["task"], client=client)
        assert task["entity"]["id"] == IDS["shot"] and task["estimation"] == 2
        assert task["created_at"] == "2024-01-02T03:04:05" and task["due_date"].startswith("2024-02-01")
        [comment] = gazu.task.all_comments_for_task(task, client=client)
        assert comment["text"] == "Carried over from Zou" and comment["links"] == ["https://example.com/ref"]
        assert comment["checklist"] == [{"text": "timing", "checked": True}]
        assert comment["mentions"] == [IDS["person"]]
    finally:
        server.stop()


def test_refuses_a_filled_target_unless_replace(zou_url: str, tmp_path: Path) -> None:
    assert _import("--from-url", zou_url, "--data-dir", str(tmp_path)).returncode == 0
    again = _import("--from-url", zou_url, "--data-dir", str(tmp_path))
    assert again.returncode == 1 and "--replace" in again.stdout
    replaced = _import("--from-url", zou_url, "--data-dir", str(tmp_path), "--replace")
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
