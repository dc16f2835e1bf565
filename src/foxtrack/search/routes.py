"""``POST data/search``: the built-in search of persons, assets and shots."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import ok
from foxtrack.search import service

router = APIRouter(tags=["search"])


@router.post("/data/search")
def search(payload: JsonBody, request: Request, ctx: Ctx) -> Response:
    """Persons, assets and shots matching ``query`` (``project_id``, ``limit``, ``offset``, ``index_names``)."""
    return ok(service.search(ctx, payload))
