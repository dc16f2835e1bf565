"""Preview files: creation on a comment, upload and variants, main preview, downloads, lists."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack import jobs as background
from foxtrack.core import permissions as perm
from foxtrack.core.context import AppState, RequestContext, Tx
from foxtrack.core.errors import ApiError, BadRequest, Forbidden, NotFound
from foxtrack.core.jsonutil import is_uuid, new_id
from foxtrack.core.models import COMMENT, ENTITY, MODELS, PERSON, PROJECT, TASK
from foxtrack.crud import service as crud
from foxtrack.crud.policy import Policies
from foxtrack.db import schema as s
from foxtrack.previews import jobs, media
from foxtrack.storage import storage_of
from foxtrack.storage.uploads import Upload
from foxtrack.tasks import queries as tq

Row = dict[str, Any]
PREVIEW = MODELS["preview-files"]
PICTURE_VARIANTS = {"thumbnails": "thumbnails", "thumbnails-square": "thumbnails-square",
                    "previews": "previews", "originals": "original"}


# ----------------------------------------------------------------------------- CRUD hooks

def comment_ids(conn: Connection, preview_ids: list[str]) -> dict[str, list[str]]:
    link = s.comment_preview_link
    out: dict[str, list[str]] = {i: [] for i in preview_ids}
    for comment_id, preview_id in conn.execute(sa.select(link.c.comment_id, link.c.preview_file_id)
                                               .where(link.c.preview_file_id.in_(preview_ids))):
        out[preview_id].append(comment_id)
    return out


def _shape_one(ctx: RequestContext, conn: Connection, row: Row) -> Row:
    if row.get("task_id"):
        project_id = conn.execute(sa.select(s.task.c.project_id).where(s.task.c.id == row["task_id"])).scalar()
        if project_id:
            perm.check_project_access(ctx, conn, project_id)
    row["comments"] = comment_ids(conn, [row["id"]])[row["id"]]
    return row


def _delete_hook(ctx: RequestContext, tx: Tx, preview: Row, force: bool) -> None:
    task = TASK.get(tx.conn, preview["task_id"]) if preview.get("task_id") else None
    if task is not None:
        perm.check_task_action_access(ctx, tx.conn, task)
    elif not ctx.is_admin:
        raise Forbidden()
    remove_preview(ctx, tx, preview)
    tx.emit("preview-file:delete", {"preview_file_id": preview["id"]},
            project_id=task["project_id"] if task else None)


def register_crud(policies: Policies) -> None:
    """This feature's rules for the generic ``/data/<model>`` routes (called by the app factory)."""
    policies.register("preview-files", shape_one=_shape_one, delete="all", delete_hook=_delete_hook)


def remove_preview(ctx: RequestContext, tx: Tx, preview: Row) -> None:
    preview_id = preview["id"]
    tx.delete(s.comment_preview_link, s.comment_preview_link.c.preview_file_id == preview_id)
    tx.update(s.entity, {"preview_file_id": None}, s.entity.c.preview_file_id == preview_id)
    tx.update(s.task, {"last_preview_file_id": None}, s.task.c.last_preview_file_id == preview_id)
    tx.update(s.news, {"preview_file_id": None}, s.news.c.preview_file_id == preview_id)
    tx.delete(s.preview_file, s.preview_file.c.id == preview_id)
    store = storage_of(ctx.state)
    for bucket, prefix in (*jobs.MOVIE_OUTPUTS, ("movies", "source"), ("files", "previews")):
        store.delete(bucket, prefix, preview_id)


# ----------------------------------------------------------------------------- creation

def _revision(conn: Connection, task_id: str, comment_id: str, wanted: Any) -> tuple[int, int]:
    pf, link = s.preview_file, s.comment_preview_link
    if wanted not in (None, ""):
        try:
            revision = int(wanted)
        except (TypeError, ValueError) as exc:
            raise BadRequest("Revision must be an integer.") from exc
    else:
        same = conn.execute(sa.select(sa.func.max(pf.c.revision)).join(link, link.c.preview_file_id == pf.c.id)
                            .where(link.c.comment_id == comment_id)).scalar()
        if same is None:
            revision = int(conn.execute(sa.select(sa.func.max(pf.c.revision)).where(pf.c.task_id == task_id))
                           .scalar() or 0) + 1
        else:
            revision = int(same)
    position = (conn.execute(sa.select(sa.func.max(pf.c.position)).where(pf.c.task_id == task_id,
                                                                          pf.c.revision == revision)).scalar()
                or 0) + 1
    return revision, position


