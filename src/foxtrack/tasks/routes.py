"""Routes of the tasks feature (HTTP only: parse, authorise, call the service, shape the answer)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.filters import parse_bool
from foxtrack.core.http import JsonAny, JsonBody, pagination
from foxtrack.core.jsonutil import created, no_content, ok
from foxtrack.tasks import service

router = APIRouter(tags=["tasks"])


@router.get("/data/tasks/open-tasks")
def open_tasks(request: Request, ctx: Ctx) -> Response:
    """Unfinished tasks of open projects, one page, with status statistics."""
    return ok(service.open_tasks(ctx, dict(request.query_params)))


@router.get("/data/tasks/open-tasks/stats")
def open_tasks_stats(ctx: Ctx) -> Response:
    """Per open project: task counts, done counts, durations and estimations by status and type."""
    return ok(service.open_tasks_stats(ctx))


@router.get("/data/persons/{person_id}/related-tasks/{task_type_id}")
def person_related_tasks(person_id: str, task_type_id: str, ctx: Ctx) -> Response:
    """Tasks of a type on the entities where the person has an assigned task."""
    return ok(service.person_related_tasks(ctx, person_id, task_type_id))


@router.get("/data/tasks/{task_id}/full")
def full_task(task_id: str, ctx: Ctx) -> Response:
    """A task with its project, entity, type, status and assignees embedded."""
    return ok(service.full_task(ctx, task_id))


@router.get("/data/shots/{entity_id}/tasks")
@router.get("/data/assets/{entity_id}/tasks")
@router.get("/data/edits/{entity_id}/tasks")
@router.get("/data/concepts/{entity_id}/tasks")
@router.get("/data/scenes/{entity_id}/tasks")
def entity_tasks(entity_id: str, request: Request, ctx: Ctx) -> Response:
    """Tasks of an entity with project, type, status and entity names."""
    relations = parse_bool(request.query_params.get("relations", "false"))
    return ok(service.entity_tasks(ctx, entity_id, relations))


@router.post("/data/entities/{entity_id}/tasks")
def create_entity_tasks(payload: JsonBody, entity_id: str, request: Request, ctx: Ctx) -> Response:
    """Create one task per given task type on the entity (existing ones are skipped)."""
    body = payload
    return created(service.create_entity_tasks(ctx, entity_id, body.get("task_type_ids")))


@router.get("/data/projects/{project_id}/tasks")
def project_tasks(project_id: str, request: Request, ctx: Ctx) -> Response:
    """Tasks of a project (a page object when ``page`` is given)."""
    page = pagination(request.query_params, ctx.state.settings.records_per_page)
    return ok(service.project_tasks(ctx, project_id, page.page if page else 0, page.limit if page else 0))


@router.post("/actions/projects/{project_id}/task-types/{task_type_id}/shots/create-tasks")
def create_shot_tasks(payload: JsonAny, project_id: str, task_type_id: str, request: Request, ctx: Ctx) -> Response:
    """Create a task of this type for the given shots (all shots of the project when none)."""
    ids = payload
    return created(service.create_tasks_for_type(ctx, project_id, task_type_id, "shots", ids,
                                                 request.query_params.get("episode_id")))


@router.post("/actions/projects/{project_id}/task-types/{task_type_id}/assets/create-tasks")
def create_asset_tasks(payload: JsonAny, project_id: str, task_type_id: str, request: Request, ctx: Ctx) -> Response:
    """Create a task of this type for the given assets (all assets of the project when none)."""
    ids = payload
    return created(service.create_tasks_for_type(ctx, project_id, task_type_id, "assets", ids,
                                                 request.query_params.get("episode_id")))


@router.put("/actions/persons/{person_id}/assign")
def assign_person(payload: JsonBody, person_id: str, request: Request, ctx: Ctx) -> Response:
    """Assign a person to tasks; answers the updated tasks."""
    body = payload
    return ok(service.assign(ctx, person_id, body.get("task_ids")))


@router.put("/actions/tasks/clear-assignation")
def clear_assignation(payload: JsonBody, request: Request, ctx: Ctx) -> Response:
    """Remove one person (or all) from the assignees of tasks; answers the task ids."""
    body = payload
    return ok(service.clear_assignation(ctx, body.get("task_ids"), body.get("person_id")))


@router.put("/actions/tasks/{task_id}/assign")
def assign_task(payload: JsonBody, task_id: str, request: Request, ctx: Ctx) -> Response:
    """Assign a person to one task."""
    body = payload
    return ok(service.assign_task(ctx, task_id, body.get("person_id")))


@router.get("/actions/tasks/{task_id}/time-spents")
def task_time_spents(task_id: str, ctx: Ctx) -> Response:
    """Time spent on a task: ``{total, <person_id>: [entries]}``."""
    return ok(service.task_time_spents(ctx, task_id))


@router.get("/actions/tasks/{task_id}/time-spents/{date}")
def task_time_spents_for_date(task_id: str, date: str, ctx: Ctx) -> Response:
    """Time spent on a task on one day."""
    return ok(service.task_time_spents(ctx, task_id, date))


@router.post("/actions/tasks/{task_id}/time-spents/{date}/persons/{person_id}")
def set_time_spent(payload: JsonBody, task_id: str, date: str, person_id: str, request: Request, ctx: Ctx) -> Response:
    """Set the minutes a person spent on a task that day."""
    return created(service.set_time_spent(ctx, task_id, date, person_id, payload))


@router.post("/actions/tasks/{task_id}/time-spents/{date}/persons/{person_id}/add")
def add_time_spent(payload: JsonBody, task_id: str, date: str, person_id: str, request: Request, ctx: Ctx) -> Response:
    """Add minutes to what a person spent on a task that day."""
    return created(service.set_time_spent(ctx, task_id, date, person_id, payload, add=True))


@router.delete("/actions/tasks/{task_id}/time-spents/{date}/persons/{person_id}")
def delete_time_spent(task_id: str, date: str, person_id: str, ctx: Ctx) -> Response:
    """Remove a day's time spent entry; answers it with its duration zeroed (201, as Zou)."""
    return created(service.delete_time_spent(ctx, task_id, date, person_id))


