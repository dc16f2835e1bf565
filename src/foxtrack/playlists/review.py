"""Reviewing with playlists: movie builds (started here, done by the media worker), the zip of the
previews, temporary playlists made of tasks, and telling the clients a playlist is ready."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from foxtrack import jobs
from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import BadRequest, NotFound
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import ENTITY, MODELS
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.playlists import builds
from foxtrack.previews import service as previews
from foxtrack.storage import Storage, storage_of
from foxtrack.tasks import queries as tq

Row = dict[str, Any]
PLAYLIST = MODELS["playlists"]
BUILD_JOB = MODELS["build-jobs"]
PREVIEW = MODELS["preview-files"]
NOTIFICATION = MODELS["notifications"]


def _playlist(ctx: RequestContext, conn: sa.Connection, playlist_id: str, manage: bool = False) -> Row:
    playlist = tq.load(conn, PLAYLIST, playlist_id)
    if manage:
        perm.check_supervisor_project_access(ctx, conn, playlist.get("project_id"))
    elif perm.check_project_access(ctx, conn, playlist.get("project_id")) == perm.CLIENT \
            and not playlist.get("for_client"):
        raise NotFound()
    return playlist


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "playlist"


# ----------------------------------------------------------------------------- builds

def start_build(ctx: RequestContext, playlist_id: str) -> Row:
    """A new ``running`` build job for the playlist's movie; the media worker takes it."""
    with ctx.write() as tx:
        playlist = _playlist(ctx, tx.conn, playlist_id, manage=True)
        job = crud.insert(tx, BUILD_JOB, {"status": "running", "job_type": "movie", "playlist_id": playlist_id,
                                          "ended_at": None})
        builds.enqueue(tx, job["id"])
        tx.emit("build-job:new", {"build_job_id": job["id"], "playlist_id": playlist_id,
                                  "created_at": job["created_at"]}, project_id=playlist.get("project_id"))
    jobs.notify(ctx.state)
    return job


def build_download(ctx: RequestContext, playlist_id: str, job_id: str) -> tuple[Row, str]:
    """A finished build job and the name to download its movie as."""
    with ctx.read() as conn:
        playlist = _playlist(ctx, conn, playlist_id)
        job = tq.load(conn, BUILD_JOB, job_id)
        if job.get("playlist_id") != playlist_id:
            raise NotFound()
        project = tq.PROJECT.get(conn, playlist["project_id"]) or {}
    if job["status"] == "running":
        raise BadRequest("The build is not finished.")
    if job["status"] != "succeeded":
        raise NotFound("The build failed: there is no movie.")
    stamp = (job.get("created_at") or "")[:19].replace(":", "-")
    return job, f"{slug(project.get('name') or '')}_{slug(playlist['name'])}_{stamp}.mp4"


def forget_builds(ctx: RequestContext, job_ids: list[str]) -> None:
    """Remove the stored movies of deleted build jobs."""
    store = storage_of(ctx.state)
    for job_id in job_ids:
        store.delete(builds.BUCKET, builds.PREFIX, job_id)


# ----------------------------------------------------------------------------- zip of the previews

@dataclass
class ZipEntry:
    name: str
    bucket: str
    prefix: str
    key: str


def _where(store: Storage, preview: Row) -> tuple[str, str, str] | None:
    extension = preview.get("extension") or ""
    candidates: tuple[tuple[str, str], ...]
    if extension == "mp4":
        candidates = (("movies", "previews"), ("movies", "source"))
    elif extension == "png":
        candidates = (("pictures", "original"),)
    else:
        candidates = (("files", "previews"),)
    for bucket, prefix in candidates:
        if store.stat(bucket, prefix, preview["id"]) is not None:
            return bucket, prefix, extension
    return None


def zip_entries(ctx: RequestContext, playlist_id: str) -> tuple[str, list[ZipEntry]]:
    """The zip's name and its files: the stored file of each preview of the playlist, in order."""
    with ctx.read() as conn:
        playlist = _playlist(ctx, conn, playlist_id)
        wanted = [str(sh["preview_file_id"]) for sh in (playlist.get("shots") or [])
                  if isinstance(sh, dict) and is_uuid(sh.get("preview_file_id"))]
        rows = {r["id"]: r for r in PREVIEW.to_dicts(conn.execute(PREVIEW.select()
                                                                   .where(s.preview_file.c.id.in_(wanted))))}
    store = storage_of(ctx.state)
    entries: list[ZipEntry] = []
    seen: set[str] = set()
    for preview_id in wanted:
        preview = rows.get(preview_id)
        found = _where(store, preview) if preview else None
        if preview is None or found is None:
            continue
        bucket, prefix, extension = found
        name = previews.download_name(ctx, preview, extension)
        while name in seen:
            name = f"{Path(name).stem}_{preview_id[:8]}{Path(name).suffix}"
        seen.add(name)
        entries.append(ZipEntry(name, bucket, prefix, preview_id))
    return f"{slug(playlist['name'])}.zip", entries


