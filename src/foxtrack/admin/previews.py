"""Preview files: ``probe-preview-files`` (the database against storage), ``generate-preview-extra``
(derived pictures and tiles rebuilt from what is stored) and ``renormalize-previews`` (movies transcoded
again from their stored source)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from foxtrack.admin._progress import Progress, Silent
from foxtrack.admin.errors import AdminError
from foxtrack.core.context import AppState
from foxtrack.core.jsonutil import is_uuid, now
from foxtrack.db import schema as s
from foxtrack.storage import Storage, storage_of

Row = dict[str, Any]
pf = s.preview_file
PICTURE_FILES = (("pictures", "original"), ("pictures", "thumbnails"), ("pictures", "thumbnails-square"),
                 ("pictures", "previews"))
DERIVED_PICTURES = PICTURE_FILES[1:]
MOVIE_FILES = (("movies", "source"), ("movies", "previews"), ("movies", "lowdef"), *PICTURE_FILES)
PICTURE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff"})


@dataclass(frozen=True)
class Selection:
    """Which previews a command looks at (every one when nothing is given)."""

    preview_file_id: str | None = None
    project_id: str | None = None
    days: int | None = None
    status: tuple[str, ...] = ()

    def where(self) -> list[sa.ColumnElement[bool]]:
        out: list[sa.ColumnElement[bool]] = []
        for value, name in ((self.preview_file_id, "--preview-file-id"), (self.project_id, "--project-id")):
            if value is not None and not is_uuid(value):
                raise AdminError(f"{name} {value!r} is not an id.")
        if self.preview_file_id:
            out.append(pf.c.id == self.preview_file_id)
        if self.project_id:
            out.append(pf.c.task_id.in_(sa.select(s.task.c.id).where(s.task.c.project_id == self.project_id)))
        if self.days is not None:
            since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - self.days * 86400))
            out.append(pf.c.created_at >= since)
        if self.status:
            out.append(pf.c.status.in_(self.status))
        return out


def _previews(state: AppState, selection: Selection, *columns: Any) -> list[Row]:
    with state.read() as conn:
        stmt = sa.select(*(columns or (pf,))).where(*selection.where()).order_by(pf.c.created_at, pf.c.id)
        return [dict(r._mapping) for r in conn.execute(stmt)]


def expected_files(preview: Row) -> tuple[tuple[str, str], ...]:
    """The stored files a preview of this kind and status should have."""
    extension = (preview.get("extension") or "").lower()
    if extension == "mp4":
        if preview.get("status") == "ready":
            return MOVIE_FILES
        return (("movies", "source"),)
    if extension in PICTURE_EXTENSIONS:
        return PICTURE_FILES
    return (("files", "previews"),)


def probe_preview_files(state: AppState, selection: Selection = Selection(),
                        progress: Progress | None = None) -> dict[str, Any]:
    """Every preview whose expected files are not all in storage, with the ones missing."""
    progress = progress or Silent()
    store = storage_of(state)
    rows = _previews(state, selection, pf.c.id, pf.c.extension, pf.c.status, pf.c.task_id)
    progress.start("previews checked", len(rows))
    missing: list[Row] = []
    files = 0
    for row in rows:
        absent = [f"{b}/{p}" for b, p in expected_files(row) if store.stat(b, p, row["id"]) is None]
        files += len(expected_files(row))
        if absent:
            missing.append({"preview_file_id": row["id"], "extension": row["extension"], "status": row["status"],
                            "task_id": row["task_id"], "missing": absent})
        progress.advance()
    return {"previews": len(rows), "files_checked": files, "missing_files": sum(len(m["missing"]) for m in missing),
            "previews_with_missing_files": missing}


# ----------------------------------------------------------------------------- generate-preview-extra

def _fetch(store: Storage, bucket: str, prefix: str, key: str, workdir: Path) -> Path | None:
    try:
        return store.fetch(bucket, prefix, key, workdir / f"{bucket}-{prefix}")
    except FileNotFoundError:
        return None


def _picture_variants(store: Storage, preview_id: str, workdir: Path, force: bool) -> list[str]:
    from foxtrack.previews.media import build_picture_variants

    todo = [(b, p) for b, p in DERIVED_PICTURES if force or store.stat(b, p, preview_id) is None]
    if not todo:
        return []
    original = _fetch(store, "pictures", "original", preview_id, workdir)
    if original is None:
        return []
    variants = build_picture_variants(original, workdir, keep_png=True)
    paths = {"thumbnails": variants.thumbnail, "thumbnails-square": variants.square, "previews": variants.preview}
    for bucket, prefix in todo:
        store.save(bucket, prefix, preview_id, paths[prefix])
    return [f"{b}/{p}" for b, p in todo]


def _movie_extras(state: AppState, store: Storage, preview: Row, workdir: Path, force: bool) -> tuple[list[str], Row]:
    """The first frame, tiles and dimensions of a ready movie, from its stored renditions."""
    from foxtrack.media import probe
    from foxtrack.media.movie import first_frame, parse_fps, tile_sprite

    made: list[str] = []
    values: Row = {}
    movie = _fetch(store, "movies", "previews", preview["id"], workdir)
    if movie is None:
        return made, values
    info = probe(movie)
    if not preview.get("width") or not preview.get("height") or not preview.get("duration") or force:
        values = {"width": info.width, "height": info.height, "duration": round(info.duration, 3)}
    if force or store.stat("pictures", "original", preview["id"]) is None:
        frame = workdir / "first.png"
        first_frame(movie, frame)
        if frame.is_file():
            store.save("pictures", "original", preview["id"], frame)
            made.append("pictures/original")
    if force or store.stat("pictures", "tiles", preview["id"]) is None:
        low = _fetch(store, "movies", "lowdef", preview["id"], workdir) or movie
        with state.read() as conn:
            fps = conn.execute(sa.select(s.project.c.fps).join(s.task, s.task.c.project_id == s.project.c.id)
                               .where(s.task.c.id == preview["task_id"])).scalar()
        tiles = tile_sprite(low, info.duration, parse_fps(fps), workdir / "tiles.png")
        if tiles is not None:
            store.save("pictures", "tiles", preview["id"], tiles)
            made.append("pictures/tiles")
    return made, values


def generate_preview_extra(state: AppState, selection: Selection = Selection(), force: bool = False,
                           progress: Progress | None = None) -> dict[str, Any]:
    """Rebuild the derived files of ready previews that lack them (all of them with ``force``):
    thumbnails and previews from the original picture; a movie's first frame, tiles and dimensions
    from its rendition."""
    progress = progress or Silent()
    store = storage_of(state)
    rows = _previews(state, Selection(selection.preview_file_id, selection.project_id, selection.days, ("ready",)))
    progress.start("previews", len(rows))
    tmp_root = state.settings.data_dir / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    rebuilt: dict[str, list[str]] = {}
    updated = 0
    for preview in rows:
        workdir = Path(tempfile.mkdtemp(prefix="extra-", dir=tmp_root))
        try:
            made: list[str] = []
            values: Row = {}
            if (preview.get("extension") or "").lower() == "mp4":
                made, values = _movie_extras(state, store, preview, workdir, force)
            if expected_files(preview) != (("files", "previews"),):
                made += _picture_variants(store, preview["id"], workdir, force)
            if values:
                with state.write() as tx:
                    tx.update(pf, {**values, "updated_at": now()}, pf.c.id == preview["id"])
                    tx.emit("preview-file:update", {"preview_file_id": preview["id"]},
                            project_id=_project_of(tx.conn, preview["task_id"]))
                updated += 1
            if made:
                rebuilt[preview["id"]] = made
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        progress.advance()
    return {"previews": len(rows), "files_rebuilt": sum(len(v) for v in rebuilt.values()), "rebuilt": rebuilt,
            "metadata_updated": updated}


def _project_of(conn: Any, task_id: str | None) -> str | None:
    if not task_id:
        return None
    found = conn.execute(sa.select(s.task.c.project_id).where(s.task.c.id == task_id)).scalar()
    return None if found is None else str(found)


# ----------------------------------------------------------------------------- renormalize-previews

def renormalize_previews(state: AppState, selection: Selection, run: bool = False, slots: int = 1,
                         timeout: float = 3600.0, progress: Progress | None = None) -> dict[str, Any]:
    """Queue the movies of ``selection`` for transcoding again from their stored source (``status``
    back to ``processing``); with ``run``, transcode them in this process and wait for the end."""
    from foxtrack.jobs import Queue
    from foxtrack.previews import jobs as transcodes

    progress = progress or Silent()
    store = storage_of(state)
    rows = [r for r in _previews(state, selection, pf.c.id, pf.c.extension, pf.c.status, pf.c.task_id)
            if (r["extension"] or "").lower() == "mp4"]
    queued: list[str] = []
    no_source: list[str] = []
    progress.start("movies queued", len(rows))
    for row in rows:
        if store.stat("movies", "source", row["id"]) is None:
            no_source.append(row["id"])
        else:
            with state.write() as tx:
                if row["id"] in Queue().active_targets(tx.conn, transcodes.KIND):
                    queued.append(row["id"])  # already waiting for a worker
                    progress.advance()
                    continue
                tx.update(pf, {"status": "processing", "data": transcodes.enqueue(tx, row["id"]), "updated_at": now()},
                          pf.c.id == row["id"])
                tx.emit("preview-file:update", {"preview_file_id": row["id"], "status": "processing"},
                        project_id=_project_of(tx.conn, row["task_id"]))
            queued.append(row["id"])
        progress.advance()
    out: dict[str, Any] = {"movies": len(rows), "queued": queued, "without_source": no_source}
    if run and queued:
        out["results"] = asyncio.run(_transcode_here(state, queued, slots, timeout, progress))
    return out


def _statuses(state: AppState, ids: list[str]) -> dict[str, str]:
    with state.read() as conn:
        return {r.id: r.status for r in conn.execute(sa.select(pf.c.id, pf.c.status).where(pf.c.id.in_(ids)))}


async def _transcode_here(state: AppState, ids: list[str], slots: int, timeout: float,
                          progress: Progress) -> dict[str, str]:
    from foxtrack.jobs.background import build_worker

    worker = build_worker(state, max(1, slots), poll_seconds=0.5)
    progress.start("movies transcoded", len(ids))
    await worker.start()
    done: set[str] = set()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            statuses = await asyncio.to_thread(_statuses, state, ids)
            finished = {i for i, status in statuses.items() if status != "processing"} | (set(ids) - set(statuses))
            progress.advance(len(finished - done))
            done |= finished
            if len(done) == len(ids):
                break
            await asyncio.sleep(0.3)
    finally:
        await worker.stop()
    statuses = await asyncio.to_thread(_statuses, state, ids)
    return {i: statuses.get(i, "deleted") for i in ids}

