"""``/export/csv/tasks.csv`` and ``/export/csv/time-spents.csv``: every open production at once."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import StreamingResponse

from foxtrack.core import permissions as perm
from foxtrack.core.context import Ctx
from foxtrack.core.jsonutil import today
from foxtrack.csvio import studio
from foxtrack.csvio.service import csv_lines, slugify

router = APIRouter(tags=["export"])


def _stream(table: studio.Table, name: str) -> StreamingResponse:
    header, rows = table
    return StreamingResponse(csv_lines(header, rows), media_type="text/csv",
                             headers={"Content-Disposition": f"attachment; filename=kitsu_{slugify(name)}.csv"})


@router.get("/export/csv/tasks.csv")
def export_tasks(ctx: Ctx) -> StreamingResponse:
    """The tasks of every open production (managers)."""
    perm.require_manager(ctx)
    with ctx.read() as conn:
        return _stream(studio.tasks(conn), "tasks_export")


@router.get("/export/csv/time-spents.csv")
def export_time_spents(ctx: Ctx) -> StreamingResponse:
    """The time spent on every open production's tasks (managers)."""
    perm.require_manager(ctx)
    with ctx.read() as conn:
        return _stream(studio.time_spents(conn), f"{today()}_open_projects_time_spents_export")
