"""``PUT actions/tasks/set-priority``, ``PUT actions/tasks/set-main-preview``, task creation for
edits, concepts and entities of a named type, and the open tasks' burndown."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonAny, JsonBody
from foxtrack.core.jsonutil import created, ok
from foxtrack.tasks import bulk, open_tasks

router = APIRouter(tags=["tasks"])


@router.put("/actions/tasks/set-priority")
def set_priority(payload: JsonBody, ctx: Ctx) -> Response:
    """Set the priority of several tasks (those the caller supervises)."""
    return ok(bulk.set_priority(ctx, payload))


@router.put("/actions/tasks/set-main-preview")
def set_main_previews(payload: JsonBody, ctx: Ctx) -> Response:
    """Make the last preview of each task its entity's thumbnail."""
    return ok(bulk.set_main_previews(ctx, payload))


@router.post("/actions/projects/{project_id}/task-types/{task_type_id}/edits/create-tasks")
def create_edit_tasks(project_id: str, task_type_id: str, payload: JsonAny, ctx: Ctx) -> Response:
    """Create a task of this type for the given edits (all edits of the production when none)."""
    return created(bulk.create_tasks(ctx, project_id, task_type_id, "Edit", payload))


@router.post("/actions/projects/{project_id}/task-types/{task_type_id}/concepts/create-tasks")
def create_concept_tasks(project_id: str, task_type_id: str, payload: JsonAny, ctx: Ctx) -> Response:
    """Create a task of this type for the given concepts (all concepts of the production when none)."""
    return created(bulk.create_tasks(ctx, project_id, task_type_id, "Concept", payload))


@router.post("/actions/projects/{project_id}/task-types/{task_type_id}/create-tasks/{entity_type}")
def create_entity_tasks(project_id: str, task_type_id: str, entity_type: str, payload: JsonAny,
                        request: Request, ctx: Ctx) -> Response:
    """Create a task of this type for the production's entities of a type named in the path
    (``episode_id`` narrows them)."""
    return created(bulk.create_tasks(ctx, project_id, task_type_id, entity_type, payload,
                                     request.query_params.get("episode_id")))


@router.get("/data/tasks/open-tasks/burndown")
def open_tasks_burndown(request: Request, ctx: Ctx) -> Response:
    """Burndown figures of the open tasks matching the open-task filters (``person_id=unassigned`` too)."""
    return ok(open_tasks.open_tasks_burndown(ctx, dict(request.query_params)))
