"""``/data/<model>`` and ``/data/<model>/<id>``: the generic CRUD of every registered model."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from fastapi import APIRouter, Request
from starlette.convertors import Convertor, register_url_convertor
from starlette.responses import Response
from starlette.routing import BaseRoute, Match

from foxtrack.core.context import Ctx
from foxtrack.core.errors import METHOD_NOT_ALLOWED_TEXT, ApiError, NotFound
from foxtrack.core.filters import group_params, parse_bool
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import created, no_content, ok
from foxtrack.core.models import MODELS, Model
from foxtrack.crud import service

router = APIRouter(tags=["crud"])


class ModelNameConvertor(Convertor[str]):
    """Matches registered model paths only, so unknown ``/data/x`` paths are unrouted (404, and
    OPTIONS 404) instead of half-matching the generic routes (405)."""

    regex = "|".join(re.escape(name) for name in sorted(MODELS, key=len, reverse=True))

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("crud_model", ModelNameConvertor())


def model_or_404(name: str, request: Request | None = None) -> Model:
    model = MODELS.get(name)
    if model is None:
        if request is not None and _served_with_other_method(request):
            raise ApiError(METHOD_NOT_ALLOWED_TEXT, status=405)
        raise NotFound()
    return model


def _served_with_other_method(request: Request) -> bool:
    """True when a typed route has this path with another method (Zou answers 405 there)."""
    scope = {**request.scope, "method": "__none__"}
    for route in _leaf_routes(request.app.router.routes):
        if getattr(route, "endpoint", None) in _GENERIC:
            continue
        match, _ = route.matches(scope)
        if match is Match.PARTIAL:
            return True
    return False


def _leaf_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        nested = getattr(route, "original_router", None)  # FastAPI's included-router wrapper
        if nested is not None:
            yield from _leaf_routes(nested.routes)
        else:
            yield route


@router.get("/data/{model_name:crud_model}")
def list_models(model_name: str, request: Request, ctx: Ctx) -> Response:
    """List rows, filtered by the query string (Zou's semantics), optionally paginated."""
    model = model_or_404(model_name, request)
    return ok(service.list_rows(ctx, model, group_params(request.query_params.multi_items())))


@router.post("/data/{model_name:crud_model}")
def create_model(payload: JsonBody, model_name: str, request: Request, ctx: Ctx) -> Response:
    """Create a row from a JSON body."""
    model = model_or_404(model_name, request)
    return created(service.create_row(ctx, model, payload))


@router.get("/data/{model_name:crud_model}/{item_id}")
def get_model(model_name: str, item_id: str, request: Request, ctx: Ctx) -> Response:
    """One row with its relations."""
    model = model_or_404(model_name, request)
    relations = parse_bool(request.query_params.get("relations", "true"))
    return ok(service.get_row(ctx, model, item_id, relations))


@router.put("/data/{model_name:crud_model}/{item_id}")
def update_model(payload: JsonBody, model_name: str, item_id: str, request: Request, ctx: Ctx) -> Response:
    """Update a row; read-only and unknown keys of the body are ignored."""
    model = model_or_404(model_name, request)
    return ok(service.update_row_op(ctx, model, item_id, payload))


@router.delete("/data/{model_name:crud_model}/{item_id}")
def delete_model(model_name: str, item_id: str, request: Request, ctx: Ctx) -> Response:
    """Delete a row (``force=true`` for a hard delete where the model distinguishes)."""
    model = model_or_404(model_name, request)
    force = parse_bool(request.query_params.get("force", "false"))
    service.delete_row(ctx, model, item_id, force)
    return no_content()


_GENERIC = {list_models, create_model, get_model, update_model, delete_model}