@router.get("/data/projects/{project_id}/comments")
def project_comments(project_id: str, ctx: Ctx) -> Response:
    """Comments of every task of a project."""
    return ok(service.project_rows(ctx, project_id, "comments"))


@router.get("/data/projects/{project_id}/preview-files")
def project_preview_files(project_id: str, ctx: Ctx) -> Response:
    """Preview files of every task of a project."""
    return ok(service.project_rows(ctx, project_id, "preview-files"))


@router.get("/data/projects/{project_id}/subscriptions")
def project_subscriptions(project_id: str, ctx: Ctx) -> Response:
    """Task subscriptions of a project."""
    return ok(service.project_rows(ctx, project_id, "subscriptions"))


@router.get("/data/projects/{project_id}/notifications")
def project_notifications(project_id: str, ctx: Ctx) -> Response:
    """Notifications about the tasks of a project."""
    return ok(service.project_rows(ctx, project_id, "notifications"))


@router.get("/data/entities/{entity_id}/task-types/{task_type_id}/tasks")
def entity_type_tasks(entity_id: str, task_type_id: str, ctx: Ctx) -> Response:
    """Tasks of one type on an entity."""
    return ok(service.entity_type_tasks(ctx, entity_id, task_type_id))


@router.post("/actions/projects/{project_id}/delete-tasks")
def delete_tasks(payload: JsonAny, project_id: str, request: Request, ctx: Ctx) -> Response:
    """Delete the listed tasks of a project (body: a JSON array of ids); answers the ids."""
    return ok(service.delete_tasks(ctx, project_id, task_ids=payload))


@router.delete("/actions/projects/{project_id}/task-types/{task_type_id}/delete-tasks")
def delete_tasks_for_type(project_id: str, task_type_id: str, ctx: Ctx) -> Response:
    """Delete every task of one type in a project."""
    service.delete_tasks(ctx, project_id, task_type_id=task_type_id)
    return no_content()
