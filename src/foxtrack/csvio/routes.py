"""``/export/csv/...`` and ``/import/csv/...``: CSV sheets of a production, as Kitsu's
production managers download and upload them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import Ctx, RequestContext
from foxtrack.core.errors import BadRequest, NotFound
from foxtrack.core.filters import parse_bool
from foxtrack.core.jsonutil import created, is_uuid
from foxtrack.csvio import estimations, export, importing
from foxtrack.csvio.service import Sheet, csv_lines, project_row, read_sheet, slugify
from foxtrack.entities import types
from foxtrack.storage.uploads import received_form

router = APIRouter()
Table = tuple[list[str], list[list[Any]]]
BAD_FORM = "The browser (or proxy) sent a request that this server could not understand."


def _csv_response(table: Table, filename: str, media_type: str = "text/csv") -> StreamingResponse:
    header, rows = table
    return StreamingResponse(csv_lines(header, rows), media_type=media_type,
                             headers={"Content-Disposition": f"attachment; filename={filename}"})


def _project_export(ctx: RequestContext, project_id: str, build: Callable[[Connection, dict[str, Any]], Table],
                    suffix: str) -> StreamingResponse:
    types.temporal_ids(ctx.state)
    with ctx.read() as conn:
        project = project_row(conn, project_id) if is_uuid(project_id) else None
        if project is None:
            raise NotFound()
        perm.check_project_access(ctx, conn, project_id)  # the roles: the route's rule (``core.policy``)
        table = build(conn, project)
    return _csv_response(table, f"kitsu_{slugify(project['name'])}_{suffix}.csv")


def _id_param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value if value and is_uuid(value) else None


@router.get("/export/csv/projects/{project_id}/assets.csv")
def export_assets(ctx: Ctx, request: Request, project_id: str) -> StreamingResponse:
    """The assets of a project with their task statuses and assignees, as CSV."""
    episode_id, assigned_to = _id_param(request, "episode_id"), _id_param(request, "assigned_to")
    return _project_export(ctx, project_id, lambda conn, project: export.assets(
        ctx.state, conn, project, episode_id, assigned_to), "assets")


@router.get("/export/csv/projects/{project_id}/shots.csv")
def export_shots(ctx: Ctx, request: Request, project_id: str) -> StreamingResponse:
    """The shots of a project with frame ranges, task statuses and assignees, as CSV."""
    episode_id, assigned_to = _id_param(request, "episode_id"), _id_param(request, "assigned_to")
    return _project_export(ctx, project_id, lambda conn, project: export.shots(
        ctx.state, conn, project, episode_id, assigned_to), "shots")


@router.get("/export/csv/projects/{project_id}/edits.csv")
def export_edits(ctx: Ctx, request: Request, project_id: str) -> StreamingResponse:
    """The edits of a project, as CSV."""
    episode_id = _id_param(request, "episode_id")
    return _project_export(ctx, project_id, lambda conn, project: export.edits(
        ctx.state, conn, project, episode_id), "edits")


@router.get("/export/csv/projects/{project_id}/casting.csv")
def export_casting(ctx: Ctx, request: Request, project_id: str) -> StreamingResponse:
    """The casting of a project (asset casting, or shot casting with ``is_shot_casting=true``)."""
    episode_id = _id_param(request, "episode_id")
    shot_casting = parse_bool(request.query_params.get("is_shot_casting") or "false")
    return _project_export(ctx, project_id, lambda conn, project: export.casting(
        ctx.state, conn, project, episode_id, bool(shot_casting)), "casting")


def _studio_export(ctx: RequestContext, build: Callable[[Connection], Table], filename: str) -> StreamingResponse:
    perm.require_manager(ctx)
    with ctx.read() as conn:
        table = build(conn)
    return _csv_response(table, filename, "text/csv; charset=utf-8")


@router.get("/export/csv/persons.csv")
def export_persons(ctx: Ctx) -> StreamingResponse:
    """Every person of the studio, as CSV."""
    return _studio_export(ctx, export.persons, "kitsu_people_export.csv")


@router.get("/export/csv/projects.csv")
def export_projects(ctx: Ctx) -> StreamingResponse:
    """The projects (the caller's, for managers) with their status, as CSV."""
    return _studio_export(ctx, lambda conn: export.projects(ctx, conn), "kitsu_export.csv")


@router.get("/export/csv/task-types.csv")
def export_task_types(ctx: Ctx) -> StreamingResponse:
    """Task types with their department, as CSV."""
    return _studio_export(ctx, export.task_types, "kitsu_export.csv")


# ----------------------------------------------------------------------------- imports

async def _sheet(ctx: RequestContext, request: Request) -> Sheet:
    async with received_form(request, ctx.state) as form:
        upload = form.files.get("file")
        if upload is None:
            raise BadRequest(BAD_FORM)
        data = await run_in_threadpool(upload.path.read_bytes)
    return read_sheet(data)


def _update(request: Request) -> bool:
    return bool(parse_bool(request.query_params.get("update") or "false"))


@router.post("/import/csv/projects/{project_id}/assets")
async def import_assets(ctx: Ctx, request: Request, project_id: str) -> Any:
    """Create (or with ``update=true`` update) assets and their task statuses from a CSV sheet."""
    sheet = await _sheet(ctx, request)
    return created(await run_in_threadpool(importing.import_assets, ctx, project_id, sheet, _update(request)))


@router.post("/import/csv/projects/{project_id}/shots")
async def import_shots(ctx: Ctx, request: Request, project_id: str) -> Any:
    """Create (or update) shots, with their episodes and sequences, from a CSV sheet."""
    sheet = await _sheet(ctx, request)
    return created(await run_in_threadpool(importing.import_shots, ctx, project_id, sheet, _update(request)))


@router.post("/import/csv/projects/{project_id}/edits")
async def import_edits(ctx: Ctx, request: Request, project_id: str) -> Any:
    """Create (or update) edits, in their episodes, with task statuses and comments, from a CSV sheet."""
    sheet = await _sheet(ctx, request)
    return created(await run_in_threadpool(importing.import_edits, ctx, project_id, sheet, _update(request)))


@router.post("/import/csv/projects/{project_id}/task-types/{task_type_id}/estimations")
async def import_estimations(ctx: Ctx, request: Request, project_id: str, task_type_id: str) -> Any:
    """Set the estimations, drawings, dates and difficulty of a task type's tasks from a CSV sheet."""
    sheet = await _sheet(ctx, request)
    return created(await run_in_threadpool(estimations.import_estimations, ctx, project_id, task_type_id, sheet))


@router.post("/import/csv/projects/{project_id}/episodes/{episode_id}/task-types/{task_type_id}/estimations")
async def import_episode_estimations(ctx: Ctx, request: Request, project_id: str, episode_id: str,
                                     task_type_id: str) -> Any:
    """The estimations sheet of a task type for the assets or shots of one episode."""
    sheet = await _sheet(ctx, request)
    return created(await run_in_threadpool(estimations.import_estimations, ctx, project_id, task_type_id, sheet,
                                           episode_id))


@router.post("/import/csv/projects/{project_id}/casting")
async def import_casting(ctx: Ctx, request: Request, project_id: str) -> Any:
    """Add or update casting links from a CSV sheet."""
    sheet = await _sheet(ctx, request)
    return created(await run_in_threadpool(importing.import_casting, ctx, project_id, sheet))


@router.post("/import/csv/persons")
async def import_persons(ctx: Ctx, request: Request) -> Any:
    """Create (or update) persons from a CSV sheet (admins only)."""
    sheet = await _sheet(ctx, request)
    return created(await run_in_threadpool(importing.import_persons, ctx, sheet, _update(request)))


__all__ = ["router"]
