"""Routes of a production's task type and task status links (priorities, board roles, client
overrides), of the softwares of its task types, and of its preview account."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonAny, JsonBody
from foxtrack.core.jsonutil import created, no_content, ok
from foxtrack.projects import links, preview_account, task_type_softwares

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


@router.put("/data/projects/{project_id}/settings/task-status/{task_status_id}")
def set_task_status_client_allowed(project_id: str, task_status_id: str, payload: JsonAny, ctx: Ctx) -> Response:
    """Whether the production's clients may set a task status (``is_client_allowed``; null: the
    status's own value); the link is answered."""
    return ok(task_type_softwares.set_client_allowed(ctx, project_id, task_status_id, payload))


@router.get("/data/projects/{project_id}/task-type-softwares")
def task_type_software_links(project_id: str, ctx: Ctx) -> Response:
    """The softwares set for the production's task types: ``[{project_id, task_type_id, software_id}]``."""
    return ok(task_type_softwares.software_links(ctx, project_id))


@router.post("/data/projects/{project_id}/task-types/{task_type_id}/softwares")
def add_task_type_software(project_id: str, task_type_id: str, payload: JsonBody, ctx: Ctx) -> Response:
    """Link a software (``software_id``) to one of the production's task types; 201 with the link."""
    return created(task_type_softwares.add_software(ctx, project_id, task_type_id, payload))


@router.delete("/data/projects/{project_id}/task-types/{task_type_id}/softwares/{software_id}")
def remove_task_type_software(project_id: str, task_type_id: str, software_id: str, ctx: Ctx) -> Response:
    """Unlink a software from one of the production's task types."""
    task_type_softwares.remove_software(ctx, project_id, task_type_id, software_id)
    return no_content()


@router.get("/data/projects/{project_id}/preview-account")
def get_preview_account(project_id: str, ctx: Ctx) -> Response:
    """The production's preview account (``null`` when it has none)."""
    return ok(preview_account.get_account(ctx, project_id))


@router.post("/data/projects/{project_id}/preview-account")
def create_preview_account(project_id: str, ctx: Ctx) -> Response:
    """Create the preview account or give it a new password (answered once, in clear); 201."""
    return created(preview_account.create_or_reset(ctx, project_id))


@router.put("/data/projects/{project_id}/preview-account")
def open_preview_account(project_id: str, payload: JsonAny, ctx: Ctx) -> Response:
    """Open (for an hour) or close the preview account's access window: ``{"is_open": bool}``."""
    return ok(preview_account.set_open(ctx, project_id, payload))


@router.delete("/data/projects/{project_id}/preview-account")
def delete_preview_account(project_id: str, ctx: Ctx) -> Response:
    """Remove the production's preview account."""
    preview_account.delete_account(ctx, project_id)
    return no_content()
