"""The shots behind a person's quota for one day, ISO week or month: each shot of the production
and task type with its full name and its ``weight`` in the quota, computed as Zou does.

* Weighted modes (``weighted``, ``weighteddone``): a shot the person logged time on during the
  period weighs that time over the task's duration; a shot without any time spent, assigned to the
  person and worked on (real start to feedback or done date) across the period, weighs the share
  of its business days that fall in the period.
* Raw modes (``feedback``, ``done``): the person's shots sent for feedback (or done) during the
  period, each weighing 1.

The period is the caller's local time (their ``timezone``); task dates are UTC."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import Forbidden, MalformedId, NotFound, wrong_parameter
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import ENTITY
from foxtrack.db import schema as s
from foxtrack.entities import types
from foxtrack.entities.names import full_entity_names

Row = dict[str, Any]
Period = tuple[datetime, datetime]
COUNT_MODES = ("weighted", "weighteddone", "feedback", "done")
COUNT_MODE_ERROR = "count_mode must be equal to weighted, weighteddone, feedback, or done"
E, T, TS, LINK = s.entity, s.task, s.time_spent, s.task_person_link


def _whole(*parts: str) -> list[int]:
    try:
        return [int(part) for part in parts]
    except ValueError:
        raise wrong_parameter("Invalid month or year.") from None


def _checked(period: Period) -> Period:
    """A period whose bounds stay inside the calendar in every timezone (years 2 to 9998)."""
    if not 1 < period[0].year < 9999 or not 1 < period[1].year < 9999:
        raise wrong_parameter("Invalid month or year.")
    return period


def month(year: str, month_: str) -> Period:
    y, m = _whole(year, month_)
    try:
        return _checked((datetime(y, m, 1), datetime(y + (m == 12), m % 12 + 1, 1)))
    except (ValueError, OverflowError):
        raise wrong_parameter("Invalid month or year.") from None


def week(year: str, week_: str) -> Period:
    y, w = _whole(year, week_)
    try:
        start = datetime.combine(date.fromisocalendar(y, w, 1), datetime.min.time())
        return _checked((start, start + timedelta(days=7)))
    except (ValueError, OverflowError):
        raise wrong_parameter("Invalid month or year.") from None


def day(year: str, month_: str, day_: str) -> Period:
    y, m, d = _whole(year, month_, day_)
    try:
        start = datetime(y, m, d)
        return _checked((start, start + timedelta(days=1)))
    except (ValueError, OverflowError):
        raise wrong_parameter("Invalid month or year.") from None


def _to_utc(moment: datetime, timezone: str | None) -> datetime:
    try:
        zone = ZoneInfo(timezone or "Europe/Paris")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _stamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value[:19])
    except ValueError:
        return None


def _business_days(start: datetime, end: datetime) -> int:
    """Zou's count: the weekdays among the days after ``start`` up to ``end``."""
    return sum(1 for x in range((end - start).days) if (start + timedelta(x + 1)).weekday() < 5)


def _check_access(ctx: RequestContext, conn: Connection, person_id: str, project_id: str | None) -> None:
    """Managers of the production read anyone's; others only their own (admins everything)."""
    if ctx.is_admin:
        return
    role = ctx.project_role(conn, project_id) if project_id else None
    if (role or ctx.role) in (perm.ADMIN, perm.MANAGER):
        perm.check_manager_project_access(ctx, conn, project_id)
    elif ctx.person_id != person_id:
        raise Forbidden()


