"""``actions/task-types/reorder`` and a project template's task type and status order."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonAny
from foxtrack.core.jsonutil import ok
from foxtrack.planning import reorders

router = APIRouter(tags=["planning"])


@router.post("/actions/task-types/reorder")
def reorder_task_types(payload: JsonAny, ctx: Ctx) -> Response:
    """Set the task types' priorities in the order of ``task_type_ids``."""
    return ok(reorders.reorder_task_types(ctx, payload))


@router.post("/actions/project-templates/{project_template_id}/task-types/reorder")
def reorder_template_task_types(project_template_id: str, payload: JsonAny, ctx: Ctx) -> Response:
    """Set the template's task types in the order of ``task_type_ids``."""
    return ok(reorders.reorder_template(ctx, project_template_id, "task-types", payload))


@router.post("/actions/project-templates/{project_template_id}/task-statuses/reorder")
def reorder_template_task_statuses(project_template_id: str, payload: JsonAny, ctx: Ctx) -> Response:
    """Set the template's task statuses in the order of ``task_status_ids``."""
    return ok(reorders.reorder_template(ctx, project_template_id, "task-statuses", payload))
