"""Movie previews are transcoded off the request, as jobs of kind ``transcode`` (``foxtrack.jobs``).

An uploaded movie is ``status = "processing"`` with ``data = {"job": {"id": <job id>}}``, queued in the
upload's transaction; downloads answer 202 + ``Retry-After`` meanwhile. The handler transcodes in the
worker's pool of low-priority processes and ends in one transaction: ``ready`` with the renditions'
sizes and the original's dimensions in ``data``, plus ``preview-file:add-file``. A file ffmpeg cannot
read, or a source missing from storage, ends the preview ``broken`` at once (the reason in
``data.error``); any other failure is tried again, and the preview is ``broken`` after the last attempt.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core.context import AppState, Tx
from foxtrack.core.jsonutil import now
from foxtrack.db import schema as s
from foxtrack.jobs import Job, Kind, LeaseExpired, Queue, Worker
from foxtrack.media import FFmpegError, Spec, transcode_movie
from foxtrack.media.movie import parse_fps, parse_resolution
from foxtrack.storage import storage_of

log = logging.getLogger("foxtrack.media")

Row = dict[str, Any]
KIND = "transcode"
MAX_ATTEMPTS = 3
MOVIE_OUTPUTS = (("movies", "previews"), ("movies", "lowdef"), ("pictures", "original"), ("pictures", "thumbnails"),
                 ("pictures", "thumbnails-square"), ("pictures", "previews"), ("pictures", "tiles"))


class SourceMissing(Exception):
    def __str__(self) -> str:
        return "the uploaded movie is missing from storage"


def enqueue(tx: Tx, preview_id: str) -> Row:
    """Queue the transcode of a stored movie, in the caller's transaction; the preview's ``data``."""
    return {"job": {"id": Queue().enqueue(tx, KIND, preview_id, max_attempts=MAX_ATTEMPTS)}}


def job_of(preview: Row) -> Row | None:
    data = preview.get("data")
    return data.get("job") if isinstance(data, dict) and isinstance(data.get("job"), dict) else None


# ----------------------------------------------------------------------------- the work itself (pool side)

def transcode_in_pool(source: str, workdir: str, width: int, height: int, fps: float) -> dict[str, Any]:
    """Run in a pool process: renditions, tiles, the first frame and its picture variants."""
    from foxtrack.previews.media import build_picture_variants

    work = Path(workdir)
    out = transcode_movie(Path(source), work, Spec(width, height, fps))
    variants = build_picture_variants(out.first_frame, work, keep_png=True)
    files = {"movies/previews": out.high, "movies/lowdef": out.low, "pictures/original": out.first_frame,
             "pictures/thumbnails": variants.thumbnail, "pictures/thumbnails-square": variants.square,
             "pictures/previews": variants.preview}
    if out.tiles is not None:
        files["pictures/tiles"] = out.tiles
    return {"files": {k: str(v) for k, v in files.items()}, "width": out.width, "height": out.height,
            "duration": out.duration, "original": {"width": out.original.width, "height": out.original.height,
                                                   "duration": round(out.original.duration, 3)}}


# ----------------------------------------------------------------------------- records (DB side)

def _project_of(conn: Connection, task_id: str | None) -> Row:
    if not task_id:
        return {}
    row = conn.execute(sa.select(s.project.c.id, s.project.c.fps, s.project.c.resolution)
                       .join(s.task, s.task.c.project_id == s.project.c.id).where(s.task.c.id == task_id)).first()
    return dict(row._mapping) if row else {}


def _finish(tx: Tx, preview_id: str, values: Row) -> bool:
    """Mark the preview done and record ``preview-file:add-file``; False when it is not processing."""
    pf = s.preview_file
    row = tx.execute(sa.select(pf.c.id, pf.c.task_id, pf.c.revision, pf.c.status).where(pf.c.id == preview_id)).first()
    if row is None or row.status != "processing":
        return False
    tx.update(pf, {**values, "updated_at": now()}, pf.c.id == preview_id)
    link = s.comment_preview_link
    comment_id = tx.execute(sa.select(link.c.comment_id).where(link.c.preview_file_id == preview_id)).scalar()
    project_id = _project_of(tx.conn, row.task_id).get("id")
    tx.emit("preview-file:add-file", {"preview_file_id": preview_id, "comment_id": comment_id,
                                      "task_id": row.task_id, "revision": row.revision, "extension": "mp4",
                                      "status": values["status"]}, project_id=project_id)
    tx.emit("preview-file:update", {"preview_file_id": preview_id, "status": values["status"]},
            project_id=project_id)
    if comment_id and row.task_id:
        tx.emit("comment:update", {"comment_id": comment_id, "task_id": row.task_id}, project_id=project_id)
    return True


def _failed(tx: Tx, job: Job, error: BaseException, retry_at: str | None) -> None:
    """After the last attempt: ``broken`` with the reason in ``data.error`` (comment and source stay)."""
    if retry_at is not None or job.target_id is None:
        return
    if isinstance(error, (FFmpegError, SourceMissing)):
        reason = str(error)
    elif isinstance(error, LeaseExpired):
        reason = f"transcoding did not finish after {job.attempts} attempts"
    else:
        reason = f"transcoding failed: {type(error).__name__}"
    log.warning("preview %s is broken: %s", job.target_id, reason)
    _finish(tx, job.target_id, {"status": "broken", "data": {"error": reason}})


def _recover(worker: Worker) -> int:
    """Movies still ``processing`` with a stored source but no job (a crash between storing the upload and
    recording it) are queued again."""
    state = worker.state
    pf = s.preview_file
    store = storage_of(state)
    with state.read() as conn:
        rows = conn.execute(sa.select(pf.c.id).where(pf.c.status == "processing", pf.c.original_name.is_not(None))).all()
        active = Queue().active_targets(conn, KIND)
    lost = [r.id for r in rows if r.id not in active and store.stat("movies", "source", r.id) is not None]
    for preview_id in lost:
        with state.write() as tx:
            tx.update(pf, {"data": enqueue(tx, preview_id), "updated_at": now()}, pf.c.id == preview_id,
                      pf.c.status == "processing")
    return len(lost)


# ----------------------------------------------------------------------------- the handler (worker side)

def _waiting(state: AppState, preview_id: str) -> Row | None:
    """The project spec of a preview still waiting for its transcode (None: deleted or done)."""
    pf = s.preview_file
    with state.read() as conn:
        row = conn.execute(sa.select(pf.c.status, pf.c.task_id).where(pf.c.id == preview_id)).first()
        return _project_of(conn, row.task_id) if row is not None and row.status == "processing" else None


def _record(state: AppState, preview_id: str, values: Row) -> bool:
    with state.write() as tx:
        return _finish(tx, preview_id, values)


async def transcode(worker: Worker, job: Job) -> None:
    """Transcode one movie preview in the worker's pool and record the result."""
    state, preview_id = worker.state, str(job.target_id)
    project = await asyncio.to_thread(_waiting, state, preview_id)
    if project is None:
        return
    tmp_root = state.settings.data_dir / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="movie-", dir=tmp_root))
    store = storage_of(state)
    try:
        width, height = parse_resolution(project.get("resolution"))
        try:
            source = await asyncio.to_thread(store.fetch, "movies", "source", preview_id, workdir / "source")
        except FileNotFoundError as exc:
            raise SourceMissing() from exc
        result = await worker.in_pool(transcode_in_pool, str(source), str(workdir), width, height,
                                      parse_fps(project.get("fps")))
        sizes: dict[str, int] = {}
        for name, path in result["files"].items():
            bucket, prefix = name.split("/", 1)
            sizes[name] = await asyncio.to_thread(store.save, bucket, prefix, preview_id, Path(path))
        source_size = await asyncio.to_thread(store.stat, "movies", "source", preview_id)
        original = result["original"]
        data = {"movie_prefixes": ["previews", "lowdef"], "original_width": original["width"],
                "original_height": original["height"], "original_duration": original["duration"],
                "original_file_size": source_size.size if source_size else None}
        values = {"status": "ready", "width": result["width"], "height": result["height"],
                  "duration": result["duration"], "file_size": sizes["movies/previews"], "extension": "mp4",
                  "data": data}
        if not await asyncio.to_thread(_record, state, preview_id, values):
            for bucket, prefix in MOVIE_OUTPUTS:  # deleted while transcoding: drop what was just stored
                await asyncio.to_thread(store.delete, bucket, prefix, preview_id)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def kind() -> Kind:
    return Kind(KIND, transcode, lane="media", max_attempts=MAX_ATTEMPTS, base_delay=1.0,
                permanent=(FFmpegError, SourceMissing), failed=_failed, recover=_recover)
