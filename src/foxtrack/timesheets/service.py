"""Timesheet rules: time spent tables per year, month, week and day (scoped by role as Zou does),
days off of the studio, of a month and of a production, a task type's time spent, and the task date
range of each person for the team schedule."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import Forbidden, MalformedId, wrong_parameter
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import MODELS
from foxtrack.db import schema as s
from foxtrack.projects import queries as pq
from foxtrack.tasks import queries as tq

Row = dict[str, Any]
INVALID_DATE = "Invalid month or year."
SUPERVISOR_DEPARTMENT = "Supervisor not allowed to access this department"


def _number(value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise wrong_parameter(INVALID_DATE) from exc
    if not low <= number <= high:
        raise wrong_parameter(INVALID_DATE)
    return number


def year_bounds(year: str) -> tuple[str, str]:
    number = _number(year, 1, 9999)
    return f"{number:04d}-01-01", f"{number:04d}-12-31"


def month_bounds(year: str, month: str) -> tuple[str, str]:
    y, m = _number(year, 1, 9999), _number(month, 1, 12)
    return f"{y:04d}-{m:02d}-01", f"{y:04d}-{m:02d}-{calendar.monthrange(y, m)[1]:02d}"


def _member_projects(ctx: RequestContext) -> list[str]:
    """Ids of the open projects whose team the caller is on (Zou's ``user_service.get_projects``)."""
    link = s.project_person_link
    with ctx.read() as conn:
        return [r[0] for r in conn.execute(
            sa.select(s.project.c.id).join(link, link.c.project_id == s.project.c.id)
            .where(link.c.person_id == ctx.person_id, pq.open_clause()))]


def _departments(ctx: RequestContext) -> list[str]:
    link = s.department_link
    with ctx.read() as conn:
        return [r[0] for r in conn.execute(sa.select(link.c.department_id).where(link.c.person_id == ctx.person_id))]


def scope(ctx: RequestContext, params: dict[str, str]) -> list[sa.ColumnElement[bool]]:
    """The time spent rows the caller may count: admins all, managers and supervisors those of their
    productions (supervisors: of their departments), everyone else their own."""
    ts, t, tt, p = s.time_spent, s.task, s.task_type, s.person
    project_id = params.get("project_id") or None
    department_id = params.get("department_id") or None
    studio_id = params.get("studio_id") or None
    for value in (project_id, department_id, studio_id):
        if value is not None and not is_uuid(value):
            raise wrong_parameter("Invalid id.")
    department_ids = [department_id] if department_id else None
    project_ids = [project_id] if project_id else None
    clauses: list[sa.ColumnElement[bool]] = []
    if not ctx.is_admin:
        if ctx.role in (perm.MANAGER, perm.SUPERVISOR):
            mine = _member_projects(ctx)
            if project_id is None:
                project_ids = mine
            elif project_id not in mine:
                raise Forbidden()
            if ctx.role == perm.SUPERVISOR:
                own = _departments(ctx)
                if department_id is not None and department_id not in own:
                    raise wrong_parameter(SUPERVISOR_DEPARTMENT)
                department_ids = department_ids or own
        else:
            clauses.append(ts.c.person_id == ctx.person_id)
    if project_ids is not None:
        clauses.append(ts.c.task_id.in_(sa.select(t.c.id).where(t.c.project_id.in_(project_ids))))
    if department_ids:
        clauses.append(ts.c.task_id.in_(sa.select(t.c.id).join(tt, tt.c.id == t.c.task_type_id)
                                        .where(tt.c.department_id.in_(department_ids))))
    if studio_id is not None:
        clauses.append(ts.c.person_id.in_(sa.select(p.c.id).where(p.c.studio_id == studio_id)))
    return clauses


def _unit(day: str, detail: str) -> str:
    when = dt.date.fromisoformat(day[:10])
    if detail == "week":
        return str(when.isocalendar()[1])
    if detail == "day":
        return str(when.day)
    if detail == "year":
        return str(when.year)
    return str(when.month)


def table(ctx: RequestContext, detail: str, bounds: tuple[str, str] | None, params: dict[str, str]) -> Row:
    """{unit: {person_id: duration}}: time spent per person by year, month, ISO week or day."""
    ts = s.time_spent
    clauses = scope(ctx, params)
    if bounds is not None:
        clauses += [ts.c.date >= bounds[0], ts.c.date <= bounds[1]]
    out: dict[str, dict[str, float]] = {}
    with ctx.read() as conn:
        for day, person_id, duration in conn.execute(
                sa.select(ts.c.date, ts.c.person_id, ts.c.duration).where(*clauses).order_by(ts.c.date)):
            cell = out.setdefault(_unit(day, detail), {})
            cell[person_id] = cell.get(person_id, 0) + (duration or 0)
    return out


# ----------------------------------------------------------------------------- days off

def day_offs_between(ctx: RequestContext, start: str, end: str) -> list[Row]:
    """Days off overlapping [start, end]: everyone's for admins, the caller's own otherwise."""
    model, d = MODELS["day-offs"], s.day_off
    clauses = [d.c.date <= end, sa.func.coalesce(d.c.end_date, d.c.date) >= start]
    if not ctx.is_admin:
        clauses.append(d.c.person_id == ctx.person_id)
    with ctx.read() as conn:
        return model.to_dicts(conn.execute(model.select().where(*clauses).order_by(d.c.date, d.c.id)))


def _range(start: str | None, end: str | None) -> tuple[str | None, str | None]:
    """``start_date`` and ``end_date`` as days (each optional); Zou's 400 when one is no date."""
    try:
        return tuple(None if v is None else dt.date.fromisoformat(v[:10]).isoformat()  # type: ignore[return-value]
                     for v in (start, end))
    except ValueError as exc:
        raise wrong_parameter(f"Wrong date format for {start} and/or {end}") from exc


def project_day_offs(ctx: RequestContext, project_id: str, start: str | None, end: str | None) -> dict[str, list[Row]]:
    """Days off of the production's team by person; only managers (and each person for their own)
    see the descriptions."""
    model, d, link = MODELS["day-offs"], s.day_off, s.project_person_link
    if not is_uuid(project_id):
        raise MalformedId()
    first, last = _range(start, end)
    with ctx.read() as conn:
        tq.load(conn, tq.PROJECT, project_id)
        perm.check_project_access(ctx, conn, project_id)
        if ctx.role in (perm.CLIENT, perm.VENDOR):
            raise Forbidden()
        clauses: list[sa.ColumnElement[bool]] = [
            d.c.person_id.in_(sa.select(link.c.person_id).where(link.c.project_id == project_id))]
        if first is not None:
            clauses.append(sa.func.coalesce(d.c.end_date, d.c.date) >= first)
        if last is not None:
            clauses.append(d.c.date <= last)
        rows = model.to_dicts(conn.execute(model.select().where(*clauses).order_by(d.c.date, d.c.id)))
    out: dict[str, list[Row]] = {}
    for row in rows:
        if not (ctx.is_manager or row["person_id"] == ctx.person_id):
            row.pop("description", None)
        out.setdefault(row["person_id"], []).append(row)
    return out


def task_type_time_spents(ctx: RequestContext, project_id: str, task_type_id: str, start: str | None,
                          end: str | None) -> dict[str, list[Row]]:
    """Time spent on a production's tasks of one type, by person, newest day first (managers)."""
    model, ts, t = MODELS["time-spents"], s.time_spent, s.task
    for value in (project_id, task_type_id):
        if not is_uuid(value):
            raise MalformedId()
    first, last = _range(start, end)
    with ctx.read() as conn:
        tq.load(conn, tq.PROJECT, project_id)
        perm.check_manager_project_access(ctx, conn, project_id)
        tasks = sa.select(t.c.id).where(t.c.project_id == project_id, t.c.task_type_id == task_type_id)
        clauses: list[sa.ColumnElement[bool]] = [ts.c.task_id.in_(tasks)]
        if first is not None:
            clauses.append(ts.c.date >= first)
        if last is not None:
            clauses.append(ts.c.date <= last)
        rows = model.to_dicts(conn.execute(model.select().where(*clauses).order_by(ts.c.date.desc(), ts.c.id)))
    out: dict[str, list[Row]] = {}
    for row in rows:
        out.setdefault(row["person_id"], []).append(row)
    return out


# ----------------------------------------------------------------------------- team schedule

def _stamp(value: str | None) -> str:
    # Zou answers str(datetime): "2024-01-15 00:00:00" (and "None" for no date)
    return "None" if not value else value[:19].replace("T", " ")


def _open_project_ids(ctx: RequestContext) -> list[str]:
    with ctx.read() as conn:
        return [r[0] for r in conn.execute(sa.select(s.project.c.id).where(pq.open_clause()))]


def _merged(periods: list[tuple[str, str]]) -> list[list[str]]:
    merged: list[list[str]] = []
    for start, end in sorted(periods):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def tasks_dates(ctx: RequestContext, project_id: str | None) -> list[Row]:
    """For each active person, the first start date and last due date of their tasks; productions
    outside a manager's or supervisor's teams only show as anonymous busy periods."""
    t, tpl, p = s.task, s.task_person_link, s.person
    project_id = (project_id or "").strip() or None
    if project_id is not None and not is_uuid(project_id):
        raise wrong_parameter("Invalid project_id.")
    busy_ids: list[str] = []
    if project_id is not None:
        project_ids = [project_id]
        if not ctx.is_admin:
            if ctx.role not in (perm.MANAGER, perm.SUPERVISOR):
                raise Forbidden()
            with ctx.read() as conn:
                if ctx.project_role(conn, project_id) is None:
                    raise Forbidden()
    elif ctx.is_admin:
        project_ids = _open_project_ids(ctx)
    else:
        if ctx.role not in (perm.MANAGER, perm.SUPERVISOR):
            raise Forbidden()
        project_ids = _member_projects(ctx)
        busy_ids = [i for i in _open_project_ids(ctx) if i not in set(project_ids)]
    joined = t.join(tpl, tpl.c.task_id == t.c.id).join(p, p.c.id == tpl.c.person_id)
    entries: dict[str, Row] = {}
    with ctx.read() as conn:
        for person_id, first, last in conn.execute(
                sa.select(p.c.id, sa.func.min(t.c.start_date), sa.func.max(t.c.due_date)).select_from(joined)
                .where(p.c.active.is_(True), t.c.project_id.in_(project_ids or [""])).group_by(p.c.id)):
            entries[person_id] = {"person_id": person_id, "min_date": _stamp(first), "max_date": _stamp(last),
                                  "busy_periods": []}
        if busy_ids:
            periods: dict[str, list[tuple[str, str]]] = {}
            for person_id, start, due in conn.execute(
                    sa.select(p.c.id, t.c.start_date, t.c.due_date).select_from(joined)
                    .where(p.c.active.is_(True), t.c.project_id.in_(busy_ids), t.c.start_date.is_not(None),
                           t.c.due_date.is_not(None))):
                periods.setdefault(person_id, []).append((_stamp(start), _stamp(due)))
            for person_id, spans in periods.items():
                entry = entries.setdefault(person_id, {"person_id": person_id, "min_date": None, "max_date": None,
                                                       "busy_periods": []})
                entry["busy_periods"] = [{"start_date": a, "end_date": b} for a, b in _merged(spans)]
    return list(entries.values())
