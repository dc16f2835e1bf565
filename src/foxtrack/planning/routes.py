"""Planning routes: project templates, budgets, quotas, asset instances and scene shots."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import created, no_content, ok
from foxtrack.planning import budgets, instances, quotas, templates
from foxtrack.planning import models as _models  # noqa: F401  (registers the CRUD models)

router = APIRouter(tags=["planning"])


# ----------------------------------------------------------------------------- project templates

@router.post("/data/project-templates/from-project/{project_id}")
def template_from_project(payload: JsonBody, project_id: str, request: Request, ctx: Ctx) -> Response:
    """Create a template from a project's settings, links and metadata descriptors."""
    return created(templates.from_project(ctx, project_id, payload))


@router.post("/data/projects/{project_id}/apply-template/{template_id}")
def apply_template(project_id: str, template_id: str, ctx: Ctx) -> Response:
    """Copy a template's settings, links and descriptors into a project."""
    return ok(templates.apply_template(ctx, project_id, template_id))


@router.get("/data/project-templates/{template_id}/task-types")
def template_task_types(template_id: str, ctx: Ctx) -> Response:
    """Task types of a template, with the link's priority."""
    return ok(templates.task_types(ctx, template_id))


@router.post("/data/project-templates/{template_id}/task-types")
def add_template_task_type(payload: JsonBody, template_id: str, request: Request, ctx: Ctx) -> Response:
    """Attach a task type to a template (or set its priority)."""
    return created(templates.add_task_type(ctx, template_id, payload))


@router.get("/data/project-templates/{template_id}/task-statuses")
def template_task_statuses(template_id: str, ctx: Ctx) -> Response:
    """Task statuses of a template, with the link's priority and board roles."""
    return ok(templates.task_statuses(ctx, template_id))


@router.post("/data/project-templates/{template_id}/task-statuses")
def add_template_task_status(payload: JsonBody, template_id: str, request: Request, ctx: Ctx) -> Response:
    """Attach a task status to a template (or update its link)."""
    return created(templates.add_task_status(ctx, template_id, payload))


def _link_routes(kind: str, summary: str) -> None:
    def list_linked(template_id: str, ctx: Ctx) -> Response:
        return ok(templates.linked(ctx, template_id, kind))

    def add(template_id: str, payload: JsonBody, ctx: Ctx) -> Response:
        return created(templates.add_link(ctx, template_id, kind, payload))

    def remove(template_id: str, item_id: str, ctx: Ctx) -> Response:
        templates.remove_link(ctx, template_id, kind, item_id)
        return no_content()

    base = f"/data/project-templates/{{template_id}}/{kind}"
    if kind not in ("task-types", "task-statuses"):
        router.add_api_route(base, list_linked, methods=["GET"], summary=f"{summary} of a template")
        router.add_api_route(base, add, methods=["POST"], summary=f"Attach one of the {summary.lower()}")
    router.add_api_route(base + "/{item_id}", remove, methods=["DELETE"], summary=f"Detach one of the {summary.lower()}")


for _kind, _summary in (("task-types", "Task types"), ("task-statuses", "Task statuses"),
                        ("asset-types", "Asset types"), ("status-automations", "Status automations"),
                        ("preview-background-files", "Preview background files")):
    _link_routes(_kind, _summary)


@router.put("/data/project-templates/{template_id}/default-preview-background-file")
def template_default_background(payload: JsonBody, template_id: str, request: Request, ctx: Ctx) -> Response:
    """Set (or unset) the template's default preview background file."""
    return ok(templates.set_default_background(ctx, template_id, payload))


@router.put("/data/project-templates/{template_id}/metadata-descriptors")
def template_descriptors(payload: JsonBody, template_id: str, request: Request, ctx: Ctx) -> Response:
    """Replace the template's metadata descriptors."""
    return ok(templates.set_descriptors(ctx, template_id, payload))


# ----------------------------------------------------------------------------- budgets

