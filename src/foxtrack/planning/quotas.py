"""Quotas: frames, seconds, drawings and shot counts delivered per person, by day/week/month/year.

Four ways of counting, as Zou does:
* ``weighted`` (default): shots waiting for feedback, each spread over the days time was spent on
  it, in proportion to that time;
* ``weighteddone``: the same for done shots;
* ``feedback``: shots waiting for feedback, counted whole on the day they were sent;
* ``done``: done shots, counted whole on the day they were done.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import BadRequest, MalformedId, NotFound
from foxtrack.core.jsonutil import is_uuid
from foxtrack.db import schema as s

Row = dict[str, Any]
COUNT_MODES = {"weighted", "weighteddone", "weigtheddone", "feedback", "done"}
COUNT_MODE_ERROR = "count_mode must be equal to weighted, weigtheddone, feedback, or done"

# one delivery: (group key, person, day, frames, count, drawings)
Contribution = tuple[str, str, str, float, float, float]


def _periods(day: str) -> dict[str, tuple[str, str | None]]:
    """Period key and the key its ``entries`` counter is grouped by, per detail level."""
    parsed = date.fromisoformat(day)
    iso_year, iso_week, _ = parsed.isocalendar()
    return {
        "day": (day, day[:7]),
        "week": (f"{iso_year}-{iso_week}", str(iso_year)),
        "month": (day[:7], day[:4]),
        "year": (day[:4], None),
    }


def _empty() -> Row:
    return {
        detail: {"frames": {}, "seconds": {}, "count": {}, **({"entries": {}} if detail != "year" else {}),
                 "drawings": {}}
        for detail in ("day", "week", "month", "year")
    }


def _add(quota: Row, day: str, frames: float, seconds: float, count: float, drawings: float) -> None:
    for detail, (key, entries_key) in _periods(day).items():
        table = quota[detail]
        if key not in table["frames"]:
            for metric in ("frames", "seconds", "count", "drawings"):
                table[metric][key] = 0
            if entries_key is not None:
                table["entries"][entries_key] = table["entries"].get(entries_key, 0) + 1
        table["frames"][key] += frames
        table["seconds"][key] += seconds
        table["count"][key] += count
        table["drawings"][key] += drawings


def _build(contributions: Iterable[Contribution], fps: float) -> dict[str, Row]:
    out: dict[str, Row] = {}
    for group, _person, day, frames, count, drawings in contributions:
        seconds = frames / fps if fps else 0
        for key in (group, "total"):
            if key not in out:
                out[key] = _empty()
            _add(out[key], day, frames, seconds, count, drawings)
    if "total" in out:
        out["total"] = out.pop("total")
    return out


def _task_rows(conn: Connection, clauses: list[Any], status_flag: str) -> list[Row]:
    task, ent, st = s.task, s.entity, s.task_status
    stmt = (
        sa.select(task.c.id, task.c.task_type_id, task.c.done_date, task.c.end_date, task.c.nb_drawings,
                  ent.c.nb_frames)
        .join(ent, ent.c.id == task.c.entity_id)
        .join(st, st.c.id == task.c.task_status_id)
        .where(st.c[status_flag].is_(True), *clauses)
    )
    return [dict(r._mapping) for r in conn.execute(stmt)]


def _weighted(conn: Connection, tasks: list[Row], person_id: str | None, by: str) -> list[Contribution]:
    ts = s.time_spent
    by_id = {t["id"]: t for t in tasks}
    spent: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    ids = list(by_id)
    for i in range(0, len(ids), 900):
        stmt = (sa.select(ts.c.task_id, ts.c.person_id, ts.c.date, ts.c.duration)
                .where(ts.c.task_id.in_(ids[i:i + 900])).order_by(ts.c.date, ts.c.created_at))
        for task_id, person, day, duration in conn.execute(stmt):
            spent[task_id].append((person, day, duration))
    out: list[Contribution] = []
    for task_id, lines in spent.items():
        task = by_id[task_id]
        total = sum(d for _, _, d in lines)
        if not total:
            continue
        for person, day, duration in lines:
            if person_id is not None and person != person_id:
                continue
            weight = round(duration / total, 2)
            frames = round((task["nb_frames"] or 0) * weight)
            drawings = round((task["nb_drawings"] or 0) * weight)
            group = person if by == "person" else task["task_type_id"]
            out.append((group, person, day, frames, weight, drawings))
    return out


def _whole(conn: Connection, tasks: list[Row], person_id: str | None, by: str, date_key: str) -> list[Contribution]:
    link = s.task_person_link
    assignees: dict[str, list[str]] = defaultdict(list)
    ids = [t["id"] for t in tasks if t[date_key]]
    for i in range(0, len(ids), 900):
        for task_id, person in conn.execute(sa.select(link.c.task_id, link.c.person_id)
                                            .where(link.c.task_id.in_(ids[i:i + 900]))):
            assignees[task_id].append(person)
    out: list[Contribution] = []
    for task in sorted((t for t in tasks if t[date_key]), key=lambda t: str(t[date_key])):
        for person in assignees[task["id"]]:
            if person_id is not None and person != person_id:
                continue
            group = person if by == "person" else task["task_type_id"]
            out.append((group, person, str(task[date_key])[:10], task["nb_frames"] or 0, 1,
                        task["nb_drawings"] or 0))
    return out


def quotas(ctx: RequestContext, project_id: str, params: dict[str, str], task_type_id: str | None = None,
           person_id: str | None = None) -> dict[str, Row]:
    """Quotas of one task type (keyed by person) or of one person (keyed by task type)."""
    mode = params.get("count_mode", "weighted") or "weighted"
    if mode not in COUNT_MODES:
        raise BadRequest(COUNT_MODE_ERROR, data=None)
    for value in (task_type_id, person_id):
        if value is not None and not is_uuid(value):
            raise MalformedId()
    with ctx.read() as conn:
        if not is_uuid(project_id):
            raise NotFound()
        fps_text = conn.execute(sa.select(s.project.c.fps).where(s.project.c.id == project_id)).first()
        if fps_text is None:
            raise NotFound()
        if person_id != ctx.person_id:  # one's own quotas: the route's rule (``core.policy``)
            perm.check_project_access(ctx, conn, project_id)
        try:
            fps = float(fps_text[0] or 25)
        except ValueError:
            fps = 25.0
        clauses: list[Any] = [s.task.c.project_id == project_id]
        if task_type_id is not None:
            clauses.append(s.task.c.task_type_id == task_type_id)
        flag = "is_done" if mode in ("done", "weighteddone", "weigtheddone") else "is_feedback_request"
        tasks = _task_rows(conn, clauses, flag)
        by = "person" if person_id is None else "task_type"
        if mode in ("weighted", "weighteddone", "weigtheddone"):
            contributions = _weighted(conn, tasks, person_id, by)
        else:
            contributions = _whole(conn, tasks, person_id, by, "done_date" if mode == "done" else "end_date")
    return _build(contributions, fps)
