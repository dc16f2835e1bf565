"""Timesheet routes: time spent tables, days off per year, month and production, a task type's time
spent, and the team schedule's task dates."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.jsonutil import ok
from foxtrack.timesheets import service

router = APIRouter(tags=["timesheets"])


def _params(request: Request) -> dict[str, str]:
    return dict(request.query_params)


@router.get("/data/persons/time-spents/year-table")
def year_table(request: Request, ctx: Ctx) -> Response:
    """Time spent per person and year (``project_id``, ``department_id``, ``studio_id`` filters)."""
    return ok(service.table(ctx, "year", None, _params(request)))


@router.get("/data/persons/time-spents/month-table/{year}")
def month_table(year: str, request: Request, ctx: Ctx) -> Response:
    """Time spent per person and month of a year."""
    return ok(service.table(ctx, "month", service.year_bounds(year), _params(request)))


@router.get("/data/persons/time-spents/week-table/{year}")
def week_table(year: str, request: Request, ctx: Ctx) -> Response:
    """Time spent per person and ISO week of a year."""
    return ok(service.table(ctx, "week", service.year_bounds(year), _params(request)))


@router.get("/data/persons/time-spents/day-table/{year}/{month}")
def day_table(year: str, month: str, request: Request, ctx: Ctx) -> Response:
    """Time spent per person and day of a month."""
    return ok(service.table(ctx, "day", service.month_bounds(year, month), _params(request)))


@router.get("/data/persons/day-offs/{year}")
def year_day_offs(year: str, ctx: Ctx) -> Response:
    """Days off in a year: everyone's for admins, the caller's own otherwise."""
    return ok(service.day_offs_between(ctx, *service.year_bounds(year)))


@router.get("/data/persons/day-offs/{year}/{month}")
def month_day_offs(year: str, month: str, ctx: Ctx) -> Response:
    """Days off in a month: everyone's for admins, the caller's own otherwise."""
    return ok(service.day_offs_between(ctx, *service.month_bounds(year, month)))


@router.get("/data/projects/{project_id}/day-offs")
def project_day_offs(project_id: str, request: Request, ctx: Ctx) -> Response:
    """Days off of a production's team between ``start_date`` and ``end_date``, by person."""
    params = request.query_params
    return ok(service.project_day_offs(ctx, project_id, params.get("start_date"), params.get("end_date")))


@router.get("/data/projects/{project_id}/task-types/{task_type_id}/time-spents")
def task_type_time_spents(project_id: str, task_type_id: str, request: Request, ctx: Ctx) -> Response:
    """Time spent on a production's tasks of one type, by person (managers)."""
    params = request.query_params
    return ok(service.task_type_time_spents(ctx, project_id, task_type_id, params.get("start_date"),
                                            params.get("end_date")))


@router.get("/data/persons/task-dates")
def tasks_dates(request: Request, ctx: Ctx) -> Response:
    """First start and last due date of each active person's tasks (the team schedule)."""
    return ok(service.tasks_dates(ctx, request.query_params.get("project_id")))
