"""Routes of Zou's public guest API for shared playlists (HTTP only). No login: the share token, and
its ``password`` query parameter when the link has one, is the credential."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from foxtrack.core.context import AppState, RequestContext, app_state
from foxtrack.core.errors import NotFound
from foxtrack.core.http import json_body
from foxtrack.core.jsonutil import JSON, created, no_content, ok
from foxtrack.previews import service as previews
from foxtrack.shared_playlists import service
from foxtrack.shared_playlists.service import Refused, Share
from foxtrack.storage import storage_of
from foxtrack.storage.serve import mime_of, serve

Row = dict[str, Any]
BASE = "/shared/playlists/{token}"

router = APIRouter(tags=["shared"])


async def _share(request: Request, token: str) -> tuple[AppState, Share]:
    state = app_state(request)
    password = request.query_params.get("password")
    return state, await asyncio.to_thread(service.open_link, state, token, password)


def _refused(exc: Refused) -> Response:
    return JSON({"error": exc.message}, status_code=exc.status)


@router.get(BASE)
async def shared_playlist(token: str, request: Request) -> Response:
    """The playlist with its shots' previews."""
    state, share = await _share(request, token)
    return ok(await run_in_threadpool(service.playlist, state, share))


@router.get(BASE + "/context")
async def shared_context(token: str, request: Request) -> Response:
    """The project, team, task types and statuses the review page needs."""
    state, share = await _share(request, token)
    return ok(await run_in_threadpool(service.context, state, share))


@router.post(BASE + "/guest")
async def new_guest(token: str, request: Request) -> Response:
    """Create a guest person for this link."""
    state, share = await _share(request, token)
    body = await json_body(request) if await request.body() else {}
    return created(await run_in_threadpool(service.new_guest, state, share, body))


@router.get(BASE + "/comments")
async def shared_comments(token: str, request: Request) -> Response:
    state, share = await _share(request, token)
    return ok(await run_in_threadpool(service.playlist_comments, state, share))


@router.post(BASE + "/comments")
async def post_comment(token: str, request: Request) -> Response:
    """A guest's comment (``{guest_id, task_id, task_status_id, text}``) when the link allows it."""
    state, share = await _share(request, token)
    body = await json_body(request)
    try:
        return created(await run_in_threadpool(service.post_comment, state, share, body))
    except Refused as exc:
        return _refused(exc)


@router.put(BASE + "/comments/{comment_id}")
async def edit_comment(token: str, comment_id: str, request: Request) -> Response:
    state, share = await _share(request, token)
    body = await json_body(request)
    try:
        return ok(await run_in_threadpool(service.edit_comment, state, share, comment_id, body))
    except Refused as exc:
        return _refused(exc)


@router.delete(BASE + "/comments/{comment_id}")
async def delete_comment(token: str, comment_id: str, request: Request) -> Response:
    """Delete a guest's own comment (``?guest_id=``)."""
    state, share = await _share(request, token)
    try:
        await run_in_threadpool(service.delete_comment, state, share, comment_id, request.query_params.get("guest_id"))
    except Refused as exc:
        return _refused(exc)
    return no_content()


@router.put(BASE + "/annotations")
async def update_annotations(token: str, request: Request) -> Response:
    """A guest's ``{guest_id, preview_file_id, additions, updates, deletions}``; answers the preview."""
    state, share = await _share(request, token)
    body = await json_body(request)
    try:
        return ok(await run_in_threadpool(service.update_annotations, state, share, body))
    except Refused as exc:
        return _refused(exc)


@router.get(BASE + "/preview-files/{preview_id}")
async def preview_file(token: str, preview_id: str, request: Request) -> Response:
    state, share = await _share(request, token)
    return ok(await run_in_threadpool(service.preview_file, state, share, preview_id))


async def _media(request: Request, state: AppState, share: Share, preview_id: str,
                 locate: Callable[[Row], tuple[str, str]], media_type: str,
                 download_extension: str | None = None) -> Response:
    preview = await run_in_threadpool(service.preview_file, state, share, preview_id)
    ctx = service.acting_as(state, share.link["created_by"] or "")
    try:
        bucket, prefix = await asyncio.to_thread(locate, preview)
    except previews.StillProcessing:
        raise NotFound() from None
    filename = (await run_in_threadpool(previews.download_name, ctx, preview, download_extension)
                if download_extension else None)
    return await serve(request, storage_of(state), bucket, prefix, preview_id, media_type, filename,
                       attachment=download_extension is not None)


def _ctx(request: Request) -> RequestContext:
    """Locating stored files only needs the application state."""
    return service.acting_as(app_state(request), "")


@router.get(BASE + "/pictures/{variant}/preview-files/{file_name}")
async def picture(token: str, variant: str, file_name: str, request: Request) -> Response:
    """``thumbnails/<id>.png`` or ``originals/<id>.<extension>`` of a preview in the playlist."""
    if variant not in ("thumbnails", "originals") or "." not in file_name:
        raise NotFound()
    preview_id, extension = file_name.rsplit(".", 1)
    if variant == "thumbnails" and extension.lower() != "png":
        raise NotFound()
    state, share = await _share(request, token)
    ctx = _ctx(request)
    return await _media(request, state, share, preview_id,
                        lambda p: previews.picture_file(ctx, p, variant, extension.lower()), mime_of(extension))


@router.get(BASE + "/movies/{quality}/preview-files/{file_name}")
async def movie(token: str, quality: str, file_name: str, request: Request) -> Response:
    """``originals/<id>.mp4`` or the scrubbing ``tiles/<id>.png`` of a preview in the playlist."""
    expected = {"originals": "mp4", "tiles": "png"}.get(quality)
    if expected is None or not file_name.endswith("." + expected):
        raise NotFound()
    state, share = await _share(request, token)
    ctx = _ctx(request)
    return await _media(request, state, share, file_name[:-len(expected) - 1],
                        lambda p: previews.movie_file(ctx, p, quality), mime_of(expected))


@router.get(BASE + "/preview-files/{preview_id}/download")
async def download(token: str, preview_id: str, request: Request) -> Response:
    """The original file of a preview as an attachment with a readable name."""
    state, share = await _share(request, token)
    preview = await run_in_threadpool(service.preview_file, state, share, preview_id)
    extension = preview.get("extension") or "png"
    ctx = _ctx(request)
    if extension == "mp4":
        return await _media(request, state, share, preview_id, lambda p: previews.movie_file(ctx, p, "originals"),
                            "video/mp4", "mp4")
    return await _media(request, state, share, preview_id,
                        lambda p: previews.picture_file(ctx, p, "originals", extension), mime_of(extension),
                        extension)
