"""Copy a Zou (Kitsu backend) PostgreSQL database into a foxtrack database.

The schemas share table and column names, so the copy is table by table in dependency order, each
value converted to the target column's kind: UUIDs become strings, timestamps ISO text with
microseconds, dates ``YYYY-MM-DD``, ``bytea`` password hashes text, arrays JSON lists. Zou tables
and columns foxtrack does not have are skipped and reported. The source is only read (in a
read-only transaction); the target is written in one transaction.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from foxtrack.core.jsonutil import now
from foxtrack.db.schema import metadata
from foxtrack.storage import Storage

__all__ = ["ImportReport", "TableCopy", "TargetNotEmpty", "Watch", "copy_files", "import_zou", "source_engine"]

BATCH = 1000
Convert = Callable[[Any], Any]


class TargetNotEmpty(Exception):
    """The target database already holds rows (pass ``replace=True`` to wipe them)."""


@dataclass
class TableCopy:
    name: str
    rows: int = 0
    skipped_columns: list[str] = field(default_factory=list)
    renamed_columns: dict[str, str] = field(default_factory=dict)
    filled: dict[str, int] = field(default_factory=dict)  # NOT NULL column -> rows given a fallback
    dropped: int = 0  # rows lacking a reference foxtrack requires
    notes_done: bool = False  # copied by an earlier run (resumed import)

    @property
    def notes(self) -> str:
        """Renamed columns, fallbacks used and rows dropped, for the summary."""
        notes = ["copied by the interrupted run"] if self.notes_done else []
        notes += [f"{old} -> {new}" for old, new in self.renamed_columns.items()]
        notes += [f"{count} without {name}: default given" for name, count in self.filled.items()]
        if self.dropped:
            notes.append(f"{self.dropped} dropped (a required reference is empty)")
        return "; ".join(notes)


@dataclass
class ImportReport:
    tables: list[TableCopy] = field(default_factory=list)
    skipped_tables: list[str] = field(default_factory=list)
    absent_tables: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)


def source_engine(url: str) -> Engine:
    """An engine on Zou's database whose sessions are read-only (the import never writes there)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return sa.create_engine(url, connect_args={"options": "-c default_transaction_read_only=on"})


class Watch:
    """What a caller wants to hear of a long import (the command line's progress bars)."""

    def table(self, name: str, rows: int) -> None:
        """Copying ``name`` (``rows`` rows in Zou) begins."""

    def rows(self, count: int) -> None:
        """``count`` more rows of the current table were read."""


def import_zou(source: Engine, target: Engine, replace: bool = False, watch: Watch | None = None,
               done: set[str] | None = None, mark_done: Callable[[str], None] | None = None) -> ImportReport:
    """Copy every table foxtrack knows from ``source`` (Zou) into ``target`` (migrated foxtrack).

    Without ``done`` the copy is one transaction: all or nothing. With ``done`` (the tables a previous,
    interrupted run finished) it is resumable: each table is its own transaction, the tables in ``done``
    are not copied again, the table being copied when the run stopped is emptied and copied again, and
    ``mark_done(name)`` is called as each table commits."""
    watch = watch or Watch()
    zou = sa.MetaData()
    zou.reflect(bind=source)
    report = ImportReport(
        skipped_tables=sorted(set(zou.tables) - set(metadata.tables)),
        absent_tables=sorted(set(metadata.tables) - set(zou.tables)),
    )
    tables = [t for t in metadata.sorted_tables if t.name in zou.tables]
    if done is None:
        with source.connect() as src, target.begin() as dst:
            _check_empty(dst, replace)
            for table in tables:
                report.tables.append(_copy_table(src, dst, zou.tables[table.name], table, watch))
            _derive_news_projects(dst)
        return report
    if not done:
        with target.begin() as dst:
            _check_empty(dst, replace)
    with source.connect() as src:
        for table in tables:
            if table.name in done:
                report.tables.append(TableCopy(table.name, notes_done=True))
                continue
            with target.begin() as dst:
                dst.execute(table.delete())  # what an interrupted run left of this table
                report.tables.append(_copy_table(src, dst, zou.tables[table.name], table, watch))
            done.add(table.name)
            if mark_done is not None:
                mark_done(table.name)
    with target.begin() as dst:
        _derive_news_projects(dst)
    return report


def _check_empty(dst: Connection, replace: bool) -> None:
    filled = [t.name for t in metadata.sorted_tables
              if dst.execute(sa.select(sa.literal(1)).select_from(t).limit(1)).first() is not None]
    if filled and not replace:
        raise TargetNotEmpty(f"the target database is not empty ({', '.join(filled[:5])}...)")
    for table in reversed(metadata.sorted_tables):
        if table.name in filled:
            dst.execute(table.delete())


def _column_map(source: sa.Table, target: sa.Table) -> tuple[dict[str, str], TableCopy]:
    """Target column -> source column; Zou's comment link tables say ``comment`` for ``comment_id``."""
    copy = TableCopy(target.name)
    mapping: dict[str, str] = {}
    for col in target.c:
        if col.name in source.c:
            mapping[col.name] = col.name
        elif col.name.endswith("_id") and col.name[:-3] in source.c and col.name[:-3] not in target.c:
            mapping[col.name] = col.name[:-3]
            copy.renamed_columns[col.name[:-3]] = col.name
    used = set(mapping.values())
    copy.skipped_columns = [c.name for c in source.c if c.name not in used]
    return mapping, copy


