"""Schedule routes: production schedule versions (with Zou's list rule), their task links and
actions, and a task type's schedule items per episode, sequence, asset type or edit."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.filters import group_params, parse_bool
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import ok
from foxtrack.core.models import MODELS
from foxtrack.crud import service as crud
from foxtrack.schedules import models, service

router = APIRouter(tags=["schedules"])


def _list(path: str) -> Callable[..., Response]:
    model = MODELS[path]

    def handler(request: Request, ctx: Ctx) -> Response:
        params = group_params(request.query_params.multi_items())
        models.check_list_access(ctx, params["project_id"][-1] if params.get("project_id") else None)
        return ok(crud.list_rows(ctx, model, params))

    handler.__doc__ = f"List {path} (Zou's filters and pages); vendors and clients are refused."
    return handler


for _path in (models.VERSION.path, models.TASK_LINK.path):
    router.add_api_route(f"/data/{_path}", _list(_path), methods=["GET"], name=f"list_{_path}")


@router.get("/data/production-schedule-versions/{version_id}/task-links")
def version_task_links(version_id: str, request: Request, ctx: Ctx) -> Response:
    """Task links of a schedule version (``task_type_id`` filter, ``relations`` for assignees)."""
    params = request.query_params
    return ok(service.task_links(ctx, version_id, params.get("task_type_id") or None,
                                 parse_bool(params.get("relations", "false"))))


@router.post("/actions/production-schedule-versions/{version_id}/set-task-links-from-production")
def links_from_production(version_id: str, ctx: Ctx) -> Response:
    """Copy the production's task dates, estimations and assignees into the version."""
    return ok(service.links_from_production(ctx, version_id))


@router.post("/actions/production-schedule-versions/{version_id}/set-task-links-from-production-schedule-version")
def links_from_version(version_id: str, payload: JsonBody, ctx: Ctx) -> Response:
    """Copy the task links of another version of the same production."""
    return ok(service.links_from_version(ctx, version_id, payload))


@router.post("/actions/production-schedule-versions/{version_id}/apply-to-production")
def apply_to_production(version_id: str, ctx: Ctx) -> Response:
    """Set the production's task dates and estimations from the version, and lock it."""
    return ok(service.apply_to_production(ctx, version_id))


def _items(kind: str) -> Callable[..., Response]:
    def handler(project_id: str, task_type_id: str, request: Request, ctx: Ctx) -> Response:
        episode_id = request.query_params.get("episode_id") or None
        return ok(service.entity_schedule_items(ctx, project_id, task_type_id, kind, episode_id))

    handler.__doc__ = f"Schedule items of a task type, one per {kind[:-1].replace('-', ' ')} (created when missing)."
    return handler


for _kind in ("episodes", "sequences", "asset-types", "edits"):
    router.add_api_route(f"/data/projects/{{project_id}}/schedule-items/{{task_type_id}}/{_kind}", _items(_kind),
                         methods=["GET"], name=f"schedule_items_{_kind}")
