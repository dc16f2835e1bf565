"""The file of a preview background (an HDR environment for 3D previews): upload and download
(``/pictures/preview-background-files/<id>``)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core import permissions as perm
from foxtrack.core.context import Ctx, RequestContext
from foxtrack.core.errors import BadRequest, NotFound
from foxtrack.core.jsonutil import created, is_uuid
from foxtrack.core.models import MODELS
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.media.ffmpeg import ffmpeg_exe
from foxtrack.previews._radiance import hdr_thumbnail
from foxtrack.storage import storage_of
from foxtrack.storage.serve import serve
from foxtrack.storage.uploads import Upload, received_form

router = APIRouter(tags=["previews"])
Row = dict[str, Any]
BACKGROUND = MODELS["preview-background-files"]
ALLOWED_EXTENSIONS = {"hdr"}


def _background(ctx: RequestContext, background_id: str) -> Row:
    with ctx.read() as conn:
        row = BACKGROUND.get(conn, background_id) if is_uuid(background_id) else None
    if row is None:
        raise NotFound()
    return row


def _thumbnail(source: Path) -> Path | None:
    """A PNG of the HDR image, tone-mapped as Zou does; ffmpeg for the layouts the decoder here does not
    read (not every ffmpeg build has the Radiance decoder, and it does not tone-map the same way)."""
    target = source.with_suffix(".png")
    if hdr_thumbnail(source, target):
        return target
    try:
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(source), "-vf", "scale=150:-2",
                        "-frames:v", "1", str(target)], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError, RuntimeError):
        return None
    return target if target.exists() else None


def _remove(ctx: RequestContext, background_id: str) -> None:
    link = s.project_preview_background_file_link
    with ctx.write() as tx:
        tx.delete(link, link.c.preview_background_file_id == background_id)
        tx.delete(s.preview_background_file, s.preview_background_file.c.id == background_id)
        tx.emit("preview-background-file:delete", {"preview_background_file_id": background_id})


def store_file(ctx: RequestContext, background_id: str, upload: Upload | None) -> Row:
    """Keep the uploaded HDR file (and a thumbnail); a file of another kind removes the background, as in Zou."""
    perm.require_admin(ctx)
    _background(ctx, background_id)
    if upload is None:
        raise BadRequest("File not provided.")
    stem, _, extension = upload.filename.rpartition(".")
    extension = extension.lower()
    if not stem or extension not in ALLOWED_EXTENSIONS:
        _remove(ctx, background_id)
        raise BadRequest(f"Wrong file format, extension: {extension}")
    store = storage_of(ctx.state)
    size = store.save("pictures", "preview-backgrounds", background_id, upload.path)
    hdr = upload.path.with_name(f"{background_id}.hdr")
    upload.path.rename(hdr)
    thumbnail = _thumbnail(hdr)
    if thumbnail is not None:
        store.save("pictures", "thumbnails", background_id, thumbnail)
    with ctx.write() as tx:
        crud.update_row(tx, BACKGROUND, background_id, {"extension": extension, "original_name": stem,
                                                        "file_size": size})
        row = crud.load(tx.conn, BACKGROUND, background_id)
        tx.emit("preview-background-file:update", {"preview_background_file_id": background_id})
        tx.emit("preview-background-file:add-file", {"preview_background_file_id": background_id,
                                                     "extension": extension})
    return row


@router.post("/pictures/preview-background-files/{background_id}")
async def upload_background(background_id: str, request: Request, ctx: Ctx) -> Response:
    """Upload the HDR file of a preview background (admins)."""
    async with received_form(request, ctx.state) as form:
        row = await asyncio.to_thread(store_file, ctx, background_id, form.files.get("file"))
    return created(row)


@router.get("/pictures/preview-background-files/{background_id}.{extension}")
async def download_background(background_id: str, extension: str, request: Request, ctx: Ctx) -> Response:
    """The file of a preview background, by id and extension."""
    row = await asyncio.to_thread(_background, ctx, background_id)
    extension = extension.lower()
    if row["extension"] != extension:
        raise NotFound()
    return await serve(request, storage_of(ctx.state), "pictures", "preview-backgrounds", background_id,
                       "image/vnd.radiance", filename=f"{row['original_name']}.{extension}")


@router.get("/pictures/thumbnails/preview-background-files/{background_id}.png")
async def background_thumbnail(background_id: str, request: Request, ctx: Ctx) -> Response:
    """The PNG thumbnail of a preview background, made at upload (any logged-in user, as in Zou)."""
    await asyncio.to_thread(_background, ctx, background_id)
    return await serve(request, storage_of(ctx.state), "pictures", "thumbnails", background_id, "image/png")