def add_preview(ctx: RequestContext, task_id: str, comment_id: str, body: Row) -> Row:
    """A new (still empty) preview file on a comment; its file comes with the upload."""
    with ctx.write() as tx:
        task = tq.load_task(tx.conn, task_id)
        comment = tq.load(tx.conn, COMMENT, comment_id)
        if comment["object_id"] != task_id:
            raise NotFound()
        perm.check_task_action_access(ctx, tx.conn, task)
        return new_preview(ctx, tx, task, comment_id, body.get("revision"))


def new_preview(ctx: RequestContext, tx: Tx, task: Row, comment_id: str, wanted_revision: Any,
                values: Row | None = None) -> Row:
    """Insert a preview file on a comment (next revision of the task, or the comment's, or the wanted
    one) within the caller's transaction; ``values`` are its file's fields when already known."""
    task_id = task["id"]
    revision, position = _revision(tx.conn, task_id, comment_id, wanted_revision)
    project = PROJECT.get(tx.conn, task["project_id"]) or {}
    if project.get("is_single_preview_per_revision") and position > 1:
        raise BadRequest("Only one preview file is allowed per revision for this project.")
    preview = crud.insert(tx, PREVIEW, {
        "name": new_id()[:13], "revision": revision, "position": position, "extension": "mp4",
        "source": "webgui", "status": "processing", "validation_status": "neutral", "task_id": task_id,
        "person_id": ctx.person_id, "is_movie": False, "file_size": 0, "width": 0, "height": 0,
        "duration": 0, **(values or {}),
    })
    tx.insert(s.comment_preview_link, {"comment_id": comment_id, "preview_file_id": preview["id"]})
    tx.update(s.news, {"preview_file_id": preview["id"]}, s.news.c.comment_id == comment_id)
    tx.emit("preview-file:new", {"preview_file_id": preview["id"], "comment_id": comment_id},
            project_id=task["project_id"])
    preview["comments"] = [comment_id]
    return preview


# ----------------------------------------------------------------------------- decoding pictures

def picture_slot(state: AppState) -> asyncio.Semaphore:
    """At most ``image_workers`` pictures decode at once (each may take hundreds of MB); the others
    wait here, on the loop, without holding a thread."""
    slots = state.extras.get("picture_slots")
    if slots is None:
        slots = state.extras["picture_slots"] = asyncio.Semaphore(max(1, state.settings.image_workers))
    return slots


async def picture_variants(state: AppState, upload: Upload, workdir: Path, keep_png: bool) -> media.Variants:
    """The PNG variants of an uploaded picture, decoded in a bounded slot; 400 when it is not a
    picture or declares more than ``max_image_pixels`` (checked from its header, before decoding)."""
    try:
        async with picture_slot(state):
            return await asyncio.to_thread(media.build_picture_variants, upload.path, workdir, keep_png,
                                           state.settings.max_image_pixels)
    except media.PictureTooLarge as exc:
        raise BadRequest(str(exc)) from exc
    except media.BadPicture as exc:
        raise BadRequest(NOT_A_PICTURE) from exc


# ----------------------------------------------------------------------------- files prepared before a
# transaction (batch comments): validated and turned into variants first, stored with the rows


@dataclass
class PreparedFile:
    """An uploaded preview file checked (and, for a picture, turned into its variants) in advance."""

    upload: Upload
    extension: str
    original_name: str
    variants: media.Variants | None = None


async def prepare_file(state: AppState, upload: Upload, workdir: Path) -> PreparedFile:
    """Check an uploaded preview file (400 when refused); pictures get their variants in ``workdir``."""
    extension = _extension(upload.filename)
    prepared = PreparedFile(upload, extension, Path(upload.filename).stem)
    if upload.size == 0:
        raise BadRequest(NOT_A_PICTURE if extension in media.PICTURE_EXTENSIONS else "Uploaded file is empty.")
    if extension in media.PICTURE_EXTENSIONS:
        workdir.mkdir(parents=True, exist_ok=True)
        prepared.variants = await picture_variants(state, upload, workdir, extension == "png")
    elif extension not in media.MOVIE_EXTENSIONS and extension not in OTHER_EXTENSIONS:
        raise BadRequest(f"Wrong file format, extension: {extension}")
    return prepared


