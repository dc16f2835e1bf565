"""Routes of the previews feature (HTTP only: parse, authorise, call the service, shape the answer)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response

from foxtrack.auth.routes import json_body
from foxtrack.core.context import Ctx
from foxtrack.core.errors import NotFound
from foxtrack.core.jsonutil import created, ok
from foxtrack.previews import service
from foxtrack.storage.uploads import received_form

router = APIRouter(tags=["previews"])
CACHE = {"Cache-Control": "max-age=604800, private"}
MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "mp4": "video/mp4", "mov": "video/quicktime",
        "webm": "video/webm", "pdf": "application/pdf", "gif": "image/gif"}


def _file(path: Path, extension: str, filename: str | None = None, attachment: bool = False) -> FileResponse:
    return FileResponse(path, media_type=MIME.get(extension, "application/octet-stream"), headers=CACHE,
                        filename=filename or "", content_disposition_type="attachment" if attachment else "inline")


def _split(file_name: str) -> tuple[str, str]:
    if "." not in file_name:
        raise NotFound()
    stem, extension = file_name.rsplit(".", 1)
    return stem, extension.lower()


@router.post("/actions/tasks/{task_id}/comments/{comment_id}/add-preview")
async def add_preview(task_id: str, comment_id: str, request: Request, ctx: Ctx) -> Response:
    """Create a preview file on a comment (next revision, or the given one); upload its file next."""
    return created(service.add_preview(ctx, task_id, comment_id, await json_body(request)))


@router.post("/actions/tasks/{task_id}/comments/{comment_id}/preview-files/{preview_id}")
async def add_extra_preview(task_id: str, comment_id: str, preview_id: str, ctx: Ctx) -> Response:
    """Another file for the revision of a preview (next position)."""
    return created(service.add_extra_preview(ctx, task_id, comment_id, preview_id))


@router.delete("/actions/tasks/{task_id}/comments/{comment_id}/preview-files/{preview_id}")
async def remove_comment_preview(task_id: str, comment_id: str, preview_id: str, ctx: Ctx) -> Response:
    """Delete a preview file of a comment."""
    service.remove_comment_preview(ctx, task_id, comment_id, preview_id)
    return Response(status_code=204)


@router.put("/actions/preview-files/{preview_id}/update-position")
async def update_position(preview_id: str, request: Request, ctx: Ctx) -> Response:
    """Move a preview file within its revision."""
    return ok(service.update_position(ctx, preview_id, await json_body(request)))


@router.post("/pictures/preview-files/{preview_id}")
async def upload_preview(preview_id: str, request: Request, ctx: Ctx) -> Response:
    """Upload the file of a preview (multipart ``file``); pictures get their PNG variants."""
    async with received_form(request, ctx.state) as form:
        return created(await service.upload_preview(ctx, preview_id, form.files.get("file")))


@router.put("/actions/preview-files/{preview_id}/set-main-preview")
async def set_main_preview(preview_id: str, ctx: Ctx) -> Response:
    """Make the preview the thumbnail of its entity; answers the entity."""
    return ok(service.set_main_preview(ctx, preview_id))


@router.put("/actions/tasks/{task_id}/set-main-preview")
async def set_task_main_preview(task_id: str, ctx: Ctx) -> Response:
    """Make the task's last preview the thumbnail of its entity."""
    return ok(service.set_task_main_preview(ctx, task_id))


@router.get("/data/tasks/{task_id}/previews")
async def task_previews(task_id: str, ctx: Ctx) -> Response:
    """Preview files of a task, newest revision first."""
    return ok(service.task_previews(ctx, task_id))


@router.get("/data/playlists/entities/{entity_id}/preview-files")
async def entity_preview_files(entity_id: str, ctx: Ctx) -> Response:
    """Preview files of an entity grouped by task type, newest revision first."""
    return ok(service.entity_preview_files(ctx, entity_id))


@router.get("/pictures/{variant}/preview-files/{file_name}")
async def picture(variant: str, file_name: str, ctx: Ctx) -> Response:
    """A picture variant (thumbnails, thumbnails-square, previews, originals) of a preview file."""
    if variant not in service.PICTURE_VARIANTS:
        raise NotFound()
    preview_id, extension = _split(file_name)
    preview = service.preview_for_download(ctx, preview_id)
    return _file(service.picture_path(ctx, preview, variant, extension), extension)


@router.get("/pictures/originals/preview-files/{preview_id}/download")
async def download_picture(preview_id: str, ctx: Ctx) -> Response:
    """The original file of a preview as an attachment with a readable name."""
    preview = service.preview_for_download(ctx, preview_id)
    extension = preview.get("extension") or "png"
    path = service.picture_path(ctx, preview, "originals", extension)
    return _file(path, extension, service.download_name(ctx, preview, extension), attachment=True)


@router.get("/movies/{quality}/preview-files/{file_name}")
async def movie(quality: str, file_name: str, ctx: Ctx) -> Response:
    """The movie of a preview (``originals``, ``low`` or ``source``)."""
    if quality not in ("originals", "low", "source"):
        raise NotFound()
    preview_id, extension = _split(file_name)
    preview = service.preview_for_download(ctx, preview_id)
    return _file(service.movie_path(ctx, preview, quality), extension)


@router.get("/movies/originals/preview-files/{preview_id}/download")
async def download_movie(preview_id: str, ctx: Ctx) -> Response:
    """The movie of a preview as an attachment with a readable name."""
    preview = service.preview_for_download(ctx, preview_id)
    path = service.movie_path(ctx, preview, "originals")
    return _file(path, "mp4", service.download_name(ctx, preview, "mp4"), attachment=True)


@router.post("/pictures/thumbnails/{kind}/{item_id}")
async def upload_thumbnail(kind: str, item_id: str, request: Request, ctx: Ctx) -> Response:
    """Upload the avatar of a person, or the thumbnail of a project or organisation."""
    if kind not in service.AVATAR_KINDS:
        raise NotFound()
    item_id = item_id.removesuffix(".png")
    async with received_form(request, ctx.state) as form:
        return created(await service.upload_avatar(ctx, kind, item_id, form.files.get("file")))


@router.get("/pictures/thumbnails/{kind}/{file_name}")
async def thumbnail(kind: str, file_name: str, ctx: Ctx) -> Response:
    """The avatar of a person, or the thumbnail of a project or organisation."""
    item_id = file_name.removesuffix(".png")
    return _file(service.avatar_path(ctx, kind, item_id), "png")
