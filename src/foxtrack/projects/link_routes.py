"""Routes of a production's task type and task status links (priorities, board roles)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonAny, JsonBody
from foxtrack.core.jsonutil import created, ok
from foxtrack.projects import links

router = APIRouter(tags=["projects"])


@router.post("/data/task-type-links")
def task_type_link(payload: JsonBody, ctx: Ctx) -> Response:
    """Link a task type to a production with a priority (or change the priority); 201 with the link."""
    return created(links.set_link(ctx, links.TASK_TYPE, payload))


@router.post("/data/task-status-links")
def task_status_link(payload: JsonBody, ctx: Ctx) -> Response:
    """Link a task status to a production with a priority and board roles (or change them)."""
    return created(links.set_link(ctx, links.TASK_STATUS, payload))


@router.post("/actions/projects/{project_id}/task-type-links/reorder")
def reorder_task_type_links(project_id: str, payload: JsonAny, ctx: Ctx) -> Response:
    """Set the priorities of a production's task type links from an ordered ``task_type_ids`` list."""
    return ok(links.reorder(ctx, links.TASK_TYPE, project_id, payload))


@router.post("/actions/projects/{project_id}/task-status-links/reorder")
def reorder_task_status_links(project_id: str, payload: JsonAny, ctx: Ctx) -> Response:
    """Set the priorities of a production's task status links from an ordered ``task_status_ids`` list."""
    return ok(links.reorder(ctx, links.TASK_STATUS, project_id, payload))
