"""``/import/shotgun/<kind>``, ``/import/shotgun/remove/<kind>`` and ``/import/shotgun/errors``."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonAny
from foxtrack.core.jsonutil import created, ok
from foxtrack.shotgun import errors, importers, removal

router = APIRouter(tags=["import"])


def _import_route(path: str, kind: str) -> None:
    def handler(payload: JsonAny, ctx: Ctx) -> Response:
        return ok(importers.import_entries(ctx, kind, payload))

    handler.__doc__ = f"Create or update {kind} from ShotGrid entries (a JSON array), by their ShotGrid id."
    router.add_api_route(f"/import/shotgun/{path}", handler, methods=["POST"], name=f"import_shotgun_{path}")


def _remove_route(path: str, kind: str) -> None:
    def handler(payload: JsonAny, ctx: Ctx) -> Response:
        return ok(removal.remove(ctx, kind, payload))

    handler.__doc__ = f"Remove the {kind} ShotGrid deleted (``{{\"id\": <ShotGrid id>}}``)."
    router.add_api_route(f"/import/shotgun/remove/{path}", handler, methods=["POST"],
                         name=f"remove_shotgun_{path}")


for _path, _kind in importers.ROUTES.items():
    _import_route(_path, _kind)
for _path, _kind in removal.ROUTES.items():
    _remove_route(_path, _kind)


@router.get("/import/shotgun/errors")
def import_errors(ctx: Ctx) -> Response:
    """The ShotGrid entries recorded as failed imports."""
    return ok(errors.list_errors(ctx))


@router.post("/import/shotgun/errors")
def add_import_error(payload: JsonAny, ctx: Ctx) -> Response:
    """Record a failed ShotGrid import (the body is kept as the error's ``event_data``)."""
    return created(errors.add_error(ctx, payload))


@router.delete("/import/shotgun/errors/{error_id}")
def remove_import_error(error_id: str, ctx: Ctx) -> Response:
    """Forget a recorded import error."""
    errors.remove_error(ctx, error_id)
    return Response(status_code=204)
