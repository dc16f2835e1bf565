"""Routes of the playlists feature (HTTP only: parse, authorise, call the service, shape the answer)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.errors import BadRequest
from foxtrack.core.http import json_body
from foxtrack.core.jsonutil import no_content, ok
from foxtrack.playlists import service

router = APIRouter(tags=["playlists"])


def _page(request: Request) -> int:
    try:
        return int(request.query_params.get("page") or 1)
    except ValueError as exc:
        raise BadRequest("page must be an integer") from exc


@router.post("/actions/playlists/{playlist_id}/add-entity")
async def add_entity(playlist_id: str, request: Request, ctx: Ctx) -> Response:
    """Add an entity and the preview to show to a playlist; answers the playlist."""
    return ok(service.add_entity(ctx, playlist_id, await json_body(request)))


@router.post("/actions/playlists/{playlist_id}/remove-entity")
async def remove_entity(playlist_id: str, request: Request, ctx: Ctx) -> Response:
    """Remove an entity from a playlist; answers the playlist."""
    return ok(service.remove_entity(ctx, playlist_id, await json_body(request)))


@router.get("/data/projects/{project_id}/playlists")
async def project_playlists(project_id: str, request: Request, ctx: Ctx) -> Response:
    """Playlists of a project, one page of 20 (a plain array)."""
    return ok(service.project_playlists(ctx, project_id, None, _page(request)))


@router.get("/data/projects/{project_id}/playlists/all")
async def all_project_playlists(project_id: str, ctx: Ctx) -> Response:
    """Every playlist of a project."""
    return ok(service.project_playlists(ctx, project_id, None, 0))


@router.get("/data/projects/{project_id}/episodes/{episode_id}/playlists")
async def episode_playlists(project_id: str, episode_id: str, request: Request, ctx: Ctx) -> Response:
    """Playlists of an episode (``main``: those without episode, ``all``: every one)."""
    return ok(service.project_playlists(ctx, project_id, episode_id, _page(request)))


@router.get("/data/projects/{project_id}/playlists/{playlist_id}")
async def project_playlist(project_id: str, playlist_id: str, ctx: Ctx) -> Response:
    """One playlist of a project with its build jobs."""
    return ok(service.playlist_in_project(ctx, project_id, playlist_id))


@router.get("/data/projects/{project_id}/build-jobs")
async def project_build_jobs(project_id: str, ctx: Ctx) -> Response:
    """Build jobs of every playlist of a project."""
    return ok(service.project_build_jobs(ctx, project_id))


@router.get("/data/playlists/{playlist_id}/jobs/{job_id}")
async def build_job(playlist_id: str, job_id: str, ctx: Ctx) -> Response:
    """One build job of a playlist."""
    return ok(service.build_job(ctx, playlist_id, job_id))


@router.delete("/data/playlists/{playlist_id}/jobs/{job_id}")
async def delete_build_job(playlist_id: str, job_id: str, ctx: Ctx) -> Response:
    """Delete a build job of a playlist."""
    service.delete_build_job(ctx, playlist_id, job_id)
    return no_content()
