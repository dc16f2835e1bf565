"""Routes sharing assets across productions and setting shots' frame counts from previews."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import ok
from foxtrack.entities import sharing

router = APIRouter(tags=["assets"])


@router.post("/actions/assets/share")
def share_listed_assets(payload: JsonBody, ctx: Ctx) -> Response:
    """Share (or with ``is_shared: false`` unshare) the assets listed in ``asset_ids``."""
    return ok(sharing.share_assets(ctx, payload, by_ids=True))


@router.post("/actions/projects/{project_id}/assets/share")
def share_project_assets(project_id: str, payload: JsonBody, ctx: Ctx) -> Response:
    """Share (or unshare) the assets of a production, or those of it listed in ``asset_ids``."""
    return ok(sharing.share_assets(ctx, payload, project_id=project_id))


@router.post("/actions/projects/{project_id}/asset-types/{asset_type_id}/assets/share")
def share_asset_type_assets(project_id: str, asset_type_id: str, payload: JsonBody, ctx: Ctx) -> Response:
    """Share (or unshare) the assets of one asset type of a production."""
    return ok(sharing.share_assets(ctx, payload, project_id=project_id, asset_type_id=asset_type_id))


@router.post("/actions/projects/{project_id}/task-types/{task_type_id}/set-shot-nb-frames")
def set_shot_nb_frames(project_id: str, task_type_id: str, request: Request, ctx: Ctx) -> Response:
    """Set each shot's frame count from its newest preview of the task type (``episode_id`` to scope)."""
    return ok(sharing.set_shot_frames(ctx, project_id, task_type_id, request.query_params.get("episode_id")))
