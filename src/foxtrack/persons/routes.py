"""``/data/persons`` creation and ``/actions/persons/...``: departments and passwords."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from foxtrack.core import permissions as perm
from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonBody, json_body
from foxtrack.core.jsonutil import created, no_content, ok
from foxtrack.core.models import PERSON
from foxtrack.crud import service as crud
from foxtrack.db.seed import hash_password
from foxtrack.persons import account, service

router = APIRouter(tags=["persons"])


@router.post("/data/persons")
async def create_person(request: Request, ctx: Ctx) -> Response:
    """Create a person (admins); a bot gets its API token in ``access_token``."""
    body = await json_body(request)
    body.pop(service.PASSWORD_HASH_KEY, None)
    password = body.get("password")
    hashed = None
    if ctx.is_admin and isinstance(password, str) and password and not body.get("is_bot"):
        hashed = await asyncio.to_thread(hash_password, password, ctx.state.settings.bcrypt_rounds)
        body[service.PASSWORD_HASH_KEY] = hashed
    row = await run_in_threadpool(crud.create_row, ctx, PERSON, body)
    if hashed is not None and isinstance(password, str):
        service.remember_password(ctx, row["id"], password, hashed)
    return created(row)


@router.post("/actions/persons/{person_id}/departments/add")
def add_department(payload: JsonBody, person_id: str, request: Request, ctx: Ctx) -> Response:
    """Add the person to a department."""
    return created(service.add_department(ctx, person_id, payload))


@router.delete("/actions/persons/{person_id}/departments/{department_id}")
def remove_department(person_id: str, department_id: str, ctx: Ctx) -> Response:
    """Remove the person from a department."""
    service.remove_department(ctx, person_id, department_id)
    return no_content()


@router.post("/actions/persons/{person_id}/change-password")
async def change_password(person_id: str, request: Request, ctx: Ctx) -> Response:
    """An admin sets the password of a person."""
    perm.require_admin(ctx)
    password = service.check_new_password(await json_body(request))
    if await run_in_threadpool(service.password_unchanged, ctx, person_id, password):
        return ok({"success": True})
    hashed = await asyncio.to_thread(hash_password, password, ctx.state.settings.bcrypt_rounds)
    await run_in_threadpool(service.set_password, ctx, person_id, hashed)
    service.remember_password(ctx, person_id, password, hashed)
    return ok({"success": True})


@router.get("/data/persons/{person_id}/time-spents/{date}")
def time_spents_of_day(person_id: str, date: str, ctx: Ctx) -> Response:
    """Time spents of a person on one day."""
    return ok(service.time_spent_rows(ctx, person_id, date, date))


@router.get("/data/persons/{person_id}/time-spents")
def time_spents_range(person_id: str, request: Request, ctx: Ctx) -> Response:
    """Time spents of a person between start_date and end_date (both required, else [])."""
    start, end = request.query_params.get("start_date"), request.query_params.get("end_date")
    if not (start and end):
        service.check_person_access(ctx, person_id, service.TIME_SHEET_READERS)
        return ok([])
    return ok(service.time_spent_rows(ctx, person_id, start, end, with_task=True))


@router.get("/data/persons/{person_id}/time-spents/year/{year}")
def time_spents_year(person_id: str, year: int, ctx: Ctx) -> Response:
    """Durations per task of a person over a year."""
    return ok(service.time_spent_summary(ctx, person_id, *service.period("year", year)))


@router.get("/data/persons/{person_id}/time-spents/month/{year}/{month}")
def time_spents_month(person_id: str, year: int, month: int, ctx: Ctx) -> Response:
    """Durations per task of a person over a month."""
    return ok(service.time_spent_summary(ctx, person_id, *service.period("month", year, month)))


@router.get("/data/persons/{person_id}/time-spents/week/{year}/{week}")
def time_spents_week(person_id: str, year: int, week: int, ctx: Ctx) -> Response:
    """Durations per task of a person over an ISO week."""
    return ok(service.time_spent_summary(ctx, person_id, *service.period("week", year, week)))


@router.get("/data/persons/{person_id}/time-spents/day/{year}/{month}/{day}")
def time_spents_day(person_id: str, year: int, month: int, day: int, ctx: Ctx) -> Response:
    """Durations per task of a person on one day."""
    return ok(service.time_spent_summary(ctx, person_id, *service.period("day", year, month, day)))


@router.get("/data/persons/{person_id}/time-spents/month/all/{year}/{month}")
def time_spents_month_all(person_id: str, year: int, month: int, ctx: Ctx) -> Response:
    """Every time spent row of a person in a month."""
    return ok(service.time_spent_rows(ctx, person_id, *service.period("month", year, month)))


@router.get("/data/persons/{person_id}/day-offs")
def day_offs(person_id: str, ctx: Ctx) -> Response:
    """Every day off of a person."""
    return ok(service.day_offs(ctx, person_id))


@router.get("/data/persons/{person_id}/day-offs/year/{year}")
def day_offs_year(person_id: str, year: int, ctx: Ctx) -> Response:
    """Days off of a person in a year."""
    return ok(service.day_offs(ctx, person_id, *service.period("year", year)))


@router.get("/data/persons/{person_id}/day-offs/month/{year}/{month}")
def day_offs_month(person_id: str, year: int, month: int, ctx: Ctx) -> Response:
    """Days off of a person in a month."""
    return ok(service.day_offs(ctx, person_id, *service.period("month", year, month)))


@router.get("/data/persons/{person_id}/day-offs/week/{year}/{week}")
def day_offs_week(person_id: str, year: int, week: int, ctx: Ctx) -> Response:
    """Days off of a person in an ISO week."""
    return ok(service.day_offs(ctx, person_id, *service.period("week", year, week)))


@router.get("/data/persons/{person_id}/day-offs/{date}")
def day_off_on(person_id: str, date: str, ctx: Ctx) -> Response:
    """The day off of a person covering a date, or {}."""
    return ok(service.day_off_on(ctx, person_id, date))


@router.get("/data/persons/{person_id}/tasks")
def person_tasks(person_id: str, ctx: Ctx) -> Response:
    """Unfinished tasks assigned to a person, in open projects."""
    return ok(service.person_tasks(ctx, person_id, done=False))


@router.get("/data/persons/{person_id}/done-tasks")
def person_done_tasks(person_id: str, ctx: Ctx) -> Response:
    """Done tasks assigned to a person, in open projects."""
    return ok(service.person_tasks(ctx, person_id, done=True))


@router.get("/data/persons/presence-logs/{month}")
def presence_logs(month: str, ctx: Ctx) -> Response:
    """Presence sheet of a month (``YYYY-MM``) as CSV: an X on the days each person logged in."""
    return Response(account.presence_csv(ctx, month), media_type="text/csv")


@router.delete("/actions/persons/{person_id}/clear-avatar")
def clear_avatar(person_id: str, ctx: Ctx) -> Response:
    """Remove a person's avatar."""
    account.clear_avatar(ctx, person_id)
    return no_content()


@router.get("/actions/persons/{person_id}/invite")
def invite(person_id: str, ctx: Ctx) -> Response:
    """Invite a person to set their password (admins)."""
    return ok(account.invite(ctx, person_id))


@router.delete("/actions/persons/{person_id}/disable-two-factor-authentication")
def disable_two_factor(person_id: str, ctx: Ctx) -> Response:
    """Turn off every second factor of a person (admins)."""
    return ok(account.disable_two_factor(ctx, person_id))