def quota_shots(ctx: RequestContext, person_id: str, period: Period, params: dict[str, str]) -> list[Row]:
    """The shots of the person's quota over ``period`` (local time), by full name."""
    if not is_uuid(person_id):
        raise MalformedId()
    project_id, task_type_id = params.get("project_id") or None, params.get("task_type_id") or None
    for value in (project_id, task_type_id):
        if value is not None and not is_uuid(value):
            raise MalformedId()
    mode = params.get("count_mode") or "weighted"
    if mode not in COUNT_MODES:
        raise wrong_parameter(COUNT_MODE_ERROR)
    feedback, weighted = "done" not in mode, "weighted" in mode
    shot_type = types.type_id(ctx.state, types.SHOT)
    with ctx.read() as conn:
        person = conn.execute(sa.select(s.person.c.is_bot).where(s.person.c.id == person_id)).first()
        if person is None:
            raise NotFound()
        if person[0]:
            raise Forbidden()
        _check_access(ctx, conn, person_id, project_id)
        if project_id is None or task_type_id is None:
            return []
        timezone = conn.execute(sa.select(s.person.c.timezone).where(s.person.c.id == ctx.person_id)).scalar()
        clauses = [E.c.entity_type_id == shot_type, T.c.project_id == project_id, T.c.task_type_id == task_type_id]
        date_column = T.c.end_date if feedback else T.c.done_date
        start, end = period
        utc = (_to_utc(start, timezone), _to_utc(end, timezone))
        weights = (_weighted(conn, person_id, clauses, date_column, period, utc) if weighted
                   else _raw(conn, person_id, clauses, date_column, utc))
        shots = ENTITY.to_dicts(conn.execute(ENTITY.select().where(E.c.id.in_(list(weights))))) if weights else []
        names = full_entity_names(conn, list(weights))
    for shot in shots:
        shot["type"] = "Entity"
        shot["full_name"] = names[shot["id"]].name if shot["id"] in names else shot["name"]
        shot["weight"] = weights[shot["id"]]
    return sorted(shots, key=lambda shot: str(shot["full_name"]))


def _weighted(conn: Connection, person_id: str, clauses: list[Any], date_column: sa.Column[Any], period: Period,
              utc: Period) -> dict[str, float]:
    start, end = period
    weights: dict[str, float] = {}
    logged = conn.execute(
        sa.select(E.c.id, T.c.duration, TS.c.duration).join(T, T.c.entity_id == E.c.id)
        .join(TS, TS.c.task_id == T.c.id)
        .where(*clauses, TS.c.person_id == person_id, TS.c.date >= start.date().isoformat(),
               TS.c.date < end.date().isoformat(), date_column.is_not(None))
        .order_by(TS.c.date, TS.c.id))
    for shot_id, task_duration, duration in logged:
        weight = round(duration / task_duration, 2) if task_duration else 0
        weights[shot_id] = round(weights.get(shot_id, 0) + weight, 2)
    no_time = ~sa.exists().where(TS.c.task_id == T.c.id)
    assigned = sa.exists().where(LINK.c.task_id == T.c.id, LINK.c.person_id == person_id)
    unlogged = conn.execute(
        sa.select(E.c.id, T.c.real_start_date, date_column).join(T, T.c.entity_id == E.c.id)
        .where(*clauses, T.c.real_start_date.is_not(None), date_column.is_not(None), no_time, assigned)
        .order_by(T.c.real_start_date, T.c.id))
    utc_start, utc_end = utc
    for shot_id, started_text, ended_text in unlogged:
        started, ended = _stamp(started_text), _stamp(ended_text)
        if started is None or ended is None or shot_id in weights:
            continue
        if not (started <= utc_end and ended >= utc_start):
            continue
        business_days = _business_days(started, ended) + 1
        multiplicator = 1
        if started >= start and ended <= end:
            multiplicator = business_days
        elif started >= start:
            multiplicator = _business_days(started, end) + 1
        elif ended <= end:
            multiplicator = _business_days(start, ended) + 1
        weights[shot_id] = round(multiplicator / business_days, 2)
    return weights


def _raw(conn: Connection, person_id: str, clauses: list[Any], date_column: sa.Column[Any],
         utc: Period) -> dict[str, float]:
    utc_start, utc_end = utc
    assigned = sa.exists().where(LINK.c.task_id == T.c.id, LINK.c.person_id == person_id)
    rows = conn.execute(
        sa.select(E.c.id).join(T, T.c.entity_id == E.c.id)
        .where(*clauses, assigned, date_column >= utc_start.strftime("%Y-%m-%dT%H:%M:%S"),
               date_column <= utc_end.strftime("%Y-%m-%dT%H:%M:%S")))
    return {shot_id: 1 for (shot_id,) in rows}
