"""Playlist movie builds: a ``build_job`` row is the record the API shows (``running``, then
``succeeded`` or ``failed``), a job of kind ``playlist-build`` (``foxtrack.jobs``) does the work.

The handler concatenates the playlist's movie previews (scaled and padded to the project's resolution
and frame rate, silence where a movie has no sound) in the worker's pool, stores the result under
``movies/playlists/<build job id>`` and ends the build job with ``build-job:update``, in one
transaction. A playlist without a ready movie, or a movie ffmpeg cannot read, fails the build at once;
other failures are tried again before the build is ``failed``.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from foxtrack.core.context import AppState, Tx
from foxtrack.core.jsonutil import now
from foxtrack.db import schema as s
from foxtrack.jobs import GiveUp, Job, Kind, Queue, Worker
from foxtrack.media.ffmpeg import FFmpegError, probe, run
from foxtrack.media.movie import parse_fps, parse_resolution
from foxtrack.storage import storage_of

Row = dict[str, Any]
KIND = "playlist-build"
MAX_ATTEMPTS = 3
BUCKET, PREFIX = "movies", "playlists"


def enqueue(tx: Tx, build_job_id: str) -> str:
    """Queue the build of a new ``running`` build job, in the caller's transaction."""
    return Queue().enqueue(tx, KIND, build_job_id, max_attempts=MAX_ATTEMPTS)


# ----------------------------------------------------------------------------- records (DB side)

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


def _playlist_of(state: AppState, build_job_id: str) -> str | None:
    """The playlist of a build job still running (None: deleted or ended)."""
    bj = s.build_job
    with state.read() as conn:
        row = conn.execute(sa.select(bj.c.playlist_id, bj.c.status).where(bj.c.id == build_job_id)).first()
    return str(row.playlist_id) if row is not None and row.status == "running" else None


def _end(tx: Tx, build_job_id: str, status: str) -> bool:
    """End a build job (``succeeded`` or ``failed``) with ``build-job:update``; False when it is gone."""
    bj = s.build_job
    row = tx.execute(sa.select(bj.c.playlist_id, bj.c.status).where(bj.c.id == build_job_id)).first()
    if row is None or row.status != "running":
        return False
    stamp = now()
    tx.update(bj, {"status": status, "ended_at": stamp, "updated_at": stamp}, bj.c.id == build_job_id)
    project_id = tx.execute(sa.select(s.playlist.c.project_id).where(s.playlist.c.id == row.playlist_id)).scalar()
    tx.emit("build-job:update", {"build_job_id": build_job_id, "playlist_id": row.playlist_id, "status": status},
            project_id=project_id)
    return True


def _succeeded(state: AppState, build_job_id: str) -> bool:
    with state.write() as tx:
        return _end(tx, build_job_id, "succeeded")


def _failed(tx: Tx, job: Job, _error: BaseException, retry_at: str | None) -> None:
    if retry_at is None and job.target_id is not None:
        _end(tx, job.target_id, "failed")


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


# ----------------------------------------------------------------------------- the handler (worker side)

async def build(worker: Worker, job: Job) -> None:
    """Build the movie of one build job in the worker's pool."""
    state, build_job_id = worker.state, str(job.target_id)
    playlist_id = await asyncio.to_thread(_playlist_of, state, build_job_id)
    if playlist_id is None:
        return
    preview_ids, spec = await asyncio.to_thread(inputs, state, playlist_id)
    if not preview_ids:
        raise GiveUp("the playlist has no ready movie preview")
    tmp_root = state.settings.data_dir / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="build-", dir=tmp_root))
    store = storage_of(state)
    try:
        sources = []
        for index, preview_id in enumerate(preview_ids):
            sources.append(str(await asyncio.to_thread(store.fetch, "movies", "previews", preview_id,
                                                       workdir / f"{index}.mp4")))
        width, height = parse_resolution(spec.get("resolution"))
        target = str(workdir / "playlist.mp4")
        await worker.in_pool(concat_in_pool, sources, target, width, height, parse_fps(spec.get("fps")))
        await asyncio.to_thread(store.save, BUCKET, PREFIX, build_job_id, Path(target))
        if not await asyncio.to_thread(_succeeded, state, build_job_id):
            await asyncio.to_thread(store.delete, BUCKET, PREFIX, build_job_id)  # deleted while building
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def kind() -> Kind:
    return Kind(KIND, build, lane="media", max_attempts=MAX_ATTEMPTS, base_delay=1.0,
                permanent=(FFmpegError, FileNotFoundError), failed=_failed)