class _Sink(io.RawIOBase):
    """A write-only stream that hands over what was written since the last ``take``."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self.chunks)
        self.chunks.clear()
        return out


def stream_zip(store: Storage, entries: list[ZipEntry], tmp_root: Path) -> Iterator[bytes]:
    """The zip, written as it is read (stored, not deflated: movies and PNGs are compressed already)."""
    sink = _Sink()
    tmp_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tmp_root) as workdir, \
            zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for index, entry in enumerate(entries):
            try:
                source = store.fetch(entry.bucket, entry.prefix, entry.key, Path(workdir) / str(index))
            except FileNotFoundError:
                continue
            with source.open("rb") as src, archive.open(entry.name, "w", force_zip64=True) as dst:
                while chunk := src.read(1024 * 1024):
                    dst.write(chunk)
                    yield sink.take()
            if source.parent == Path(workdir):
                source.unlink(missing_ok=True)
    yield sink.take()


# ----------------------------------------------------------------------------- temporary playlists

def temp_playlist(ctx: RequestContext, project_id: str, body: Row) -> list[Row]:
    """The entities of the given tasks as a playlist would show them (last preview of each task), not
    stored."""
    task_ids = body.get("task_ids") or []
    if not isinstance(task_ids, list) or not all(isinstance(i, str) for i in task_ids):
        raise BadRequest("task_ids must be a list of task ids.")
    if any(not is_uuid(i) for i in task_ids):
        raise BadRequest("Malformed ID.")
    t, pf = s.task, s.preview_file
    with ctx.read() as conn:
        tq.load(conn, tq.PROJECT, project_id)
        perm.check_project_access(ctx, conn, project_id)
        tasks = conn.execute(sa.select(t.c.id, t.c.entity_id).where(t.c.id.in_(task_ids),
                                                                    t.c.project_id == project_id)).all()
        out = []
        for task_id, entity_id in sorted(tasks, key=lambda r: task_ids.index(r.id)):
            last = conn.execute(PREVIEW.select().where(pf.c.task_id == task_id)
                                .order_by(pf.c.revision.desc(), pf.c.position, pf.c.created_at.desc())
                                .limit(1)).first()
            entity = ENTITY.get(conn, entity_id)
            if last is None or entity is None:
                continue
            out.append(_temp_entry(conn, entity, PREVIEW.to_dict(last)))
    for entry in out:
        entry["preview_files"] = previews.entity_preview_files(ctx, entry["id"])
    return out


def _temp_entry(conn: sa.Connection, entity: Row, preview: Row) -> Row:
    parent = ENTITY.get(conn, entity["parent_id"]) if entity.get("parent_id") else None
    grand = ENTITY.get(conn, parent["parent_id"]) if parent and parent.get("parent_id") else None
    entity_type = conn.execute(sa.select(s.entity_type.c.name).where(s.entity_type.c.id == entity["entity_type_id"])
                               ).scalar()
    is_shot = entity_type == "Shot"
    return {
        "id": entity["id"], "name": entity["name"], "preview_file_task_id": preview["task_id"],
        "parent_name": parent["name"] if parent else "",
        "episode_id": (grand["id"] if grand else "") if is_shot else "",
        "episode_name": (grand["name"] if grand else "") if is_shot else "",
        "sequence_id": parent["id"] if is_shot and parent else "",
        "sequence_name": parent["name"] if is_shot and parent else "",
        "asset_type_id": "" if is_shot else entity["entity_type_id"],
        "asset_type_name": "" if is_shot else (entity_type or ""),
        "preview_file_id": preview["id"], "preview_file_extension": preview["extension"],
        "preview_file_width": preview["width"], "preview_file_height": preview["height"],
        "preview_file_duration": preview["duration"], "preview_file_revision": preview["revision"],
        "preview_file_status": preview["status"], "preview_file_annotations": preview.get("annotations") or [],
        "preview_file_previews": [],
    }


# ----------------------------------------------------------------------------- telling the clients

def notify_clients(ctx: RequestContext, playlist_id: str) -> Row:
    """A ``playlist-ready`` notification for every client of the project's team."""
    p, link = s.person, s.project_person_link
    with ctx.write() as tx:
        playlist = _playlist(ctx, tx.conn, playlist_id, manage=True)
        clients = [r[0] for r in tx.execute(sa.select(p.c.id).join(link, link.c.person_id == p.c.id)
                                            .where(link.c.project_id == playlist["project_id"],
                                                   p.c.role == "client", p.c.active.is_not(False)))]
        for person_id in clients:
            note = crud.insert(tx, NOTIFICATION, {"person_id": person_id, "author_id": ctx.person_id,
                                                  "type": "playlist-ready", "playlist_id": playlist_id,
                                                  "read": False, "change": False})
            tx.emit("notification:new", {"notification_id": note["id"], "person_id": person_id},
                    project_id=playlist["project_id"])
    return {"status": "success"}
