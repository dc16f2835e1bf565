"""``foxtrack backup`` and ``foxtrack restore``: a consistent copy of the database (and optionally the
stored files) in one ``.tar.gz`` archive, taken while the server runs.

SQLite is copied with SQLite's online backup API (one step: a snapshot that writers cannot tear).
PostgreSQL is dumped by the machine's ``pg_dump`` (required; custom format) from an exported snapshot,
so the row counts recorded in the archive's ``manifest.json`` are those of the dump, exactly. Files
are the local storage's (``<data dir>/files``); a bucket on S3 is backed up with S3's own tools.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from foxtrack import __version__
from foxtrack.admin._progress import Progress, Silent
from foxtrack.admin.database import status
from foxtrack.admin.errors import AdminError
from foxtrack.config import Settings
from foxtrack.db.schema import metadata

FORMAT = 1
SQLITE_NAME = "database.sqlite"
PG_NAME = "database.pgdump"


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise AdminError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def _libpq_url(engine: Engine) -> str:
    """The URL as libpq's tools take it (no SQLAlchemy driver suffix, password kept)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise AdminError(f"{name} is required for PostgreSQL backups and is not on PATH "
                         f"(Debian: apt-get install postgresql-client).")
    return found


def _counts(conn: sa.Connection) -> dict[str, int]:
    names = set(sa.inspect(conn).get_table_names())
    return {t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0)
            for t in metadata.sorted_tables if t.name in names}


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    archive.addfile(info, io.BytesIO(data))


def _snapshot_sqlite(engine: Engine, workdir: Path) -> tuple[Path, dict[str, int]]:
    target = workdir / SQLITE_NAME
    source = sqlite3.connect(_sqlite_path(engine), timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # all pages in one step: the snapshot of one moment
    finally:
        copy.close()
        source.close()
    snapshot = sa.create_engine(f"sqlite:///{target}")
    try:
        with snapshot.connect() as conn:
            counts = _counts(conn)
    finally:
        snapshot.dispose()
    return target, counts


def _snapshot_postgres(engine: Engine, workdir: Path) -> tuple[Path, dict[str, int]]:
    pg_dump = _tool("pg_dump")
    target = workdir / PG_NAME
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        with conn.begin():
            snapshot = str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar())
            counts = _counts(conn)
            # the dump sees the snapshot this transaction holds open: the same rows as the counts
            done = subprocess.run([pg_dump, "--format=custom", "--no-owner", "--no-privileges",
                                   f"--snapshot={snapshot}", "--file", str(target), "--dbname", _libpq_url(engine)],
                                  capture_output=True, text=True)
    if done.returncode != 0:
        raise AdminError(f"pg_dump failed: {done.stderr.strip()[:500]}")
    return target, counts


def _files(root: Path) -> list[Path]:
    return [p for p in sorted(root.rglob("*")) if p.is_file() and not p.name.endswith(".part")] if root.is_dir() else []


def backup(engine: Engine, settings: Settings, target: Path, include_files: bool = False,
           progress: Progress | None = None) -> dict[str, Any]:
    """Write the archive ``target`` (``.tar.gz``); its manifest (as a dict) is returned."""
    progress = progress or Silent()
    if include_files and settings.s3_bucket:
        raise AdminError("The files are on S3 (FOXTRACK_S3_BUCKET): back the bucket up with S3's tools "
                         "(versioning, replication, `aws s3 sync`); leave out --files.")
    dialect = engine.dialect.name
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="foxtrack-backup-", dir=target.parent) as tmp:
        progress.start("database snapshot", None)
        started = time.time()
        if dialect == "sqlite":
            dump, counts = _snapshot_sqlite(engine, Path(tmp))
        elif dialect == "postgresql":
            dump, counts = _snapshot_postgres(engine, Path(tmp))
        else:
            raise AdminError(f"No backup for {dialect} databases.")
        files = _files(settings.files_dir) if include_files else []
        manifest = {"format": FORMAT, "foxtrack": __version__, "dialect": dialect,
                    "revision": status(engine).current, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                    time.gmtime(started)),
                    "database": dump.name, "counts": counts, "files": len(files),
                    "files_bytes": sum(p.stat().st_size for p in files)}
        partial = target.with_name(target.name + ".part")
        with tarfile.open(partial, "w:gz") as archive:
            _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=2).encode())
            archive.add(dump, dump.name)
            progress.start("files", len(files))
            for path in files:
                archive.add(path, "files/" + path.relative_to(settings.files_dir).as_posix())
                progress.advance()
        os.replace(partial, target)
    return {**manifest, "archive": str(target), "archive_bytes": target.stat().st_size}


