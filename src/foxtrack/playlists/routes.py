"""Routes of the playlists feature (HTTP only: parse, authorise, call the service, shape the answer)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonBody, json_body, query_int
from foxtrack.core.jsonutil import created, no_content, ok
from foxtrack.db.seed import hash_password
from foxtrack.csvio.service import csv_lines
from foxtrack.playlists import builds, review, review_sheet, service, sharing
from foxtrack.storage import storage_of
from foxtrack.storage.serve import serve

router = APIRouter(tags=["playlists"])


def _page(request: Request) -> int:
    return query_int(request.query_params, "page", 1)


@router.post("/actions/playlists/{playlist_id}/add-entity")
def add_entity(payload: JsonBody, playlist_id: str, request: Request, ctx: Ctx) -> Response:
    """Add an entity and the preview to show to a playlist; answers the playlist."""
    return ok(service.add_entity(ctx, playlist_id, payload))


@router.post("/actions/playlists/{playlist_id}/add-entities")
def add_entities(payload: JsonBody, playlist_id: str, ctx: Ctx) -> Response:
    """Add many (entity, preview) couples to a playlist in one write; answers the playlist."""
    return ok(review_sheet.add_entities(ctx, playlist_id, payload))


@router.get("/export/csv/playlists/{playlist_id}")
def export_playlist(playlist_id: str, ctx: Ctx) -> Response:
    """The playlist as a review sheet (CSV): entities, task statuses and last comments."""
    (header, rows), file_name = review_sheet.review_sheet(ctx, playlist_id)
    return StreamingResponse(csv_lines(header, rows), media_type="text/csv",
                             headers={"Content-Disposition": f"attachment; filename={file_name}"})


@router.post("/data/playlists/{playlist_id}/share/{token}/invite")
def invite_reviewers(payload: JsonBody, playlist_id: str, token: str, ctx: Ctx) -> Response:
    """Send a share link of the playlist to reviewers (``emails``, ``person_ids``, ``message``)."""
    return ok(review_sheet.invite(ctx, playlist_id, token, payload))


@router.post("/actions/playlists/{playlist_id}/remove-entity")
def remove_entity(payload: JsonBody, playlist_id: str, request: Request, ctx: Ctx) -> Response:
    """Remove an entity from a playlist; answers the playlist."""
    return ok(service.remove_entity(ctx, playlist_id, payload))


@router.get("/data/projects/{project_id}/playlists")
def project_playlists(project_id: str, request: Request, ctx: Ctx) -> Response:
    """Playlists of a project, one page of 20 (a plain array)."""
    return ok(service.project_playlists(ctx, project_id, None, _page(request)))


@router.get("/data/projects/{project_id}/playlists/all")
def all_project_playlists(project_id: str, ctx: Ctx) -> Response:
    """Every playlist of a project."""
    return ok(service.project_playlists(ctx, project_id, None, 0))


@router.get("/data/projects/{project_id}/episodes/{episode_id}/playlists")
def episode_playlists(project_id: str, episode_id: str, request: Request, ctx: Ctx) -> Response:
    """Playlists of an episode (``main``: those without episode, ``all``: every one)."""
    return ok(service.project_playlists(ctx, project_id, episode_id, _page(request)))


@router.get("/data/projects/{project_id}/playlists/{playlist_id}")
def project_playlist(project_id: str, playlist_id: str, ctx: Ctx) -> Response:
    """One playlist of a project with its build jobs."""
    return ok(service.playlist_in_project(ctx, project_id, playlist_id))


@router.get("/data/projects/{project_id}/build-jobs")
def project_build_jobs(project_id: str, ctx: Ctx) -> Response:
    """Build jobs of every playlist of a project."""
    return ok(service.project_build_jobs(ctx, project_id))


@router.get("/data/playlists/{playlist_id}/jobs/{job_id}")
def build_job(playlist_id: str, job_id: str, ctx: Ctx) -> Response:
    """One build job of a playlist."""
    return ok(service.build_job(ctx, playlist_id, job_id))


@router.delete("/data/playlists/{playlist_id}/jobs/{job_id}")
def delete_build_job(playlist_id: str, job_id: str, ctx: Ctx) -> Response:
    """Delete a build job of a playlist."""
    service.delete_build_job(ctx, playlist_id, job_id)
    return no_content()


@router.get("/data/playlists/{playlist_id}/build/mp4")
def build_movie(playlist_id: str, ctx: Ctx) -> Response:
    """Start building the playlist's movie (a build job, done by the media worker); answers the job."""
    return ok(review.start_build(ctx, playlist_id))


@router.get("/data/playlists/{playlist_id}/jobs/{job_id}/build/mp4")
async def download_build(playlist_id: str, job_id: str, request: Request, ctx: Ctx) -> Response:
    """The movie of a finished build job."""
    job, filename = await run_in_threadpool(review.build_download, ctx, playlist_id, job_id)
    return await serve(request, storage_of(ctx.state), builds.BUCKET, builds.PREFIX, job["id"], "video/mp4",
                       filename, attachment=True)


@router.get("/data/playlists/{playlist_id}/download/zip")
async def download_zip(playlist_id: str, ctx: Ctx) -> Response:
    """A zip of the files of the playlist's previews, streamed as it is written."""
    name, entries = await asyncio.to_thread(review.zip_entries, ctx, playlist_id)
    body = review.stream_zip(storage_of(ctx.state), entries, ctx.state.settings.data_dir / "tmp")
    return StreamingResponse(body, media_type="application/zip",
                             headers={"Content-Disposition": f"attachment; filename={name}"})


@router.post("/data/projects/{project_id}/playlists/temp")
def temp_playlist(payload: JsonBody, project_id: str, request: Request, ctx: Ctx) -> Response:
    """The entities of the given tasks (``task_ids``) with their last preview, as a playlist shows them."""
    return ok(review.temp_playlist(ctx, project_id, payload))


@router.post("/data/playlists/{playlist_id}/notify-clients")
def notify_clients(playlist_id: str, ctx: Ctx) -> Response:
    """Notify the project's clients that the playlist is ready for review."""
    return ok(review.notify_clients(ctx, playlist_id))


@router.get("/data/playlists/{playlist_id}/share")
def share_links(playlist_id: str, ctx: Ctx) -> Response:
    """The active share links of a playlist."""
    return ok(sharing.share_links(ctx, playlist_id))


@router.post("/data/playlists/{playlist_id}/share")
async def new_share_link(playlist_id: str, request: Request, ctx: Ctx) -> Response:
    """Share a playlist: a link token with an optional expiration date and password."""
    values = sharing.parse_share_body(await json_body(request))
    if values["password"] is not None:
        values["password"] = await asyncio.to_thread(hash_password, values["password"],
                                                     ctx.state.settings.bcrypt_rounds)
    return created(await run_in_threadpool(sharing.new_share_link, ctx, playlist_id, values))


@router.delete("/data/playlists/{playlist_id}/share/{token}")
def remove_share_link(playlist_id: str, token: str, ctx: Ctx) -> Response:
    """Deactivate a share link; answers it."""
    return ok(sharing.remove_share_link(ctx, playlist_id, token))
