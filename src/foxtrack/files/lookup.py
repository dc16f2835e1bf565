"""``GET data/files/<id>``: a working file or, failing that, an output file, for members of its production."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter
from starlette.responses import Response

from foxtrack.core import permissions as perm
from foxtrack.core.context import Ctx, RequestContext
from foxtrack.core.errors import NotFound
from foxtrack.core.jsonutil import is_uuid, ok
from foxtrack.core.models import MODELS
from foxtrack.db import schema as s

router = APIRouter(tags=["files"])
Row = dict[str, Any]


def find_file(ctx: RequestContext, file_id: str) -> Row:
    if not is_uuid(file_id):
        raise NotFound()
    with ctx.read() as conn:
        working = MODELS["working-files"].get(conn, file_id)
        if working is not None:
            project_id = conn.execute(sa.select(s.task.c.project_id).where(s.task.c.id == working["task_id"])).scalar()
            row = working
        else:
            output = MODELS["output-files"].get(conn, file_id)
            if output is None:
                raise NotFound()
            row = output
            project_id = conn.execute(sa.select(s.entity.c.project_id)
                                      .where(s.entity.c.id == row["entity_id"])).scalar()
        perm.check_project_access(ctx, conn, project_id)
        return row


@router.get("/data/files/{file_id}")
def get_file(file_id: str, ctx: Ctx) -> Response:
    """A working file or an output file by id."""
    return ok(find_file(ctx, file_id))
