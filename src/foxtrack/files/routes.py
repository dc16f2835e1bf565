"""Routes of the files feature (HTTP only: parse, authorise, call the service, shape the answer)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from foxtrack.core.context import Ctx, RequestContext
from foxtrack.core.errors import ApiError, BadRequest
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import created, ok
from foxtrack.crud.policy import Policies
from foxtrack.files import service
from foxtrack.storage import storage_of
from foxtrack.storage.uploads import received_form

router = APIRouter(tags=["files"])
BUCKET, PREFIX = "files", "working"
CACHE = {"Cache-Control": "public, max-age=604800"}

# The generic CRUD serves the records; reading one checks its project and adds Zou's extra keys.
def register_crud(policies: Policies) -> None:
    """This feature's rules for the generic ``/data/<model>`` routes (called by the app factory)."""
    policies.register("working-files", read_one="all",
             shape_one=lambda ctx, conn, row: service.readable_working_file(ctx, conn, row))
    policies.register("output-files", read_one="all",
             shape_one=lambda ctx, conn, row: service.readable_output_file(ctx, conn, row))


def _query(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def _entity(entity_id: str) -> tuple[str | None, str | None, str | None]:
    return entity_id, None, None


def _instance(instance_id: str, temporal_entity_id: str | None) -> tuple[str | None, str | None, str | None]:
    return None, instance_id, temporal_entity_id


# ----------------------------------------------------------------------------- file trees

@router.post("/actions/projects/{project_id}/set-file-tree")
def set_file_tree(payload: JsonBody, project_id: str, request: Request, ctx: Ctx) -> Response:
    """Replace the project's file tree with a built-in one (``default`` or ``simple``)."""
    body = payload
    return ok(service.set_file_tree(ctx, project_id, body.get("tree_name")))


@router.post("/data/tasks/{task_id}/working-file-path")
def working_file_path(payload: JsonBody, task_id: str, request: Request, ctx: Ctx) -> Response:
    """Folder and file name of a task's working file, from the project's file tree."""
    return ok(service.working_file_path(ctx, task_id, payload))


@router.post("/data/entities/{entity_id}/output-file-path")
def entity_output_file_path(payload: JsonBody, entity_id: str, request: Request, ctx: Ctx) -> Response:
    """Folder and file name of an entity's output file, from the project's file tree."""
    return ok(service.output_file_path(ctx, _entity(entity_id), payload))


@router.post("/data/asset-instances/{instance_id}/entities/{temporal_entity_id}/output-file-path")
def instance_output_file_path(payload: JsonBody, instance_id: str, temporal_entity_id: str, request: Request,
                                   ctx: Ctx) -> Response:
    """Folder and file name of an asset instance's output file in a shot or scene."""
    body = payload
    return ok(service.output_file_path(ctx, _instance(instance_id, temporal_entity_id), body))


# ----------------------------------------------------------------------------- working files

@router.post("/data/tasks/{task_id}/working-files/new")
def new_working_file(payload: JsonBody, task_id: str, request: Request, ctx: Ctx) -> Response:
    """Create the next (or given) revision of a working file of a task; its path comes from the tree."""
    return created(service.new_working_file(ctx, task_id, payload))


@router.get("/data/tasks/{task_id}/working-files")
def task_working_files(task_id: str, ctx: Ctx) -> Response:
    """Every working file revision of a task, newest revision first."""
    return ok(service.task_working_files(ctx, task_id))


@router.get("/data/tasks/{task_id}/working-files/last-revisions")
def last_working_files(task_id: str, ctx: Ctx) -> Response:
    """The last revision of each working file name of a task: ``{name: working file}``."""
    return ok(service.last_working_files(ctx, task_id))


@router.get("/data/entities/{entity_id}/working-files")
def entity_working_files(entity_id: str, request: Request, ctx: Ctx) -> Response:
    """Working files of an entity, optionally of one task (``task_id``) and one ``name``."""
    return ok(service.entity_working_files(ctx, entity_id, _query(request)))


@router.put("/actions/working-files/{working_file_id}/comment")
def working_file_comment(payload: JsonBody, working_file_id: str, request: Request, ctx: Ctx) -> Response:
    """Change the comment of a working file."""
    return ok(service.set_working_file_comment(ctx, working_file_id, payload))


@router.put("/actions/working-files/{working_file_id}/modified")
def working_file_modified(working_file_id: str, ctx: Ctx) -> Response:
    """Mark a working file as modified now."""
    return ok(service.touch_working_file(ctx, working_file_id))


async def _store(ctx: RequestContext, working_file_id: str, request: Request) -> Response:
    working_file = await run_in_threadpool(service.working_file_for_upload, ctx, working_file_id)
    async with received_form(request, ctx.state) as form:
        upload = form.files.get("file")
        if upload is None:
            raise BadRequest("The browser (or proxy) sent a request that this server could not understand.")
        await asyncio.to_thread(storage_of(ctx.state).save, BUCKET, PREFIX, working_file_id, upload.path)
    return created(working_file)


@router.post("/data/working-files/{working_file_id}/file")
async def upload_working_file(working_file_id: str, request: Request, ctx: Ctx) -> Response:
    """Store the content of a working file (multipart ``file``)."""
    return await _store(ctx, working_file_id, request)


@router.get("/data/working-files/{working_file_id}/file")
async def download_working_file(working_file_id: str, request: Request, ctx: Ctx) -> Response:
    """The stored content of a working file (Range, conditional GET; a redirect on S3)."""
    from foxtrack.storage.serve import serve

    await run_in_threadpool(service.working_file_for_download, ctx, working_file_id)
    store = storage_of(ctx.state)
    if await asyncio.to_thread(store.stat, BUCKET, PREFIX, working_file_id) is None:
        raise ApiError(f"Working file not found for: {working_file_id}", status=404)
    return await serve(request, store, BUCKET, PREFIX, working_file_id, "application/octet-stream")


# ----------------------------------------------------------------------------- output files

@router.post("/data/entities/{entity_id}/output-files/new")
def new_entity_output_file(payload: JsonBody, entity_id: str, request: Request, ctx: Ctx) -> Response:
    """Create an output file of an entity (next revision unless given); its path comes from the tree."""
    return created(service.new_output_file(ctx, _entity(entity_id), payload))


@router.post("/data/asset-instances/{instance_id}/entities/{temporal_entity_id}/output-files/new")
def new_instance_output_file(payload: JsonBody, instance_id: str, temporal_entity_id: str, request: Request,
                                   ctx: Ctx) -> Response:
    """Create an output file of an asset instance in a shot or scene."""
    body = payload
    return created(service.new_output_file(ctx, _instance(instance_id, temporal_entity_id), body))


@router.post("/data/entities/{entity_id}/output-files/next-revision")
def next_entity_output_revision(payload: JsonBody, entity_id: str, request: Request, ctx: Ctx) -> Response:
    """``{next_revision}`` for an entity's output files of one output type, task type and name."""
    return ok(service.next_output_revision(ctx, _entity(entity_id), payload))


@router.post("/data/asset-instances/{instance_id}/entities/{temporal_entity_id}/output-files/next-revision")
def next_instance_output_revision(payload: JsonBody, instance_id: str, temporal_entity_id: str, request: Request,
                                        ctx: Ctx) -> Response:
    """``{next_revision}`` for an asset instance's output files in a shot or scene."""
    body = payload
    return ok(service.next_output_revision(ctx, _instance(instance_id, temporal_entity_id), body))


@router.get("/data/entities/{entity_id}/output-files")
def entity_output_files(entity_id: str, request: Request, ctx: Ctx) -> Response:
    """Output files of an entity, filtered by output type, task type, representation, name, status."""
    return ok(service.output_files(ctx, _entity(entity_id), _query(request)))


@router.get("/data/entities/{entity_id}/output-files/last-revisions")
def last_entity_output_files(entity_id: str, request: Request, ctx: Ctx) -> Response:
    """The last revision of each output file of an entity."""
    return ok(service.last_output_files(ctx, _entity(entity_id), _query(request)))


@router.get("/data/entities/{entity_id}/output-types")
def entity_output_types(entity_id: str, ctx: Ctx) -> Response:
    """Output types used by the output files of an entity."""
    return ok(service.output_types(ctx, _entity(entity_id)))


@router.get("/data/entities/{entity_id}/output-types/{output_type_id}/output-files")
def entity_output_type_files(entity_id: str, output_type_id: str, request: Request, ctx: Ctx) -> Response:
    """Output files of an entity for one output type (optionally one ``representation``)."""
    filters = {**_query(request), "output_type_id": output_type_id}
    return ok(service.output_files(ctx, _entity(entity_id), filters))


@router.get("/data/asset-instances/{instance_id}/output-files")
def instance_output_files(instance_id: str, request: Request, ctx: Ctx) -> Response:
    """Output files of an asset instance (optionally in one ``temporal_entity_id``), filtered."""
    filters = _query(request)
    ids = _instance(instance_id, filters.pop("temporal_entity_id", None))
    return ok(service.output_files(ctx, ids, filters))


@router.get("/data/asset-instances/{instance_id}/entities/{temporal_entity_id}/output-files/last-revisions")
def last_instance_output_files(instance_id: str, temporal_entity_id: str, request: Request,
                                     ctx: Ctx) -> Response:
    """The last revision of each output file of an asset instance in a shot or scene."""
    return ok(service.last_output_files(ctx, _instance(instance_id, temporal_entity_id), _query(request)))


@router.get("/data/asset-instances/{instance_id}/entities/{temporal_entity_id}/output-types")
def instance_output_types(instance_id: str, temporal_entity_id: str, ctx: Ctx) -> Response:
    """Output types used by an asset instance's output files in a shot or scene."""
    return ok(service.output_types(ctx, _instance(instance_id, temporal_entity_id)))


@router.get("/data/asset-instances/{instance_id}/entities/{temporal_entity_id}/output-types/{output_type_id}"
            "/output-files")
def instance_output_type_files(instance_id: str, temporal_entity_id: str, output_type_id: str,
                                     request: Request, ctx: Ctx) -> Response:
    """Output files of an asset instance in a shot or scene for one output type."""
    filters = {**_query(request), "output_type_id": output_type_id}
    return ok(service.output_files(ctx, _instance(instance_id, temporal_entity_id), filters))


@router.get("/data/projects/{project_id}/output-files")
def project_output_files(project_id: str, request: Request, ctx: Ctx) -> Response:
    """Output files of a project, filtered by output type, task type, representation, name, status."""
    return ok(service.project_output_files(ctx, project_id, _query(request)))