def _copy_table(src: Connection, dst: Connection, source: sa.Table, target: sa.Table, watch: Watch) -> TableCopy:
    mapping, copy = _column_map(source, target)
    watch.table(target.name, int(src.execute(sa.select(sa.func.count()).select_from(source)).scalar() or 0))
    converters = {name: _converter(target.c[name]) for name in mapping}
    fillers: dict[str, Callable[[], Any]] = {}
    for col in target.c:
        fill = _filler(col)
        if col.name not in mapping and fill is not None:
            fillers[col.name] = fill
    required = [col for col in target.c if not col.nullable]
    fallbacks = _fallbacks(dst, target)
    query = sa.select(*[source.c[name] for name in mapping.values()])
    if source.primary_key.columns:
        query = query.order_by(*source.primary_key.columns)
    rows = src.execution_options(yield_per=BATCH).execute(query)
    for batch in rows.partitions(BATCH):
        values = []
        for row in batch:
            item = {name: converters[name](value) for name, value in zip(mapping, row, strict=True)}
            item.update({name: fill() for name, fill in fillers.items()})
            if _complete(item, required, fallbacks, copy):
                values.append(item)
        if values:
            dst.execute(target.insert(), values)
        copy.rows += len(values)
        watch.rows(len(batch))
    return copy


def _fallbacks(dst: Connection, target: sa.Table) -> dict[str, Any]:
    """Values for NOT NULL references Zou leaves empty: a task without status gets the default one."""
    if target.name != "task":
        return {}
    status = metadata.tables["task_status"]
    default = dst.execute(sa.select(status.c.id).where(status.c.is_default.is_(True))
                          .order_by(status.c.for_concept.is_(True), status.c.created_at).limit(1)).scalar()
    return {"task_status_id": default} if default else {}


def _complete(item: dict[str, Any], required: list[sa.Column[Any]], fallbacks: dict[str, Any],
              copy: TableCopy) -> bool:
    """Fill the NOT NULL columns Zou left empty; False (row dropped) for a missing reference."""
    for col in required:
        if item.get(col.name) is not None:
            continue
        if col.name in fallbacks:
            item[col.name] = fallbacks[col.name]
            copy.filled[col.name] = copy.filled.get(col.name, 0) + 1
        elif col.default is not None and getattr(col.default, "is_scalar", False):
            item[col.name] = col.default.arg  # type: ignore[attr-defined]
        elif col.info.get("ts"):
            item[col.name] = now()
        elif isinstance(col.type, sa.String) and not col.foreign_keys and not col.primary_key:
            item[col.name] = ""
        else:
            copy.dropped += 1
            return False
    return True


def _derive_news_projects(dst: Connection) -> None:
    # foxtrack keeps news.project_id (Zou finds it through the task); fill it in from the task
    news, task = metadata.tables["news"], metadata.tables["task"]
    project = sa.select(task.c.project_id).where(task.c.id == news.c.task_id).scalar_subquery()
    dst.execute(news.update().where(news.c.project_id.is_(None)).values(project_id=project))


def _filler(col: sa.Column[Any]) -> Callable[[], Any] | None:
    """Values for target columns Zou has not got: Python defaults, else stamps for NOT NULL times."""
    if col.default is not None and getattr(col.default, "is_scalar", False):
        value = col.default.arg  # type: ignore[attr-defined]
        return lambda: value
    if not col.nullable and col.info.get("ts"):
        return now
    return None


# ----------------------------------------------------------------------------- values


def _timestamp(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _text(value: Any, date_only: bool) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if date_only else _timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat() if date_only else _timestamp(dt.datetime.combine(value, dt.time()))
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _integer(value: Any) -> int | None:
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, float | decimal.Decimal):
        return round(value)
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _json(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    return _text(value, date_only=False)


def _converter(col: sa.Column[Any]) -> Convert:
    kind = col.type
    if col.info.get("ts"):
        return lambda v: _text(v, date_only=False)
    if isinstance(kind, sa.Boolean):
        return lambda v: None if v is None else bool(v)
    if isinstance(kind, sa.Integer):
        return _integer
    if isinstance(kind, sa.Float):
        return _float
    if isinstance(kind, sa.JSON):
        return _json
    date_only = isinstance(kind, sa.String) and kind.length == 10
    return lambda v: _text(v, date_only)


# ----------------------------------------------------------------------------- files


def _zou_files(root: Path) -> Iterator[tuple[str, str, str, Path]]:
    """(bucket, prefix, id, path) for every file laid out as ``<bucket>/<prefix>/<id[:3]>/<id[3:6]>/<id>``."""
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        parts = path.relative_to(root).parts
        key = parts[-1]
        if len(parts) >= 5 and parts[-3] == key[0:3] and parts[-2] == key[3:6]:
            yield parts[0], "/".join(parts[1:-3]), key, path


def copy_files(root: Path, storage: Storage) -> dict[str, int]:
    """Copy Zou's preview folder into ``storage``; returns files copied per ``bucket/prefix``."""
    counts: dict[str, int] = {}
    for bucket, prefix, key, path in _zou_files(root):
        storage.save(bucket, prefix, key, path)
        counts[f"{bucket}/{prefix}"] = counts.get(f"{bucket}/{prefix}", 0) + 1
    return counts