def add_prepared_preview(ctx: RequestContext, tx: Tx, task: Row, comment_id: str, prepared: PreparedFile) -> Row:
    """A new preview on a comment with its (prepared) file stored, in the caller's transaction."""
    store = storage_of(ctx.state)
    preview = new_preview(ctx, tx, task, comment_id, None)
    preview_id = preview["id"]
    values: Row = {"original_name": prepared.original_name, "status": "ready", "data": None, "is_movie": False}
    variants = prepared.variants

    def forget_files() -> None:  # the unit of work rolled back: nothing of this preview stays stored
        for bucket, prefix in (("pictures", "original"), ("pictures", "thumbnails"),
                               ("pictures", "thumbnails-square"), ("pictures", "previews"), ("movies", "source"),
                               ("files", "previews")):
            store.delete(bucket, prefix, preview_id)

    tx.on_rollback(forget_files)
    if variants is not None:
        size = store.save("pictures", "original", preview_id, variants.original)
        store.save("pictures", "thumbnails", preview_id, variants.thumbnail)
        store.save("pictures", "thumbnails-square", preview_id, variants.square)
        store.save("pictures", "previews", preview_id, variants.preview)
        values.update(extension="png", width=variants.width, height=variants.height, file_size=size)
    elif prepared.extension in media.MOVIE_EXTENSIONS:
        store.save("movies", "source", preview_id, prepared.upload.path)
        values.update(extension="mp4", status="processing", data=jobs.enqueue(tx, preview_id))
    else:
        size = store.save("files", "previews", preview_id, prepared.upload.path)
        values.update(extension=prepared.extension, file_size=size)
    crud.update_row(tx, PREVIEW, preview_id, values)
    tx.update(s.task, {"last_preview_file_id": preview_id}, s.task.c.id == task["id"])
    row = tq.load(tx.conn, PREVIEW, preview_id)
    if row["status"] != "processing":
        tx.emit("preview-file:add-file", {"preview_file_id": preview_id, "comment_id": comment_id,
                                          "task_id": task["id"], "revision": row["revision"],
                                          "extension": row["extension"], "status": row["status"]},
                project_id=task["project_id"])
    tx.emit("preview-file:update", {"preview_file_id": preview_id, "status": row["status"]},
            project_id=task["project_id"])
    return row


# ----------------------------------------------------------------------------- upload

def _extension(filename: str) -> str:
    name = Path(filename).name
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


# Other files are stored as they are (Zou's list, give or take); anything else is refused.
OTHER_EXTENSIONS = frozenset({
    "7z", "aac", "ai", "blend", "c4d", "clip", "exr", "fbx", "flac", "gif", "glb", "gltf", "hdr", "hip", "kra",
    "m4a", "ma", "max", "mb", "mp3", "nk", "obj", "ogg", "pdf", "psd", "rar", "sbsar", "spp", "svg", "tga", "tif",
    "tiff", "usd", "usda", "usdc", "usdz", "wav", "webp", "zip", "ztl", "zprj",
})
NOT_A_PICTURE = "Uploaded file is not a readable picture."


def _load_for_upload(ctx: RequestContext, preview_id: str) -> tuple[Row, Row]:
    with ctx.read() as conn:
        preview = tq.load(conn, PREVIEW, preview_id)
        task = TASK.get(conn, preview["task_id"]) if preview.get("task_id") else None
        if task is None:
            raise NotFound()
        perm.check_task_action_access(ctx, conn, task)
    return preview, task


async def upload_preview(ctx: RequestContext, preview_id: str, upload: Upload | None) -> Row:
    """Store the uploaded file of a preview. Pictures get their PNG variants at once (``ready``);
    movies are stored and queued (``processing``) for the transcoding worker; other files are kept
    as they are (``ready``)."""
    preview, task = await asyncio.to_thread(_load_for_upload, ctx, preview_id)
    if upload is None:
        raise BadRequest("No file given.")
    if _has_file(preview):
        raise BadRequest("This preview file already has a file.")
    if upload.size > ctx.state.settings.max_upload_bytes:
        raise ApiError("File too large.", status=413)
    extension = _extension(upload.filename)
    original_name = Path(upload.filename).stem
    try:
        return await _store_upload(ctx, preview_id, task, upload, extension, original_name)
    except BadRequest as exc:
        await asyncio.to_thread(_mark_broken, ctx, preview_id, task, exc.message)
        raise


