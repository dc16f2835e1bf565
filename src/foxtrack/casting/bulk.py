"""``PUT data/projects/<id>/entities/casting``: the castings of several entities of a production at once."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter
from starlette.responses import Response

from foxtrack.casting import service
from foxtrack.core import permissions as perm
from foxtrack.core.context import Ctx, RequestContext
from foxtrack.core.errors import BadRequest
from foxtrack.core.http import JsonAny
from foxtrack.core.jsonutil import is_uuid, ok
from foxtrack.db import schema as s
from foxtrack.entities import service as entities

router = APIRouter(tags=["casting"])
Row = dict[str, Any]
NOT_A_MAP = "Request body must be a JSON object mapping entity ids to casting arrays"


def update_castings(ctx: RequestContext, project_id: str, body: Any) -> dict[str, Any]:
    """Replace the casting of each entity named (managers of the production); answers them by entity id."""
    if not isinstance(body, dict) or not all(isinstance(casting, list) for casting in body.values()):
        raise BadRequest(NOT_A_MAP, body={"error": True, "message": NOT_A_MAP})
    with ctx.read() as conn:
        entities.load_project(conn, project_id)
        perm.check_manager_project_access(ctx, conn, project_id)
        ids = list(body)
        if not all(is_uuid(i) for i in ids):
            raise BadRequest("Malformed ID.", data=None)
        e = s.entity.c
        inside = set(conn.execute(sa.select(e.id).where(e.id.in_(ids), e.project_id == project_id)).scalars()) \
            if ids else set()
        if len(inside) != len(ids):
            raise BadRequest("Entities do not belong to the project.")
    return {entity_id: service.update_casting(ctx, project_id, entity_id, casting)
            for entity_id, casting in body.items()}


@router.put("/data/projects/{project_id}/entities/casting")
def put_castings(project_id: str, payload: JsonAny, ctx: Ctx) -> Response:
    """Replace the castings of several entities (``{entity_id: [{asset_id, nb_occurences, label}]}``)."""
    return ok(update_castings(ctx, project_id, payload))
