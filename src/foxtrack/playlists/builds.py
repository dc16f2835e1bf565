"""Playlist movie builds: a ``build_job`` row is the queue entry, the media worker does the work.

A new job is ``running`` with ``updated_at == created_at`` (nobody took it yet). A worker takes it with
a conditional UPDATE of ``updated_at`` (two workers never take the same job) and renews it while
ffmpeg runs; a job not renewed for ``LEASE_SECONDS`` (its worker died) is taken again. The worker
concatenates the playlist's movie previews (scaled and padded to the project's resolution and frame
rate, silence where a movie has no sound), stores the result under ``movies/playlists/<job id>`` and
ends the job ``succeeded`` or ``failed`` with ``build-job:update``, in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from foxtrack.core.context import AppState
from foxtrack.core.jsonutil import now
from foxtrack.db import schema as s
from foxtrack.media.ffmpeg import FFmpegError, probe, run
from foxtrack.media.movie import parse_fps, parse_resolution
from foxtrack.storage import storage_of

if TYPE_CHECKING:
    from foxtrack.previews.jobs import MediaWorker

log = logging.getLogger("foxtrack.media")

Row = dict[str, Any]
LEASE_SECONDS = 60.0
HEARTBEAT_SECONDS = 15.0
BUCKET, PREFIX = "movies", "playlists"


def _ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%f")


# ----------------------------------------------------------------------------- queue operations (DB side)

def claim(state: AppState, worker_id: str) -> Row | None:
    """Take the oldest build job nobody works on; None when there is nothing to do."""
    bj = s.build_job
    stale = _ago(LEASE_SECONDS)
    with state.read() as conn:
        rows = conn.execute(sa.select(bj.c.id, bj.c.playlist_id, bj.c.created_at, bj.c.updated_at)
                            .where(bj.c.status == "running").order_by(bj.c.created_at).limit(50)).all()
    for row in rows:
        if row.updated_at != row.created_at and row.updated_at >= stale:
            continue
        with state.engine.begin() as conn:
            done = conn.execute(bj.update().where(bj.c.id == row.id, bj.c.updated_at == row.updated_at,
                                                  bj.c.status == "running").values(updated_at=now()))
        if done.rowcount == 1:
            return {"id": row.id, "playlist_id": row.playlist_id, "worker": worker_id}
    return None


def renew(state: AppState, job_id: str) -> None:
    bj = s.build_job
    with state.engine.begin() as conn:
        conn.execute(bj.update().where(bj.c.id == job_id, bj.c.status == "running").values(updated_at=now()))


def inputs(state: AppState, playlist_id: str | None) -> tuple[list[str], Row]:
    """The ids of the ready movie previews of a playlist, in its order, and the project's spec."""
    pf = s.preview_file
    with state.read() as conn:
        playlist = conn.execute(sa.select(s.playlist.c.shots, s.playlist.c.project_id)
                                .where(s.playlist.c.id == playlist_id)).first()
        if playlist is None:
            return [], {}
        wanted = [str(sh["preview_file_id"]) for sh in (playlist.shots or [])
                  if isinstance(sh, dict) and sh.get("preview_file_id")]
        ready = {r[0] for r in conn.execute(sa.select(pf.c.id).where(pf.c.id.in_(wanted), pf.c.extension == "mp4",
                                                                      pf.c.status == "ready"))}
        project = conn.execute(sa.select(s.project.c.fps, s.project.c.resolution)
                               .where(s.project.c.id == playlist.project_id)).first()
    spec = dict(project._mapping) if project is not None else {}
    return [i for i in wanted if i in ready], spec


def finish(state: AppState, job_id: str, status: str) -> bool:
    """End a job (``succeeded`` or ``failed``) with ``build-job:update``; False when it is gone."""
    bj = s.build_job
    with state.write() as tx:
        row = tx.execute(sa.select(bj.c.playlist_id, bj.c.status).where(bj.c.id == job_id)).first()
        if row is None or row.status != "running":
            return False
        stamp = now()
        tx.execute(bj.update().where(bj.c.id == job_id).values(status=status, ended_at=stamp, updated_at=stamp))
        project_id = tx.execute(sa.select(s.playlist.c.project_id).where(s.playlist.c.id == row.playlist_id)).scalar()
        tx.emit("build-job:update", {"build_job_id": job_id, "playlist_id": row.playlist_id, "status": status},
                project_id=project_id)
    return True


# ----------------------------------------------------------------------------- the work itself (pool side)

def concat_in_pool(sources: list[str], target: str, width: int, height: int, fps: float) -> str:
    """Run in a pool process: one H.264/AAC movie of ``sources`` one after the other."""
    args: list[str] = []
    chains: list[str] = []
    for index, source in enumerate(sources):
        info = probe(Path(source))
        args += ["-i", source]
        chains.append(f"[{index}:v]scale={width}:{height}:force_original_aspect_ratio=decrease,"
                      f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={fps},format=yuv420p[v{index}]")
        if info.has_audio:
            chains.append(f"[{index}:a]aresample=48000,aformat=channel_layouts=stereo[a{index}]")
        else:
            chains.append(f"anullsrc=r=48000:cl=stereo,atrim=duration={max(info.duration, 0.04):.3f}[a{index}]")
    joined = "".join(f"[v{i}][a{i}]" for i in range(len(sources)))
    chains.append(f"{joined}concat=n={len(sources)}:v=1:a=1[v][a]")
    run([*args, "-filter_complex", ";".join(chains), "-map", "[v]", "-map", "[a]", "-c:v", "libx264",
         "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
         "-movflags", "+faststart", target], timeout=3600)
    return target


# ----------------------------------------------------------------------------- one job (worker side)

async def _heartbeat(state: AppState, job_id: str) -> None:
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        await asyncio.to_thread(renew, state, job_id)


async def process(worker: MediaWorker, job: Row) -> None:
    """Build the movie of one job in the worker's pool; the job ends succeeded or failed."""
    state, job_id = worker.state, job["id"]
    tmp_root = state.settings.data_dir / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="build-", dir=tmp_root))
    heartbeat = asyncio.create_task(_heartbeat(state, job_id))
    store = storage_of(state)
    status = "failed"
    try:
        preview_ids, spec = await asyncio.to_thread(inputs, state, job.get("playlist_id"))
        if not preview_ids:
            log.warning("build job %s: the playlist has no ready movie preview", job_id)
        else:
            sources = []
            for index, preview_id in enumerate(preview_ids):
                sources.append(str(await asyncio.to_thread(store.fetch, "movies", "previews", preview_id,
                                                           workdir / f"{index}.mp4")))
            width, height = parse_resolution(spec.get("resolution"))
            target = str(workdir / "playlist.mp4")
            assert worker.loop is not None and worker.pool is not None
            await worker.loop.run_in_executor(worker.pool, concat_in_pool, sources, target, width, height,
                                              parse_fps(spec.get("fps")))
            await asyncio.to_thread(store.save, BUCKET, PREFIX, job_id, Path(target))
            status = "succeeded"
    except asyncio.CancelledError:
        heartbeat.cancel()
        shutil.rmtree(workdir, ignore_errors=True)
        raise  # the job stays running: its lease runs out and another worker takes it
    except (FFmpegError, FileNotFoundError) as exc:
        log.warning("build job %s failed: %s", job_id, exc)
    except Exception:
        log.exception("build job %s failed", job_id)
    heartbeat.cancel()
    try:
        if not await asyncio.to_thread(finish, state, job_id, status) and status == "succeeded":
            await asyncio.to_thread(store.delete, BUCKET, PREFIX, job_id)  # deleted while building
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