def _has_file(preview: Row) -> bool:
    """A file was accepted: ready, or a movie waiting for its transcoding. Broken ones may be redone."""
    return preview.get("status") == "ready" or (preview.get("status") == "processing"
                                                and preview.get("original_name") is not None)


def _mark_broken(ctx: RequestContext, preview_id: str, task: Row, reason: str) -> None:
    """A refused file leaves the preview ``broken`` with the reason (never a stuck ``processing``)."""
    with ctx.write() as tx:
        row = tx.execute(sa.select(s.preview_file.c.status, s.preview_file.c.original_name)
                         .where(s.preview_file.c.id == preview_id)).first()
        if row is None or _has_file(dict(row._mapping)):
            return
        crud.update_row(tx, PREVIEW, preview_id, {"status": "broken", "data": {"error": reason}})
        tx.emit("preview-file:update", {"preview_file_id": preview_id, "status": "broken"},
                project_id=task["project_id"])


async def _store_upload(ctx: RequestContext, preview_id: str, task: Row, upload: Upload, extension: str,
                        original_name: str) -> Row:
    store = storage_of(ctx.state)
    values: Row = {"original_name": original_name, "status": "ready", "data": None}
    if extension in media.PICTURE_EXTENSIONS:
        if upload.size == 0:
            raise BadRequest(NOT_A_PICTURE)
        with tempfile.TemporaryDirectory(dir=upload.path.parent) as workdir:
            variants = await picture_variants(ctx.state, upload, Path(workdir), extension == "png")

            def save_all() -> int:
                size = store.save("pictures", "original", preview_id, variants.original)
                store.save("pictures", "thumbnails", preview_id, variants.thumbnail)
                store.save("pictures", "thumbnails-square", preview_id, variants.square)
                store.save("pictures", "previews", preview_id, variants.preview)
                return size

            size = await asyncio.to_thread(save_all)
        values.update(extension="png", width=variants.width, height=variants.height, file_size=size,
                      is_movie=False)
    elif extension in media.MOVIE_EXTENSIONS:
        if upload.size == 0:
            raise BadRequest("Uploaded file is empty.")
        await asyncio.to_thread(store.save, "movies", "source", preview_id, upload.path)
        values.update(extension="mp4", status="processing", is_movie=False)
    elif extension in OTHER_EXTENSIONS:
        if upload.size == 0:
            raise BadRequest("Uploaded file is empty.")
        size = await asyncio.to_thread(store.save, "files", "previews", preview_id, upload.path)
        values.update(extension=extension, file_size=size, is_movie=False)
    else:
        raise BadRequest(f"Wrong file format, extension: {extension}")
    row = await asyncio.to_thread(_record_upload, ctx, preview_id, task, values)
    if row["status"] == "processing":
        background.notify(ctx.state)
    return row


def _record_upload(ctx: RequestContext, preview_id: str, task: Row, values: Row) -> Row:
    """The stored file's values on the preview, the task's last preview and the events, in one unit."""
    with ctx.write() as tx:
        current = tx.execute(sa.select(s.preview_file.c.original_name, s.preview_file.c.status)
                             .where(s.preview_file.c.id == preview_id)).first()
        if current is None:
            raise NotFound()
        if _has_file(dict(current._mapping)):
            raise BadRequest("This preview file already has a file.")
        if values["status"] == "processing":
            values["data"] = jobs.enqueue(tx, preview_id)
        crud.update_row(tx, PREVIEW, preview_id, values)
        tx.update(s.task, {"last_preview_file_id": preview_id}, s.task.c.id == task["id"])
        row = tq.load(tx.conn, PREVIEW, preview_id)
        comment_id = next(iter(comment_ids(tx.conn, [preview_id])[preview_id]), None)
        project_id = task["project_id"]
        if row["status"] != "processing":
            tx.emit("preview-file:add-file", {"preview_file_id": preview_id, "comment_id": comment_id,
                                              "task_id": task["id"], "revision": row["revision"],
                                              "extension": row["extension"], "status": row["status"]},
                    project_id=project_id)
        tx.emit("preview-file:update", {"preview_file_id": preview_id, "status": row["status"]},
                project_id=project_id)
        project = PROJECT.get(tx.conn, project_id) or {}
        if project.get("is_set_preview_automated"):
            _set_main(tx, ctx, row, task)
    return row


