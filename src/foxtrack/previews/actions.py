"""Review actions on preview files: annotations, frame and tile extraction, the running previews, and
thumbnails of picture attachments."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import BadRequest, NotFound, validation_error
from foxtrack.core.models import MODELS, TASK
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.entities.names import full_entity_names
from foxtrack.media.ffmpeg import FFmpegError, run
from foxtrack.previews import media
from foxtrack.storage import Storage, storage_of
from foxtrack.tasks import queries as tq

Row = dict[str, Any]
PREVIEW = MODELS["preview-files"]
ATTACHMENT = MODELS["attachment-files"]
NOT_A_MOVIE = "Preview file is not a movie"


# ----------------------------------------------------------------------------- annotations

def _frames(value: Any, name: str) -> list[Row]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise validation_error({name: "Input should be a valid list"}, "Validation error.")
    return value


def _objects(frame: Row) -> list[Row]:
    drawing = frame.get("drawing")
    objects = drawing.get("objects") if isinstance(drawing, dict) else None
    return [o for o in objects if isinstance(o, dict)] if isinstance(objects, list) else []


def merge_annotations(current: list[Row], additions: list[Row], updates: list[Row],
                      deletions: list[Row]) -> list[Row]:
    """Kitsu's annotation merge: frames are keyed by ``time``; additions append objects (an object
    already there keeps its place), updates replace objects by ``id`` (moved to the end), deletions
    remove object ids from a frame."""
    frames: dict[Any, Row] = {}
    for frame in current:
        if isinstance(frame, dict):
            frames[frame.get("time")] = {**frame, "drawing": {**(frame.get("drawing") or {}),
                                                              "objects": _objects(frame)}}

    def frame_at(source: Row) -> Row:
        time = source.get("time")
        if time not in frames:
            frames[time] = {**source, "drawing": {**(source.get("drawing") or {}), "objects": []}}
        return frames[time]

    for addition in additions:
        target = frame_at(addition)
        present = {o.get("id") for o in target["drawing"]["objects"]}
        target["drawing"]["objects"] += [o for o in _objects(addition) if o.get("id") not in present]
    for update in updates:
        target = frame_at(update)
        changed = _objects(update)
        ids = {o.get("id") for o in changed}
        target["drawing"]["objects"] = [o for o in target["drawing"]["objects"] if o.get("id") not in ids] + changed
    for deletion in deletions:
        found = frames.get(deletion.get("time"))
        removed = deletion.get("objects") or []
        if found is None or not isinstance(removed, list):
            continue
        gone = {o.get("id") if isinstance(o, dict) else o for o in removed}
        found["drawing"]["objects"] = [o for o in found["drawing"]["objects"] if o.get("id") not in gone]
    return list(frames.values())


def update_annotations(ctx: RequestContext, preview_id: str, body: Row) -> Row:
    """Merge ``{additions, updates, deletions}`` into a preview's annotations; answers the preview."""
    additions = _frames(body.get("additions"), "additions")
    updates = _frames(body.get("updates"), "updates")
    deletions = _frames(body.get("deletions"), "deletions")
    with ctx.write() as tx:
        preview = tq.load(tx.conn, PREVIEW, preview_id)
        task = TASK.get(tx.conn, preview["task_id"]) if preview.get("task_id") else None
        if task is None:
            raise NotFound()
        perm.check_project_access(ctx, tx.conn, task["project_id"])
        stored = preview.get("annotations")
        current: list[Row] = stored if isinstance(stored, list) else []
        merged = merge_annotations(current, additions, updates, deletions)
        crud.update_row(tx, PREVIEW, preview_id, {"annotations": merged})
        row = tq.load(tx.conn, PREVIEW, preview_id)
        tx.emit("preview-file:annotation-update", {"preview_file_id": preview_id, "person_id": ctx.person_id,
                                                   "updated_at": row["updated_at"]},
                project_id=task["project_id"])
        return row


# ----------------------------------------------------------------------------- frames and tiles

def preview_of_task(ctx: RequestContext, preview_id: str) -> Row:
    """A preview whose project the caller can see."""
    with ctx.read() as conn:
        preview = tq.load(conn, PREVIEW, preview_id)
        task = TASK.get(conn, preview["task_id"]) if preview.get("task_id") else None
        if task is None:
            raise NotFound()
        perm.check_project_access(ctx, conn, task["project_id"])
    return preview


def is_picture(preview: Row) -> bool:
    return preview.get("extension") in media.PICTURE_EXTENSIONS


def frame_number(value: str | None) -> int:
    if value in (None, ""):
        return 0
    try:
        number = int(str(value))
    except ValueError as exc:
        raise BadRequest("frame_number must be an integer") from exc
    if number < 0:
        raise BadRequest("frame_number must be positive")
    return number


def _movie_location(store: Storage, preview: Row) -> tuple[str, str]:
    if preview.get("extension") != "mp4":
        raise BadRequest(NOT_A_MOVIE)
    for prefix in ("previews", "lowdef"):
        if store.stat("movies", prefix, preview["id"]) is not None:
            return "movies", prefix
    raise NotFound(f"No stored movie for preview file {preview['id']}.")


