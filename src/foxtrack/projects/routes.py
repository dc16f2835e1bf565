"""``/data/projects/...``: project lists, team, settings links and metadata descriptors."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import created, no_content, ok
from foxtrack.projects import service

router = APIRouter(tags=["projects"])


@router.get("/data/projects/open")
def open_projects(ctx: Ctx) -> Response:
    """Open projects (of the caller's teams unless admin), with relations and descriptors."""
    with ctx.read() as conn:
        return ok(service.open_projects(ctx, conn))


@router.get("/data/projects/all")
def all_projects(ctx: Ctx) -> Response:
    """Every project (of the caller's teams unless admin), open or closed."""
    with ctx.read() as conn:
        return ok(service.all_projects(ctx, conn))


@router.get("/data/projects/{project_id}/team")
def get_team(project_id: str, ctx: Ctx) -> Response:
    """The persons of the project's team, with their project role."""
    return ok(service.team(ctx, project_id))


@router.post("/data/projects/{project_id}/team")
def add_to_team(payload: JsonBody, project_id: str, request: Request, ctx: Ctx) -> Response:
    """Add a person to the team (optionally with a project role)."""
    return created(service.add_team_member(ctx, project_id, payload))


@router.put("/data/projects/{project_id}/team/{person_id}")
def update_team_member(payload: JsonBody, project_id: str, person_id: str, request: Request, ctx: Ctx) -> Response:
    """Set the project role of a team member."""
    return ok(service.update_team_member(ctx, project_id, person_id, payload))


@router.delete("/data/projects/{project_id}/team/{person_id}")
def remove_from_team(project_id: str, person_id: str, ctx: Ctx) -> Response:
    """Remove a person from the team."""
    service.remove_team_member(ctx, project_id, person_id)
    return no_content()


# Zou serves GET on the task-status, status-automation and background-file settings only
# (GET .../settings/task-types answers 405 there).
@router.get("/data/projects/{project_id}/settings/task-status")
def list_task_statuses(project_id: str, ctx: Ctx) -> Response:
    """Task statuses linked to the project."""
    return ok(service.list_setting(ctx, project_id, "task-status"))


@router.get("/data/projects/{project_id}/settings/status-automations")
def list_status_automations(project_id: str, ctx: Ctx) -> Response:
    """Status automations linked to the project."""
    return ok(service.list_setting(ctx, project_id, "status-automations"))


@router.get("/data/projects/{project_id}/settings/preview-background-files")
def list_background_files(project_id: str, ctx: Ctx) -> Response:
    """Preview background files linked to the project."""
    return ok(service.list_setting(ctx, project_id, "preview-background-files"))


def _settings_routes(kind: str) -> None:
    def add(project_id: str, payload: JsonBody, ctx: Ctx) -> Response:
        return created(service.add_setting(ctx, project_id, kind, payload))

    def remove(project_id: str, item_id: str, ctx: Ctx) -> Response:
        service.remove_setting(ctx, project_id, kind, item_id)
        return no_content()

    add.__doc__ = f"Link a {kind} item to the project."
    remove.__doc__ = f"Unlink a {kind} item from the project."
    path = f"/data/projects/{{project_id}}/settings/{kind}"
    router.add_api_route(path, add, methods=["POST"], name=f"add_project_{kind}")
    router.add_api_route(path + "/{item_id}", remove, methods=["DELETE"], name=f"remove_project_{kind}")


for _kind in service.SETTINGS:
    _settings_routes(_kind)


@router.get("/data/projects/{project_id}/metadata-descriptors")
def list_descriptors(project_id: str, ctx: Ctx) -> Response:
    """Metadata descriptors of the project."""
    return ok(service.descriptors(ctx, project_id))


@router.post("/data/projects/{project_id}/metadata-descriptors")
def create_descriptor(payload: JsonBody, project_id: str, request: Request, ctx: Ctx) -> Response:
    """Add a metadata descriptor (its field name is derived from its name)."""
    return created(service.create_descriptor(ctx, project_id, payload))


@router.post("/data/projects/{project_id}/metadata-descriptors/reorder")
def reorder_descriptors(payload: JsonBody, project_id: str, request: Request, ctx: Ctx) -> Response:
    """Set the positions of the descriptors of one entity type."""
    return ok(service.reorder_descriptors(ctx, project_id, payload))


@router.get("/data/projects/{project_id}/metadata-descriptors/{descriptor_id}")
def get_descriptor(project_id: str, descriptor_id: str, ctx: Ctx) -> Response:
    """One metadata descriptor."""
    return ok(service.descriptor(ctx, project_id, descriptor_id))


@router.put("/data/projects/{project_id}/metadata-descriptors/{descriptor_id}")
def update_descriptor(payload: JsonBody, project_id: str, descriptor_id: str, request: Request, ctx: Ctx) -> Response:
    """Update a metadata descriptor."""
    return ok(service.update_descriptor(ctx, project_id, descriptor_id, payload))


@router.delete("/data/projects/{project_id}/metadata-descriptors/{descriptor_id}")
def delete_descriptor(project_id: str, descriptor_id: str, ctx: Ctx) -> Response:
    """Remove a metadata descriptor."""
    service.delete_descriptor(ctx, project_id, descriptor_id)
    return no_content()


@router.get("/data/projects/{project_id}/milestones")
def milestones(project_id: str, ctx: Ctx) -> Response:
    """Milestones of the project."""
    return ok(service.project_rows(ctx, project_id, "milestones"))


@router.get("/data/projects/{project_id}/schedule-items")
def schedule_items(project_id: str, ctx: Ctx) -> Response:
    """Schedule items of the project."""
    return ok(service.schedule_items(ctx, project_id))


@router.get("/data/projects/{project_id}/schedule-items/task-types")
def task_type_schedule_items(project_id: str, ctx: Ctx) -> Response:
    """One schedule item per task type of the project, created when missing."""
    return ok(service.task_type_schedule_items(ctx, project_id))


@router.get("/data/projects/{project_id}/task-types")
def project_task_types(project_id: str, ctx: Ctx) -> Response:
    """Task types linked to the project."""
    return ok(service.project_task_types(ctx, project_id))