# ----------------------------------------------------------------------------- main preview

def _set_main(tx: Tx, ctx: RequestContext, preview: Row, task: Row) -> Row:
    crud.update_row(tx, ENTITY, task["entity_id"], {"preview_file_id": preview["id"]})
    entity = tq.load(tx.conn, ENTITY, task["entity_id"])
    entity["preview_file_status"] = preview["status"]
    tx.emit("preview-file:set-main", {"entity_id": entity["id"], "preview_file_id": preview["id"],
                                      "preview_file_status": preview["status"]}, project_id=task["project_id"])
    return entity


def set_main_preview(ctx: RequestContext, preview_id: str) -> Row:
    """Make a preview the thumbnail of its task's entity; answers the entity."""
    with ctx.write() as tx:
        preview = tq.load(tx.conn, PREVIEW, preview_id)
        task = TASK.get(tx.conn, preview["task_id"]) if preview.get("task_id") else None
        if task is None:
            raise NotFound()
        perm.check_task_action_access(ctx, tx.conn, task)
        return _set_main(tx, ctx, preview, task)


def set_task_main_preview(ctx: RequestContext, task_id: str) -> Row:
    """Make the last preview of a task the thumbnail of its entity."""
    pf = s.preview_file
    with ctx.write() as tx:
        task = tq.load_task(tx.conn, task_id)
        perm.check_task_action_access(ctx, tx.conn, task)
        row = tx.execute(PREVIEW.select().where(pf.c.task_id == task_id)
                         .order_by(pf.c.revision.desc(), pf.c.position, pf.c.created_at.desc()).limit(1)).first()
        if row is None:
            raise BadRequest("This task has no preview.")
        return _set_main(tx, ctx, PREVIEW.to_dict(row), task)


# ----------------------------------------------------------------------------- reads

def task_previews(ctx: RequestContext, task_id: str) -> list[Row]:
    pf = s.preview_file
    with ctx.read() as conn:
        task = tq.load_task(conn, task_id)
        perm.check_project_access(ctx, conn, task["project_id"])
        return PREVIEW.to_dicts(conn.execute(PREVIEW.select().where(pf.c.task_id == task_id)
                                             .order_by(pf.c.revision.desc(), pf.c.position)))


def entity_preview_files(ctx: RequestContext, entity_id: str) -> dict[str, list[Row]]:
    """``{task_type_id: [revisions newest first]}``; extra files of a revision nest in ``previews``."""
    pf, t = s.preview_file, s.task
    with ctx.read() as conn:
        entity = tq.load(conn, ENTITY, entity_id)
        perm.check_project_access(ctx, conn, entity["project_id"])
        rows = conn.execute(
            sa.select(pf.c.id, pf.c.revision, pf.c.position, pf.c.original_name, pf.c.extension, pf.c.width,
                      pf.c.height, pf.c.duration, pf.c.status, pf.c.annotations, pf.c.created_at, pf.c.task_id,
                      pf.c.file_size, t.c.task_type_id)
            .join(t, t.c.id == pf.c.task_id).where(t.c.entity_id == entity_id)
            .order_by(t.c.task_type_id, pf.c.revision.desc(), pf.c.position, pf.c.created_at)
        )
        out: dict[str, list[Row]] = {}
        heads: dict[tuple[str, int], Row] = {}
        for r in rows:
            item = {"id": r.id, "revision": r.revision, "original_name": r.original_name, "extension": r.extension,
                    "width": r.width, "height": r.height, "duration": r.duration, "status": r.status,
                    "annotations": r.annotations, "created_at": (r.created_at or "")[:19], "task_id": r.task_id,
                    "original_width": None, "original_height": None, "original_duration": None,
                    "original_file_size": None}
            head = heads.get((r.task_type_id, r.revision))
            if head is None:
                item["previews"] = []
                heads[(r.task_type_id, r.revision)] = item
                out.setdefault(r.task_type_id, []).append(item)
            else:
                item["task_type_id"] = r.task_type_id
                item["position"] = r.position
                head["previews"].append(item)
    return out


