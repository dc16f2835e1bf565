"""``import-zou`` and ``import-shotgun`` with progress and a resumable mode.

A resumable run records what it finished in the data dir (``import-zou.json``, ``import-shotgun.json``);
running the same command again with ``--resume`` goes on from there instead of starting over.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from foxtrack.admin._progress import Progress, Silent
from foxtrack.admin.errors import AdminError
from foxtrack.core.context import ADMIN, AppState, RequestContext
from foxtrack.core.errors import ApiError
from foxtrack.db import schema as s
from foxtrack.db import zou_import

Row = dict[str, Any]
# ShotGrid kinds in the order their references need (a ``<kind>.json`` file each, as ShotGrid's API lists them)
SHOTGUN_KINDS = ("persons", "projects", "steps", "status", "assets", "episodes", "sequences", "scenes", "shots",
                 "project-connections", "tasks", "versions", "notes")
SHOTGUN_BATCH = 500


def _journal(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def _save_journal(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(data, indent=2))
    partial.replace(path)


def _key(text: str) -> str:
    """A journal key for a source that does not keep its password in the file."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class _Watch(zou_import.Watch):
    def __init__(self, progress: Progress):
        self.progress = progress

    def table(self, name: str, rows: int) -> None:
        self.progress.start(name, rows)

    def rows(self, count: int) -> None:
        self.progress.advance(count)


def import_zou(state: AppState, source: Engine, from_url: str, replace: bool = False, resume: bool = False,
               progress: Progress | None = None) -> zou_import.ImportReport:
    """Copy a Zou database into this one; ``resume``: table by table, going on after an interrupted run."""
    watch = _Watch(progress or Silent())
    if not resume:
        return zou_import.import_zou(source, state.engine, replace=replace, watch=watch)
    journal_path = state.settings.data_dir / "import-zou.json"
    journal = _journal(journal_path)
    key = _key(from_url)
    done = set(journal.get(key, []))

    def mark(name: str) -> None:
        journal[key] = sorted(done | {name})
        _save_journal(journal_path, journal)

    report = zou_import.import_zou(source, state.engine, replace=replace and not done, watch=watch, done=done,
                                   mark_done=mark)
    journal.pop(key, None)  # finished: a later run starts over
    _save_journal(journal_path, journal)
    return report


def admin_context(state: AppState) -> RequestContext:
    """The context an import runs as: the oldest active admin (its id goes into the events)."""
    from foxtrack.features import crud_policies

    state.extras.setdefault("crud_policies", crud_policies())
    p = s.person.c
    with state.read() as conn:
        admin = conn.execute(sa.select(p.id).where(p.role == ADMIN, p.active.is_(True), p.is_bot.is_not(True))
                             .order_by(p.created_at).limit(1)).scalar()
    if admin is None:
        raise AdminError("No active admin in this database: run `foxtrack create-admin` first.")
    return RequestContext(state, str(admin), ADMIN, False, {})


def import_shotgun(state: AppState, folder: Path, resume: bool = False,
                   progress: Progress | None = None) -> dict[str, Any]:
    """Import a ShotGrid export: ``<folder>/<kind>.json`` files (``persons``, ``projects``, ``steps``,
    ``status``, ``assets``, ``episodes``, ``sequences``, ``scenes``, ``shots``, ``project-connections``,
    ``tasks``, ``versions``, ``notes``), each a JSON list of entries, through the same importers as
    ``/import/shotgun/<kind>``, by batches of 500 entries (one unit of work each)."""
    from foxtrack.shotgun.importers import import_entries

    if not folder.is_dir():
        raise AdminError(f"{folder} is not a folder.")
    progress = progress or Silent()
    ctx = admin_context(state)
    journal_path = state.settings.data_dir / "import-shotgun.json"
    journal = _journal(journal_path)
    key = str(folder.resolve())
    offsets: dict[str, int] = dict(journal.get(key, {})) if resume else {}
    found = [kind for kind in SHOTGUN_KINDS if (folder / f"{kind}.json").is_file()]
    if not found:
        raise AdminError(f"{folder} holds none of {', '.join(k + '.json' for k in SHOTGUN_KINDS)}.")
    written: dict[str, int] = {}
    skipped: dict[str, int] = {}
    for kind in found:
        try:
            entries = json.loads((folder / f"{kind}.json").read_text())
        except ValueError as exc:
            raise AdminError(f"{kind}.json is not JSON: {exc}") from exc
        if not isinstance(entries, list):
            raise AdminError(f"{kind}.json is not a list of entries.")
        start = offsets.get(kind, 0)
        progress.start(kind, len(entries))
        progress.advance(min(start, len(entries)))
        for offset in range(start, len(entries), SHOTGUN_BATCH):
            batch = entries[offset:offset + SHOTGUN_BATCH]
            try:
                rows = import_entries(ctx, kind, batch)
            except ApiError as exc:
                raise AdminError(f"{kind}.json entries {offset}-{offset + len(batch) - 1}: {exc}") from exc
            written[kind] = written.get(kind, 0) + len(rows)
            skipped[kind] = skipped.get(kind, 0) + len(batch) - len(rows)
            offsets[kind] = offset + len(batch)
            journal[key] = offsets
            _save_journal(journal_path, journal)
            progress.advance(len(batch))
    journal.pop(key, None)
    _save_journal(journal_path, journal)
    return {"folder": str(folder), "kinds": found, "written": written, "skipped": skipped,
            "total_written": sum(written.values())}
