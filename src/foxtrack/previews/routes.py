"""Routes of the previews feature (HTTP only: parse, authorise, call the service, shape the answer)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from foxtrack.core.context import Ctx, RequestContext
from foxtrack.core.errors import NotFound
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import JSON, created, ok
from foxtrack.previews import actions, service
from foxtrack.storage import storage_of
from foxtrack.storage.serve import mime_of, serve
from foxtrack.storage.uploads import received_form

Row = dict[str, Any]
RETRY_AFTER = 3

router = APIRouter(tags=["previews"])


def _split(file_name: str) -> tuple[str, str]:
    if "." not in file_name:
        raise NotFound()
    stem, extension = file_name.rsplit(".", 1)
    return stem, extension.lower()


@router.post("/actions/tasks/{task_id}/comments/{comment_id}/add-preview")
def add_preview(payload: JsonBody, task_id: str, comment_id: str, request: Request, ctx: Ctx) -> Response:
    """Create a preview file on a comment (next revision, or the given one); upload its file next."""
    return created(service.add_preview(ctx, task_id, comment_id, payload))


@router.post("/actions/tasks/{task_id}/comments/{comment_id}/preview-files/{preview_id}")
def add_extra_preview(task_id: str, comment_id: str, preview_id: str, ctx: Ctx) -> Response:
    """Another file for the revision of a preview (next position)."""
    return created(service.add_extra_preview(ctx, task_id, comment_id, preview_id))


@router.delete("/actions/tasks/{task_id}/comments/{comment_id}/preview-files/{preview_id}")
def remove_comment_preview(task_id: str, comment_id: str, preview_id: str, ctx: Ctx) -> Response:
    """Delete a preview file of a comment."""
    service.remove_comment_preview(ctx, task_id, comment_id, preview_id)
    return Response(status_code=204)


@router.put("/actions/preview-files/{preview_id}/update-position")
def update_position(payload: JsonBody, preview_id: str, request: Request, ctx: Ctx) -> Response:
    """Move a preview file within its revision."""
    return ok(service.update_position(ctx, preview_id, payload))


@router.post("/pictures/preview-files/{preview_id}")
async def upload_preview(preview_id: str, request: Request, ctx: Ctx) -> Response:
    """Upload the file of a preview (multipart ``file``); pictures get their PNG variants."""
    async with received_form(request, ctx.state) as form:
        return created(await service.upload_preview(ctx, preview_id, form.files.get("file")))


@router.put("/actions/preview-files/{preview_id}/set-main-preview")
def set_main_preview(preview_id: str, ctx: Ctx) -> Response:
    """Make the preview the thumbnail of its entity; answers the entity."""
    return ok(service.set_main_preview(ctx, preview_id))


@router.put("/actions/tasks/{task_id}/set-main-preview")
def set_task_main_preview(task_id: str, ctx: Ctx) -> Response:
    """Make the task's last preview the thumbnail of its entity."""
    return ok(service.set_task_main_preview(ctx, task_id))


@router.get("/data/tasks/{task_id}/previews")
def task_previews(task_id: str, ctx: Ctx) -> Response:
    """Preview files of a task, newest revision first."""
    return ok(service.task_previews(ctx, task_id))


@router.get("/data/playlists/entities/{entity_id}/preview-files")
def entity_preview_files(entity_id: str, ctx: Ctx) -> Response:
    """Preview files of an entity grouped by task type, newest revision first."""
    return ok(service.entity_preview_files(ctx, entity_id))


PROCESSING = {"error": False, "message": "The preview file is still processing.", "status": "processing"}


async def _serve_preview(request: Request, ctx: RequestContext, preview_id: str,
                         locate: Callable[[Row], tuple[str, str]], media_type: str, download_extension: str | None = None,
                         attachment: bool = False) -> Response:
    preview = await run_in_threadpool(service.preview_for_download, ctx, preview_id)
    try:
        bucket, prefix = await asyncio.to_thread(locate, preview)
    except service.StillProcessing:
        return JSON(PROCESSING, status_code=202, headers={"Retry-After": str(RETRY_AFTER)})
    filename = (await run_in_threadpool(service.download_name, ctx, preview, download_extension)
                if download_extension else None)
    return await serve(request, storage_of(ctx.state), bucket, prefix, preview_id, media_type, filename, attachment)


@router.get("/pictures/{variant}/preview-files/{file_name}")
async def picture(variant: str, file_name: str, request: Request, ctx: Ctx) -> Response:
    """A picture variant (thumbnails, thumbnails-square, previews, originals) of a preview file."""
    if variant not in service.PICTURE_VARIANTS:
        raise NotFound()
    preview_id, extension = _split(file_name)
    return await _serve_preview(request, ctx, preview_id,
                                lambda p: service.picture_file(ctx, p, variant, extension), mime_of(extension))


