"""``/data/<model>`` and ``/data/<model>/<id>``: the generic CRUD of every registered model."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.auth.routes import json_body
from foxtrack.core.context import Ctx
from foxtrack.core.errors import NotFound
from foxtrack.core.filters import group_params, parse_bool
from foxtrack.core.jsonutil import created, no_content, ok
from foxtrack.core.models import MODELS, Model
from foxtrack.crud import service

router = APIRouter(tags=["crud"])


def model_or_404(name: str) -> Model:
    model = MODELS.get(name)
    if model is None:
        raise NotFound()
    return model


@router.get("/data/{model_name}")
async def list_models(model_name: str, request: Request, ctx: Ctx) -> Response:
    """List rows, filtered by the query string (Zou's semantics), optionally paginated."""
    model = model_or_404(model_name)
    return ok(service.list_rows(ctx, model, group_params(request.query_params.multi_items())))


@router.post("/data/{model_name}")
async def create_model(model_name: str, request: Request, ctx: Ctx) -> Response:
    """Create a row from a JSON body."""
    model = model_or_404(model_name)
    return created(service.create_row(ctx, model, await json_body(request)))


@router.get("/data/{model_name}/{item_id}")
async def get_model(model_name: str, item_id: str, request: Request, ctx: Ctx) -> Response:
    """One row with its relations."""
    model = model_or_404(model_name)
    relations = parse_bool(request.query_params.get("relations", "true"))
    return ok(service.get_row(ctx, model, item_id, relations))


@router.put("/data/{model_name}/{item_id}")
async def update_model(model_name: str, item_id: str, request: Request, ctx: Ctx) -> Response:
    """Update a row; read-only and unknown keys of the body are ignored."""
    model = model_or_404(model_name)
    return ok(service.update_row_op(ctx, model, item_id, await json_body(request)))


@router.delete("/data/{model_name}/{item_id}")
async def delete_model(model_name: str, item_id: str, request: Request, ctx: Ctx) -> Response:
    """Delete a row (``force=true`` for a hard delete where the model distinguishes)."""
    model = model_or_404(model_name)
    force = parse_bool(request.query_params.get("force", "false"))
    service.delete_row(ctx, model, item_id, force)
    return no_content()