@router.get("/data/projects/{project_id}/budgets/time-spents")
def budget_time_spents(project_id: str, ctx: Ctx) -> Response:
    """Minutes spent per department, person and month on the project."""
    return ok(budgets.time_spents(ctx, project_id))


@router.get("/data/projects/{project_id}/budgets")
def list_budgets(project_id: str, ctx: Ctx) -> Response:
    """Budgets of a project, by revision."""
    return ok(budgets.budgets(ctx, project_id))


@router.post("/data/projects/{project_id}/budgets")
def create_budget(payload: JsonBody, project_id: str, request: Request, ctx: Ctx) -> Response:
    """Create a budget (the next revision); Zou answers 200."""
    return ok(budgets.create_budget(ctx, project_id, payload))


@router.get("/data/projects/{project_id}/budgets/{budget_id}")
def get_budget(project_id: str, budget_id: str, ctx: Ctx) -> Response:
    """One budget."""
    return ok(budgets.budget(ctx, project_id, budget_id))


@router.put("/data/projects/{project_id}/budgets/{budget_id}")
def update_budget(payload: JsonBody, project_id: str, budget_id: str, request: Request, ctx: Ctx) -> Response:
    """Rename a budget or change its currency."""
    return ok(budgets.update_budget(ctx, project_id, budget_id, payload))


@router.delete("/data/projects/{project_id}/budgets/{budget_id}")
def delete_budget(project_id: str, budget_id: str, ctx: Ctx) -> Response:
    """Delete a budget and its entries."""
    budgets.delete_budget(ctx, project_id, budget_id)
    return no_content()


@router.get("/data/projects/{project_id}/budgets/{budget_id}/entries")
def list_budget_entries(project_id: str, budget_id: str, ctx: Ctx) -> Response:
    """Entries of a budget."""
    return ok(budgets.entries(ctx, project_id, budget_id))


@router.post("/data/projects/{project_id}/budgets/{budget_id}/entries")
def create_budget_entry(payload: JsonBody, project_id: str, budget_id: str, request: Request, ctx: Ctx) -> Response:
    """Add a salary line to a budget; Zou answers 200."""
    return ok(budgets.create_entry(ctx, project_id, budget_id, payload))


@router.get("/data/projects/{project_id}/budgets/{budget_id}/entries/{entry_id}")
def get_budget_entry(project_id: str, budget_id: str, entry_id: str, ctx: Ctx) -> Response:
    """One budget entry."""
    return ok(budgets.entry(ctx, project_id, budget_id, entry_id))


@router.put("/data/projects/{project_id}/budgets/{budget_id}/entries/{entry_id}")
def update_budget_entry(payload: JsonBody, project_id: str, budget_id: str, entry_id: str, request: Request,
                              ctx: Ctx) -> Response:
    """Change a budget entry."""
    return ok(budgets.update_entry(ctx, project_id, budget_id, entry_id, payload))


@router.delete("/data/projects/{project_id}/budgets/{budget_id}/entries/{entry_id}")
def delete_budget_entry(project_id: str, budget_id: str, entry_id: str, ctx: Ctx) -> Response:
    """Delete a budget entry."""
    budgets.delete_entry(ctx, project_id, budget_id, entry_id)
    return no_content()


# ----------------------------------------------------------------------------- quotas

@router.get("/data/projects/{project_id}/quotas/persons/{person_id}")
def person_quotas(project_id: str, person_id: str, request: Request, ctx: Ctx) -> Response:
    """A person's quotas in a project, per task type."""
    return ok(quotas.quotas(ctx, project_id, dict(request.query_params), person_id=person_id))


@router.get("/data/projects/{project_id}/quotas/{task_type_id}")
def task_type_quotas(project_id: str, task_type_id: str, request: Request, ctx: Ctx) -> Response:
    """Quotas of a task type in a project, per person."""
    return ok(quotas.quotas(ctx, project_id, dict(request.query_params), task_type_id=task_type_id))