# ----------------------------------------------------------------------------- downloads

def preview_for_download(ctx: RequestContext, preview_id: str) -> Row:
    if not is_uuid(preview_id):
        raise NotFound()
    with ctx.read() as conn:
        preview = PREVIEW.get(conn, preview_id)
        if preview is None:
            raise NotFound()
        if preview.get("task_id"):
            project_id = conn.execute(sa.select(s.task.c.project_id).where(s.task.c.id == preview["task_id"])).scalar()
            perm.check_project_access(ctx, conn, project_id)
    return preview


class StillProcessing(Exception):
    """The file is being made (202 + ``Retry-After``)."""


def _pending(preview: Row) -> bool:
    return preview.get("status") == "processing" and jobs.job_of(preview) is not None


def _first_stored(ctx: RequestContext, preview: Row, keys: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    store = storage_of(ctx.state)
    for bucket, prefix in keys:
        if store.stat(bucket, prefix, preview["id"]) is not None:
            return bucket, prefix
    if _pending(preview):
        raise StillProcessing()
    raise NotFound()


def picture_file(ctx: RequestContext, preview: Row, variant: str, extension: str) -> tuple[str, str]:
    """Where a picture variant of a preview is stored: ``(bucket, prefix)``."""
    if extension == "png" and variant in PICTURE_VARIANTS:
        return _first_stored(ctx, preview, (("pictures", PICTURE_VARIANTS[variant]),))
    if variant == "originals" and extension == preview.get("extension"):
        return _first_stored(ctx, preview, (("files", "previews"), ("movies", "source")))
    raise NotFound()


def movie_file(ctx: RequestContext, preview: Row, quality: str) -> tuple[str, str]:
    """Where a movie of a preview is stored; the source is not served in place of a rendition that
    is being made."""
    if quality == "tiles":
        return _first_stored(ctx, preview, (("pictures", "tiles"),))
    if quality == "source":
        return _first_stored(ctx, preview, (("movies", "source"),))
    if _pending(preview):
        raise StillProcessing()
    order: tuple[str, ...] = {"originals": ("previews", "lowdef", "source"),
                              "low": ("lowdef", "previews", "source")}[quality]
    if preview.get("status") == "broken":
        order = order[:-1]  # the source of a broken movie is not a playable movie
    return _first_stored(ctx, preview, tuple(("movies", prefix) for prefix in order))


def download_name(ctx: RequestContext, preview: Row, extension: str) -> str:
    """``<project>_<episode>_<sequence>_<entity>_<task type>_v<revision>.<ext>`` as Zou names downloads."""
    with ctx.read() as conn:
        task = TASK.get(conn, preview["task_id"]) if preview.get("task_id") else None
        if task is None:
            return f"{preview['id']}.{extension}"
        parts = []
        project = PROJECT.get(conn, task["project_id"])
        if project:
            parts.append(project["name"])
        entity = ENTITY.get(conn, task["entity_id"])
        chain: list[str] = []
        while entity is not None and len(chain) < 3:
            chain.insert(0, entity["name"])
            entity = ENTITY.get(conn, entity["parent_id"]) if entity.get("parent_id") else None
        parts.extend(chain)
        task_type = tq.TASK_TYPE.get(conn, task["task_type_id"])
        if task_type:
            parts.append(task_type["name"])
    name = "_".join(parts).replace(" ", "_").lower()
    return f"{name}_v{preview['revision']}.{extension}"


# ----------------------------------------------------------------------------- thumbnails of persons,
# projects and organisations

AVATAR_KINDS = {"persons": (s.person, (150, 150)), "projects": (s.project, (150, 100)),
                "organisations": (s.organisation, (150, 100))}


def _check_avatar_access(ctx: RequestContext, conn: Connection, kind: str, item_id: str) -> None:
    if kind == "persons":
        perm.check_self_or_admin(ctx, item_id)
    elif kind == "projects":
        perm.check_manager_project_access(ctx, conn, item_id)
    else:
        perm.require_admin(ctx)


def _check_avatar_target(ctx: RequestContext, kind: str, table: sa.Table, item_id: str) -> None:
    with ctx.read() as conn:
        if conn.execute(sa.select(table.c.id).where(table.c.id == item_id)).first() is None:
            raise NotFound()
        _check_avatar_access(ctx, conn, kind, item_id)


def _record_avatar(ctx: RequestContext, kind: str, table: sa.Table, item_id: str) -> None:
    with ctx.write() as tx:
        tx.update(table, {"has_avatar": True}, table.c.id == item_id)
        tx.emit(f"{kind[:-1]}:set-thumbnail", {f"{kind[:-1]}_id": item_id},
                project_id=item_id if kind == "projects" else None)


async def upload_avatar(ctx: RequestContext, kind: str, item_id: str, upload: Upload | None) -> Row:
    table, size = AVATAR_KINDS[kind]
    if not is_uuid(item_id):
        raise NotFound()
    await asyncio.to_thread(_check_avatar_target, ctx, kind, table, item_id)
    if upload is None:
        raise BadRequest("No file given.")
    target = upload.path.with_name(upload.path.name + ".png")
    try:
        async with picture_slot(ctx.state):
            await asyncio.to_thread(media.build_avatar, upload.path, target, size,
                                    ctx.state.settings.max_image_pixels)
    except media.PictureTooLarge as exc:
        raise BadRequest(str(exc)) from exc
    except media.BadPicture as exc:
        raise BadRequest("The uploaded file is not a valid picture.") from exc
    await asyncio.to_thread(storage_of(ctx.state).save, "pictures", "thumbnails", item_id, target)
    await asyncio.to_thread(_record_avatar, ctx, kind, table, item_id)
    return {"thumbnail_path": f"/api/pictures/thumbnails/{kind}/{item_id}.png"}


def check_avatar_kind(kind: str, item_id: str) -> None:
    if kind not in AVATAR_KINDS or not is_uuid(item_id):
        raise NotFound()


def person_exists(conn: Connection, person_id: str) -> bool:
    return PERSON.get(conn, person_id) is not None


def add_extra_preview(ctx: RequestContext, task_id: str, comment_id: str, ref_preview_id: str) -> Row:
    """Another file for the revision of ``ref_preview_id`` (next position), on the same comment."""
    with ctx.read() as conn:
        ref = tq.load(conn, PREVIEW, ref_preview_id)
    return add_preview(ctx, task_id, comment_id, {"revision": ref["revision"]})


def remove_comment_preview(ctx: RequestContext, task_id: str, comment_id: str, preview_id: str) -> None:
    with ctx.write() as tx:
        task = tq.load_task(tx.conn, task_id)
        tq.load(tx.conn, COMMENT, comment_id)
        preview = tq.load(tx.conn, PREVIEW, preview_id)
        if preview.get("task_id") != task_id:
            raise NotFound()
        perm.check_task_action_access(ctx, tx.conn, task)
        remove_preview(ctx, tx, preview)
        tx.emit("preview-file:delete", {"preview_file_id": preview_id}, project_id=task["project_id"])


def update_position(ctx: RequestContext, preview_id: str, body: Row) -> Row:
    """Move a preview within its revision (1-based position); the others shift."""
    pf = s.preview_file
    try:
        position = max(1, int(body["position"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRequest("position must be an integer") from exc
    with ctx.write() as tx:
        preview = tq.load(tx.conn, PREVIEW, preview_id)
        task = TASK.get(tx.conn, preview["task_id"]) if preview.get("task_id") else None
        if task is None:
            raise NotFound()
        perm.check_task_action_access(ctx, tx.conn, task)
        siblings = [r[0] for r in tx.execute(sa.select(pf.c.id).where(
            pf.c.task_id == task["id"], pf.c.revision == preview["revision"], pf.c.id != preview_id
        ).order_by(pf.c.position, pf.c.created_at))]
        siblings.insert(min(position, len(siblings) + 1) - 1, preview_id)
        for index, sibling_id in enumerate(siblings, start=1):
            crud.update_row(tx, PREVIEW, sibling_id, {"position": index})
        tx.emit("preview-file:update", {"preview_file_id": preview_id}, project_id=task["project_id"])
        return tq.load(tx.conn, PREVIEW, preview_id)
