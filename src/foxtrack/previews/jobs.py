"""Movie previews are transcoded off the request, by a worker reading a queue kept in the database
(the same worker builds playlist movies when no preview waits: see ``playlists.builds``).

The queue is the ``preview_file`` table itself: an uploaded movie is ``status = "processing"`` with
``data = {"job": {state, attempts, worker, lease_until}}``. A worker claims a job with a conditional
UPDATE (``updated_at`` must not have moved: two workers never take the same job), renews its lease
while ffmpeg runs, and finishes in one transaction: ``ready`` (or ``broken`` with the reason in
``data.error``) plus the ``preview-file:add-file`` event. A job whose lease ran out (its worker died,
the server restarted) is taken again; after ``MAX_ATTEMPTS`` the preview is ``broken``.

``MediaWorker`` runs inside the API process by default (started from the app's lifespan hooks);
``foxtrack worker`` runs the same loop in its own process when transcoding is scaled out.
ffmpeg itself runs in a pool of worker processes at the lowest CPU priority.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import shutil
import socket
import tempfile
import uuid
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from foxtrack.core.context import AppState
from foxtrack.core.jsonutil import now
from foxtrack.db import schema as s
from foxtrack.media import FFmpegError, Spec, transcode_movie
from foxtrack.media.ffmpeg import lower_priority
from foxtrack.media.movie import parse_fps, parse_resolution
from foxtrack.storage import storage_of

log = logging.getLogger("foxtrack.media")

Row = dict[str, Any]
LEASE_SECONDS = 30.0
HEARTBEAT_SECONDS = 10.0
MAX_ATTEMPTS = 3
MOVIE_OUTPUTS = (("movies", "previews"), ("movies", "lowdef"), ("pictures", "original"), ("pictures", "thumbnails"),
                 ("pictures", "thumbnails-square"), ("pictures", "previews"), ("pictures", "tiles"))


def _later(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%f")


def queued_job() -> Row:
    return {"state": "queued", "attempts": 0, "worker": None, "lease_until": None}


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


# ----------------------------------------------------------------------------- queue operations (DB side)

def claim(state: AppState, worker_id: str) -> Row | None:
    """Take the oldest queued job (or one whose lease ran out); None when there is nothing to do."""
    pf = s.preview_file
    stamp = now()
    with state.read() as conn:
        rows = conn.execute(sa.select(pf.c.id, pf.c.data, pf.c.updated_at, pf.c.task_id, pf.c.extension)
                            .where(pf.c.status == "processing").order_by(pf.c.updated_at).limit(200)).all()
    for row in rows:
        job = job_of({"data": row.data})
        if job is None or not (job["state"] == "queued" or (job["state"] == "running"
                                                          and (job.get("lease_until") or "") < stamp)):
            continue
        attempts = int(job.get("attempts") or 0)
        if attempts >= MAX_ATTEMPTS:
            fail(state, row.id, f"transcoding did not finish after {attempts} attempts")
            continue
        taken = {**job, "state": "running", "attempts": attempts + 1, "worker": worker_id,
                 "lease_until": _later(LEASE_SECONDS)}
        with state.engine.begin() as conn:
            done = conn.execute(pf.update().where(pf.c.id == row.id, pf.c.updated_at == row.updated_at,
                                                  pf.c.status == "processing")
                                .values(data={**(row.data or {}), "job": taken}, updated_at=now()))
        if done.rowcount == 1:
            return {"id": row.id, "task_id": row.task_id, "extension": row.extension, "job": taken,
                    "data": row.data or {}}
    return None


def renew(state: AppState, preview_id: str, worker_id: str) -> bool:
    """Extend the lease of a running job; False when the job is no longer ours (deleted, taken)."""
    pf = s.preview_file
    with state.engine.begin() as conn:
        row = conn.execute(sa.select(pf.c.data).where(pf.c.id == preview_id, pf.c.status == "processing")).first()
        job = job_of({"data": row.data}) if row is not None else None
        if row is None or job is None or job.get("worker") != worker_id:
            return False
        conn.execute(pf.update().where(pf.c.id == preview_id).values(
            data={**row.data, "job": {**job, "lease_until": _later(LEASE_SECONDS)}}, updated_at=now()))
    return True


def release(state: AppState, preview_id: str, worker_id: str) -> None:
    """Give a job back to the queue (this worker is stopping, or failed for a reason not the file's)."""
    pf = s.preview_file
    with state.engine.begin() as conn:
        row = conn.execute(sa.select(pf.c.data).where(pf.c.id == preview_id, pf.c.status == "processing")).first()
        job = job_of({"data": row.data}) if row is not None else None
        if row is not None and job is not None and job.get("worker") == worker_id:
            conn.execute(pf.update().where(pf.c.id == preview_id).values(
                data={**row.data, "job": {**job, "state": "queued", "worker": None, "lease_until": None}},
                updated_at=now()))


def _project_of(conn: sa.Connection, task_id: str | None) -> Row:
    if not task_id:
        return {}
    row = conn.execute(sa.select(s.project.c.id, s.project.c.fps, s.project.c.resolution)
                       .join(s.task, s.task.c.project_id == s.project.c.id).where(s.task.c.id == task_id)).first()
    return dict(row._mapping) if row else {}


def _finish(state: AppState, preview_id: str, values: Row) -> bool:
    """Mark the preview done and record ``preview-file:add-file`` in the same transaction."""
    pf = s.preview_file
    with state.write() as tx:
        row = tx.execute(sa.select(pf.c.id, pf.c.task_id, pf.c.revision, pf.c.status)
                         .where(pf.c.id == preview_id)).first()
        if row is None or row.status != "processing":
            return False
        tx.execute(pf.update().where(pf.c.id == preview_id).values(**values, updated_at=now()))
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


def fail(state: AppState, preview_id: str, reason: str) -> None:
    """``broken`` with the reason in ``data.error``; the comment and the uploaded source stay."""
    log.warning("preview %s is broken: %s", preview_id, reason)
    _finish(state, preview_id, {"status": "broken", "data": {"error": reason}})


def requeue_lost(state: AppState) -> int:
    """Movies still ``processing`` whose job is gone (a crash between storing the upload and queueing
    it) get a job again when their source is stored."""
    pf = s.preview_file
    store = storage_of(state)
    count = 0
    with state.read() as conn:
        rows = conn.execute(sa.select(pf.c.id, pf.c.data, pf.c.original_name)
                            .where(pf.c.status == "processing", pf.c.original_name.is_not(None))).all()
    for row in rows:
        job = job_of({"data": row.data})
        if job is None and store.stat("movies", "source", row.id) is not None:
            job = queued_job()
        elif job is not None and job["state"] == "running" and _died(job.get("worker")):
            job = {**job, "state": "queued", "worker": None, "lease_until": None}
        else:
            continue
        with state.engine.begin() as conn:
            conn.execute(pf.update().where(pf.c.id == row.id, pf.c.status == "processing")
                         .values(data={**(row.data or {}), "job": job}, updated_at=now()))
        count += 1
    return count


def _died(worker_id: str | None) -> bool:
    """A worker of this machine whose process is gone (no need to wait for its lease to run out)."""
    host, _, rest = (worker_id or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return int(pid) == os.getpid()


# ----------------------------------------------------------------------------- the worker

class MediaWorker:
    """Claims jobs and runs them, ``slots`` at a time, in a pool of low-priority processes."""

    def __init__(self, state: AppState, slots: int = 1, poll_seconds: float = 5.0):
        self.state = state
        self.slots = max(1, slots)
        self.poll_seconds = poll_seconds
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.pool: ProcessPoolExecutor | None = None
        self.task: asyncio.Task[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.wake: asyncio.Event | None = None
        self.running: set[asyncio.Task[None]] = set()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.slots, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=lower_priority, initargs=(os.getpid(),))

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.wake = asyncio.Event()
        self.pool = self._new_pool()
        try:
            requeued = await asyncio.to_thread(requeue_lost, self.state)
            if requeued:
                log.info("re-queued %d movie previews", requeued)
        except Exception:
            log.exception("could not re-queue lost movie jobs")
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
        for task in list(self.running):
            task.cancel()
        if self.running:
            await asyncio.gather(*self.running, return_exceptions=True)
        if self.pool is not None:
            # a job cut short is taken again (its lease runs out, or ``requeue_lost`` sees its worker gone);
            # stopping must not wait for a long transcode, so the pool's processes (and their ffmpeg) end now
            processes = list((getattr(self.pool, "_processes", None) or {}).values())
            self.pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()

    def notify(self) -> None:
        """A job was queued: look now rather than at the next poll (safe from any thread)."""
        if self.loop is not None and self.wake is not None:
            self.loop.call_soon_threadsafe(self.wake.set)

    async def run_forever(self) -> None:
        await self.start()
        try:
            assert self.task is not None
            await self.task
        finally:
            await self.stop()

    async def _run(self) -> None:
        assert self.wake is not None
        while True:
            try:
                while len(self.running) < self.slots:
                    job = await asyncio.to_thread(claim, self.state, self.id)
                    if job is not None:
                        task = asyncio.create_task(self._process(job))
                    else:  # no movie to transcode: a playlist to build?
                        from foxtrack.playlists import builds

                        build = await asyncio.to_thread(builds.claim, self.state, self.id)
                        if build is None:
                            break
                        task = asyncio.create_task(builds.process(self, build))
                    self.running.add(task)
                    task.add_done_callback(self._done)
            except Exception:
                log.exception("media worker failed to claim a job")
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass

    def _done(self, task: asyncio.Task[None]) -> None:
        self.running.discard(task)
        if self.wake is not None:
            self.wake.set()

    async def _heartbeat(self, preview_id: str) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            await asyncio.to_thread(renew, self.state, preview_id, self.id)

    async def _process(self, job: Row) -> None:
        preview_id = job["id"]
        tmp_root = self.state.settings.data_dir / "tmp"
        tmp_root.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix="movie-", dir=tmp_root))
        heartbeat = asyncio.create_task(self._heartbeat(preview_id))
        store = storage_of(self.state)
        try:
            with self.state.read() as conn:
                project = _project_of(conn, job.get("task_id"))
            width, height = parse_resolution(project.get("resolution"))
            fps = parse_fps(project.get("fps"))
            source = await asyncio.to_thread(store.fetch, "movies", "source", preview_id, workdir / "source")
            assert self.loop is not None and self.pool is not None
            result = await self.loop.run_in_executor(self.pool, transcode_in_pool, str(source), str(workdir),
                                                     width, height, fps)
            sizes: dict[str, int] = {}
            for name, path in result["files"].items():
                bucket, prefix = name.split("/", 1)
                sizes[name] = await asyncio.to_thread(store.save, bucket, prefix, preview_id, Path(path))
            source_size = (await asyncio.to_thread(store.stat, "movies", "source", preview_id))
            original = result["original"]
            data = {"movie_prefixes": ["previews", "lowdef"], "original_width": original["width"],
                    "original_height": original["height"], "original_duration": original["duration"],
                    "original_file_size": source_size.size if source_size else None}
            values = {"status": "ready", "width": result["width"], "height": result["height"],
                      "duration": result["duration"], "file_size": sizes["movies/previews"], "extension": "mp4",
                      "data": data}
            if not await asyncio.to_thread(_finish, self.state, preview_id, values):
                # deleted while transcoding: drop what was just stored
                for bucket, prefix in MOVIE_OUTPUTS:
                    await asyncio.to_thread(store.delete, bucket, prefix, preview_id)
        except asyncio.CancelledError:
            await asyncio.to_thread(release, self.state, preview_id, self.id)
            raise
        except FFmpegError as exc:
            await asyncio.to_thread(fail, self.state, preview_id, str(exc))
        except FileNotFoundError:
            await asyncio.to_thread(fail, self.state, preview_id, "the uploaded movie is missing from storage")
        except BrokenProcessPool:
            log.error("the transcoding pool died on preview %s; restarting it", preview_id)
            self.pool = self._new_pool()
            await asyncio.to_thread(release, self.state, preview_id, self.id)
        except Exception as exc:
            log.exception("transcoding preview %s failed", preview_id)
            if int(job["job"].get("attempts") or 0) >= MAX_ATTEMPTS:
                await asyncio.to_thread(fail, self.state, preview_id, f"transcoding failed: {type(exc).__name__}")
            else:
                await asyncio.to_thread(release, self.state, preview_id, self.id)
        finally:
            heartbeat.cancel()
            shutil.rmtree(workdir, ignore_errors=True)


def worker_of(state: AppState) -> MediaWorker | None:
    worker = state.extras.get("media_worker")
    return worker if isinstance(worker, MediaWorker) else None


def install(state: AppState) -> MediaWorker | None:
    """Run a worker inside this process (unless ``FOXTRACK_MEDIA_WORKERS=0``: separate workers only)."""
    if state.settings.media_workers <= 0:
        return None
    worker = MediaWorker(state, slots=state.settings.media_workers)
    state.extras["media_worker"] = worker
    state.extras.setdefault("startup", []).append(worker.start)
    state.extras.setdefault("shutdown", []).append(worker.stop)
    return worker
