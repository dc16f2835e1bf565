"""Routes of the shots behind a person's quota, per day, ISO week and month."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.jsonutil import ok
from foxtrack.planning import quota_shots

router = APIRouter(tags=["quotas"])


def _params(request: Request) -> dict[str, str]:
    return dict(request.query_params)


@router.get("/data/persons/{person_id}/quota-shots/month/{year}/{month}")
def month_quota_shots(person_id: str, year: str, month: str, request: Request, ctx: Ctx) -> Response:
    """The shots of a person's quota in a month (``project_id``, ``task_type_id``, ``count_mode``)."""
    return ok(quota_shots.quota_shots(ctx, person_id, quota_shots.month(year, month), _params(request)))


@router.get("/data/persons/{person_id}/quota-shots/week/{year}/{week}")
def week_quota_shots(person_id: str, year: str, week: str, request: Request, ctx: Ctx) -> Response:
    """The shots of a person's quota in an ISO week."""
    return ok(quota_shots.quota_shots(ctx, person_id, quota_shots.week(year, week), _params(request)))


@router.get("/data/persons/{person_id}/quota-shots/day/{year}/{month}/{day}")
def day_quota_shots(person_id: str, year: str, month: str, day: str, request: Request, ctx: Ctx) -> Response:
    """The shots of a person's quota on one day."""
    return ok(quota_shots.quota_shots(ctx, person_id, quota_shots.day(year, month, day), _params(request)))