def read_manifest(archive_path: Path) -> dict[str, Any]:
    with _opened(archive_path) as archive:
        member = archive.extractfile("manifest.json")
        if member is None:
            raise AdminError(f"{archive_path} has no manifest.json: not a foxtrack backup.")
        manifest: dict[str, Any] = json.loads(member.read())
    return manifest


@contextmanager
def _opened(archive_path: Path) -> Iterator[tarfile.TarFile]:
    if not archive_path.is_file():
        raise AdminError(f"{archive_path} does not exist.")
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            yield archive
    except (tarfile.TarError, OSError, KeyError) as exc:
        raise AdminError(f"{archive_path} is not a foxtrack backup: {exc}") from exc


def _has_rows(engine: Engine) -> bool:
    names = set(sa.inspect(engine).get_table_names())
    with engine.connect() as conn:
        for table in ("person", "project", "task"):
            if table in names and conn.execute(sa.select(sa.literal(1)).select_from(metadata.tables[table])
                                               .limit(1)).first() is not None:
                return True
    return False


def restore(engine: Engine, settings: Settings, archive_path: Path, force: bool = False,
            progress: Progress | None = None) -> dict[str, Any]:
    """Replace this database (and files, when the archive has them) with the archive's. Stop the servers
    and workers first; a database that holds data is only replaced with ``force``."""
    progress = progress or Silent()
    manifest = read_manifest(archive_path)
    dialect = engine.dialect.name
    if manifest.get("format") != FORMAT:
        raise AdminError(f"Backup format {manifest.get('format')} is not one this foxtrack reads ({FORMAT}).")
    if manifest.get("dialect") != dialect:
        raise AdminError(f"This is a {manifest.get('dialect')} backup; the database here is {dialect}: "
                         "restore it into a database of the same kind.")
    if _has_rows(engine) and not force:
        raise AdminError("The database here holds data: pass --force to replace it with the backup.")
    with tempfile.TemporaryDirectory(prefix="foxtrack-restore-") as tmp, _opened(archive_path) as archive:
        progress.start("database", None)
        member = archive.getmember(str(manifest["database"]))
        archive.extract(member, tmp, filter="data")
        dump = Path(tmp) / member.name
        if dialect == "sqlite":
            _restore_sqlite(engine, dump)
        else:
            _restore_postgres(engine, dump)
        files = [m for m in archive.getmembers() if m.isfile() and m.name.startswith("files/")]
        progress.start("files", len(files))
        for item in files:
            relative = Path(item.name).relative_to("files")
            if ".." in relative.parts:
                continue
            out = settings.files_dir / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(item)
            if source is not None:
                with open(out, "wb") as handle:
                    shutil.copyfileobj(source, handle)
            progress.advance()
    with engine.connect() as conn:
        counts = _counts(conn)
    return {"archive": str(archive_path), "dialect": dialect, "created_at": manifest.get("created_at"),
            "counts": counts, "same_counts": counts == manifest.get("counts"), "files": len(files)}


def _restore_sqlite(engine: Engine, dump: Path) -> None:
    engine.dispose()
    source = sqlite3.connect(dump)
    target = sqlite3.connect(_sqlite_path(engine), timeout=30)
    try:
        source.backup(target)  # page by page into the live file, under SQLite's locks
    finally:
        target.close()
        source.close()


def _restore_postgres(engine: Engine, dump: Path) -> None:
    pg_restore = _tool("pg_restore")
    engine.dispose()
    done = subprocess.run([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges",
                           "--single-transaction", "--exit-on-error", "--dbname", _libpq_url(engine), str(dump)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise AdminError(f"pg_restore failed: {done.stderr.strip()[:500]}")
