"""Settings in one call, metadata descriptors across productions, a production's time spent."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import created, ok
from foxtrack.projects import bulk

router = APIRouter(tags=["projects"])


@router.post("/data/projects/{project_id}/settings/batch")
def settings_batch(project_id: str, payload: JsonBody, ctx: Ctx) -> Response:
    """Add task types (with priorities), task statuses and asset types to a production at once."""
    return ok(bulk.update_settings(ctx, project_id, payload))


@router.post("/data/metadata-descriptors/all-projects")
def add_descriptor_everywhere(payload: JsonBody, ctx: Ctx) -> Response:
    """Add a metadata descriptor to every open production the caller manages."""
    return created(bulk.add_descriptor_everywhere(ctx, payload))


@router.post("/actions/metadata-descriptors/all-projects/reorder")
def reorder_descriptors_everywhere(payload: JsonBody, ctx: Ctx) -> Response:
    """Order the descriptors of an entity type in every open production the caller manages."""
    return ok(bulk.reorder_descriptors_everywhere(ctx, payload))


@router.put("/data/metadata-descriptors/all-projects/{field_name}")
def update_descriptor_everywhere(field_name: str, payload: JsonBody, ctx: Ctx) -> Response:
    """Change a descriptor (by field name and entity type) in every open production the caller manages."""
    return ok(bulk.update_descriptor_everywhere(ctx, field_name, payload))


@router.delete("/data/metadata-descriptors/all-projects/{field_name}")
def remove_descriptor_everywhere(field_name: str, request: Request, ctx: Ctx) -> Response:
    """Remove a descriptor (``?entity_type=``) from every open production the caller manages."""
    return ok(bulk.remove_descriptor_everywhere(ctx, field_name, request.query_params.get("entity_type")))


@router.get("/data/projects/{project_id}/time-spents")
def project_time_spents(project_id: str, ctx: Ctx) -> Response:
    """Every time spent on the production's tasks."""
    return ok(bulk.project_time_spents(ctx, project_id))


@router.get("/data/projects/{project_id}/task-types/{task_type_id}/time-spents")
def task_type_time_spents(project_id: str, task_type_id: str, request: Request, ctx: Ctx) -> Response:
    """Time spent on one task type of the production (``start_date``, ``end_date``), by person."""
    params = request.query_params
    return ok(bulk.task_type_time_spents(ctx, project_id, task_type_id, params.get("start_date"),
                                         params.get("end_date")))