def extract_frame(ctx: RequestContext, preview: Row, number: int, fps: float) -> bytes:
    """The PNG of frame ``number`` of a movie preview (blocking: ffmpeg)."""
    store = storage_of(ctx.state)
    bucket, prefix = _movie_location(store, preview)
    duration = float(preview.get("duration") or 0)
    seconds = number / fps if fps > 0 else 0.0
    if duration and seconds >= duration:
        raise BadRequest(f"Frame {number} is beyond the end of the movie.")
    with tempfile.TemporaryDirectory(dir=_tmp(ctx)) as workdir:
        movie = store.fetch(bucket, prefix, preview["id"], Path(workdir) / "movie.mp4")
        target = Path(workdir) / "frame.png"
        try:
            run(["-ss", f"{seconds:.4f}", "-i", str(movie), "-frames:v", "1", "-f", "image2", "-c:v", "png",
                 str(target)], timeout=120)
        except FFmpegError as exc:
            raise BadRequest(str(exc)) from exc
        if not target.is_file():
            raise BadRequest(f"Frame {number} is beyond the end of the movie.")
        return target.read_bytes()


def project_fps(ctx: RequestContext, preview: Row) -> float:
    with ctx.read() as conn:
        fps = conn.execute(sa.select(s.project.c.fps).join(s.task, s.task.c.project_id == s.project.c.id)
                           .where(s.task.c.id == preview["task_id"])).scalar()
    try:
        return float(fps or 25)
    except ValueError:
        return 25.0


def tile_location(ctx: RequestContext, preview: Row) -> tuple[str, str]:
    """Where the scrubbing tiles of a movie preview are stored."""
    if preview.get("extension") != "mp4":
        raise BadRequest(NOT_A_MOVIE)
    if storage_of(ctx.state).stat("pictures", "tiles", preview["id"]) is None:
        raise NotFound(f"No tiles for preview file {preview['id']}.")
    return "pictures", "tiles"


def _tmp(ctx: RequestContext) -> Path:
    root = ctx.state.settings.data_dir / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    return root


# ----------------------------------------------------------------------------- running previews

def running_previews(ctx: RequestContext) -> list[Row]:
    """Previews being processed or broken, in open projects, newest first, with project, task type and
    entity names (``data/playlists/preview-files/running``)."""
    perm.require_manager(ctx)
    pf, t, p = s.preview_file, s.task, s.project
    open_status = sa.select(s.project_status.c.id).where(s.project_status.c.name == "Open")
    clauses: list[sa.ColumnElement[bool]] = [pf.c.status.in_(("processing", "broken")),
                                             p.c.project_status_id.in_(open_status)]
    scope = perm.project_scope(ctx, t.c.project_id)
    if scope is not None:
        clauses.append(scope)
    n = len(PREVIEW.keys)
    stmt = (sa.select(*PREVIEW.columns, t.c.project_id, t.c.task_type_id, t.c.entity_id)
            .select_from(pf.join(t, t.c.id == pf.c.task_id).join(p, p.c.id == t.c.project_id))
            .where(*clauses).order_by(pf.c.created_at.desc()))
    out = []
    with ctx.read() as conn:
        rows = conn.execute(stmt).all()
        names = full_entity_names(conn, (row[n + 2] for row in rows))
    for row in rows:
        item = PREVIEW.to_dict(row[:n])
        project_id, task_type_id, entity_id = row[n:]
        item["data"] = {k: v for k, v in (item.get("data") or {}).items() if k != "job"} or None
        full = names.get(entity_id)
        item.update(project_id=project_id, task_type_id=task_type_id, full_entity_name=full.name if full else "")
        out.append(item)
    return out


# ----------------------------------------------------------------------------- attachment thumbnails

def attachment_thumbnail(ctx: RequestContext, attachment_id: str) -> None:
    """Make (once) the 150x100 PNG thumbnail of a picture attachment (blocking: Pillow)."""
    with ctx.read() as conn:
        attachment = tq.load(conn, ATTACHMENT, attachment_id)
        comment = conn.execute(sa.select(s.comment.c.object_id).where(s.comment.c.id == attachment["comment_id"])
                               ).scalar() if attachment.get("comment_id") else None
        project_id = conn.execute(sa.select(s.task.c.project_id).where(s.task.c.id == comment)).scalar()
        if project_id is not None:
            perm.check_project_access(ctx, conn, project_id)
        else:
            perm.require_admin(ctx)
    if (attachment.get("extension") or "").lower() not in media.PICTURE_EXTENSIONS | {"gif", "webp"}:
        raise NotFound()
    store = storage_of(ctx.state)
    if store.stat("pictures", "thumbnails", attachment_id) is not None:
        return
    with tempfile.TemporaryDirectory(dir=_tmp(ctx)) as workdir:
        try:
            source = store.fetch("files", "attachments", attachment_id, Path(workdir) / "source")
        except FileNotFoundError as exc:
            raise NotFound() from exc
        target = Path(workdir) / "thumbnail.png"
        try:
            media.build_avatar(source, target, media.THUMBNAIL, ctx.state.settings.max_image_pixels)
        except media.BadPicture as exc:
            raise NotFound() from exc
        store.save("pictures", "thumbnails", attachment_id, target)