# ----------------------------------------------------------------------------- asset instances, scene shots

@router.get("/data/scenes/{scene_id}/shots")
def scene_shots(scene_id: str, ctx: Ctx) -> Response:
    """Shots generated from a scene."""
    return ok(instances.scene_shots(ctx, scene_id))


@router.post("/data/scenes/{scene_id}/shots")
def add_shot_to_scene(payload: JsonBody, scene_id: str, request: Request, ctx: Ctx) -> Response:
    """Mark a shot as generated from a scene."""
    return created(instances.add_shot_to_scene(ctx, scene_id, payload))


@router.delete("/data/scenes/{scene_id}/shots/{shot_id}")
def remove_shot_from_scene(scene_id: str, shot_id: str, ctx: Ctx) -> Response:
    """Remove the link between a shot and a scene."""
    instances.remove_shot_from_scene(ctx, scene_id, shot_id)
    return no_content()


@router.get("/data/scenes/{scene_id}/asset-instances")
def scene_asset_instances(scene_id: str, ctx: Ctx) -> Response:
    """Asset instances of a scene, grouped by asset."""
    return ok(instances.scene_instances(ctx, scene_id))


@router.post("/data/scenes/{scene_id}/asset-instances")
def new_scene_asset_instance(payload: JsonBody, scene_id: str, request: Request, ctx: Ctx) -> Response:
    """Instantiate an asset in a scene (numbered per asset)."""
    return created(instances.new_scene_instance(ctx, scene_id, payload))


@router.get("/data/scenes/{scene_id}/camera-instances")
def scene_camera_instances(scene_id: str, ctx: Ctx) -> Response:
    """Camera instances of a scene, grouped by asset."""
    return ok(instances.scene_instances(ctx, scene_id, cameras=True))


@router.get("/data/shots/{shot_id}/asset-instances")
def shot_asset_instances(shot_id: str, ctx: Ctx) -> Response:
    """Asset instances linked to a shot, grouped by asset."""
    return ok(instances.shot_instances(ctx, shot_id))


@router.post("/data/shots/{shot_id}/asset-instances")
def add_asset_instance_to_shot(payload: JsonBody, shot_id: str, request: Request, ctx: Ctx) -> Response:
    """Link an asset instance to a shot."""
    return created(instances.add_instance_to_shot(ctx, shot_id, payload))


@router.delete("/data/shots/{shot_id}/asset-instances/{instance_id}")
def remove_asset_instance_from_shot(shot_id: str, instance_id: str, ctx: Ctx) -> Response:
    """Unlink an asset instance from a shot."""
    instances.remove_instance_from_shot(ctx, shot_id, instance_id)
    return no_content()


@router.get("/data/assets/{asset_id}/shot-asset-instances")
def asset_shot_instances(asset_id: str, ctx: Ctx) -> Response:
    """Instances of an asset linked to shots, grouped by shot."""
    return ok(instances.asset_shot_instances(ctx, asset_id))


@router.get("/data/assets/{asset_id}/scene-asset-instances")
def asset_scene_instances(asset_id: str, ctx: Ctx) -> Response:
    """Instances of an asset in scenes, grouped by scene."""
    return ok(instances.asset_scene_instances(ctx, asset_id))


@router.get("/data/assets/{asset_id}/asset-asset-instances")
def asset_asset_instances(asset_id: str, ctx: Ctx) -> Response:
    """Assets instantiated inside an asset, grouped by instantiated asset."""
    return ok(instances.asset_asset_instances(ctx, asset_id))


@router.post("/data/assets/{asset_id}/asset-asset-instances")
def new_asset_asset_instance(payload: JsonBody, asset_id: str, request: Request, ctx: Ctx) -> Response:
    """Instantiate an asset inside another asset."""
    return created(instances.new_asset_asset_instance(ctx, asset_id, payload))