@router.get("/pictures/originals/preview-files/{preview_id}/download")
async def download_picture(preview_id: str, request: Request, ctx: Ctx) -> Response:
    """The original file of a preview as an attachment with a readable name."""
    preview = await run_in_threadpool(service.preview_for_download, ctx, preview_id)
    extension = preview.get("extension") or "png"
    return await _serve_preview(request, ctx, preview_id,
                                lambda p: service.picture_file(ctx, p, "originals", extension), mime_of(extension),
                                download_extension=extension, attachment=True)


@router.get("/movies/{quality}/preview-files/{file_name}")
async def movie(quality: str, file_name: str, request: Request, ctx: Ctx) -> Response:
    """A movie of a preview (``originals``, ``low``, ``source``) or its scrubbing tiles (``tiles``)."""
    if quality not in ("originals", "low", "source", "tiles"):
        raise NotFound()
    preview_id, extension = _split(file_name)
    if (quality == "tiles") != (extension == "png"):
        raise NotFound()
    return await _serve_preview(request, ctx, preview_id, lambda p: service.movie_file(ctx, p, quality),
                                mime_of(extension))


@router.get("/movies/originals/preview-files/{preview_id}/download")
async def download_movie(preview_id: str, request: Request, ctx: Ctx) -> Response:
    """The movie of a preview as an attachment with a readable name."""
    return await _serve_preview(request, ctx, preview_id, lambda p: service.movie_file(ctx, p, "originals"),
                                "video/mp4", download_extension="mp4", attachment=True)


@router.put("/actions/preview-files/{preview_id}/update-annotations")
def update_annotations(payload: JsonBody, preview_id: str, request: Request, ctx: Ctx) -> Response:
    """Merge annotation changes ``{additions, updates, deletions}`` into a preview; answers the preview."""
    return ok(actions.update_annotations(ctx, preview_id, payload))


@router.get("/actions/preview-files/{preview_id}/extract-frame")
async def extract_frame(preview_id: str, request: Request, ctx: Ctx) -> Response:
    """A frame of a movie preview as PNG (``frame_number``, 0 by default); a picture is its own frame."""
    number = actions.frame_number(request.query_params.get("frame_number"))
    preview = await run_in_threadpool(actions.preview_of_task, ctx, preview_id)
    if actions.is_picture(preview):
        return await serve(request, storage_of(ctx.state), "pictures", "original", preview_id, "image/png")
    fps = await run_in_threadpool(actions.project_fps, ctx, preview)
    png = await asyncio.to_thread(actions.extract_frame, ctx, preview, number, fps)
    return Response(png, media_type="image/png",
                    headers={"Content-Disposition": f"inline; filename={preview_id}-{number}.png"})


@router.get("/actions/preview-files/{preview_id}/extract-tile")
async def extract_tile(preview_id: str, request: Request, ctx: Ctx) -> Response:
    """The scrubbing tiles (frames side by side) of a movie preview as PNG."""
    preview = await run_in_threadpool(actions.preview_of_task, ctx, preview_id)
    bucket, prefix = await asyncio.to_thread(actions.tile_location, ctx, preview)
    return await serve(request, storage_of(ctx.state), bucket, prefix, preview_id, "image/png")


@router.get("/data/playlists/preview-files/running")
def running_previews(ctx: Ctx) -> Response:
    """Movie previews still processing (or broken) in open projects, newest first."""
    return ok(actions.running_previews(ctx))


@router.get("/pictures/thumbnails/attachment-files/{file_name}")
async def attachment_thumbnail(file_name: str, request: Request, ctx: Ctx) -> Response:
    """The thumbnail of a picture attached to a comment (made on first request)."""
    attachment_id = file_name.removesuffix(".png")
    async with service.picture_slot(ctx.state):
        await asyncio.to_thread(actions.attachment_thumbnail, ctx, attachment_id)
    return await serve(request, storage_of(ctx.state), "pictures", "thumbnails", attachment_id, "image/png")


@router.post("/pictures/thumbnails/{kind}/{item_id}")
async def upload_thumbnail(kind: str, item_id: str, request: Request, ctx: Ctx) -> Response:
    """Upload the avatar of a person, or the thumbnail of a project or organisation."""
    if kind not in service.AVATAR_KINDS:
        raise NotFound()
    item_id = item_id.removesuffix(".png")
    async with received_form(request, ctx.state) as form:
        return created(await service.upload_avatar(ctx, kind, item_id, form.files.get("file")))


@router.get("/pictures/thumbnails/{kind}/{file_name}")
async def thumbnail(kind: str, file_name: str, request: Request, ctx: Ctx) -> Response:
    """The avatar of a person, or the thumbnail of a project or organisation."""
    item_id = file_name.removesuffix(".png")
    service.check_avatar_kind(kind, item_id)
    return await serve(request, storage_of(ctx.state), "pictures", "thumbnails", item_id, "image/png")
