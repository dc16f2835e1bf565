"""``data/tasks/open-tasks``: unfinished tasks of open projects, one page, with status stats."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import BadRequest
from foxtrack.core.http import pagination, query_int
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import TASK
from foxtrack.db import schema as s

Row = dict[str, Any]
# the shot's sequence and the sequence's episode, joined to every open-task query
SEQUENCE, EPISODE = s.entity.alias("sequence"), s.entity.alias("episode")
FILTERS = ("project_id", "task_type_id", "task_status_id", "person_id", "episode_id", "studio_id", "department_id")


def _filters(ctx: RequestContext, params: dict[str, str], unfinished: bool) -> tuple[list[sa.ColumnElement[bool]],
                                                                                      sa.FromClause, sa.FromClause]:
    """The tasks of open projects matching the open-task filters (``unfinished``: not done); the join
    of task, project, type, status, entity, sequence and episode the page reads; and the join of
    task, project and status with only the tables the filters name, for the counts (the others are
    one row per task: a task's type and entity cannot be deleted while it exists)."""
    t, e, et, p, tt, ts = s.task, s.entity, s.entity_type, s.project, s.task_type, s.task_status
    seq, ep = SEQUENCE, EPISODE
    for key in FILTERS:
        if params.get(key) and not is_uuid(params[key]) and not (key == "person_id" and params[key] == "unassigned"):
            raise BadRequest("Malformed ID.")
    open_status = sa.select(s.project_status.c.id).where(s.project_status.c.name == "Open")
    clauses: list[sa.ColumnElement[bool]] = [p.c.project_status_id.in_(open_status)]
    if unfinished:
        clauses.append(ts.c.is_done.isnot(True))
    scope = perm.project_scope(ctx, t.c.project_id)
    if scope is not None:
        clauses.append(scope)
    link = s.task_person_link
    if params.get("project_id"):
        clauses.append(t.c.project_id == params["project_id"])
    if params.get("task_type_id"):
        clauses.append(t.c.task_type_id == params["task_type_id"])
    if params.get("task_status_id"):
        clauses.append(t.c.task_status_id == params["task_status_id"])
    if params.get("person_id") == "unassigned":
        clauses.append(t.c.id.not_in(sa.select(link.c.task_id)))
    elif params.get("person_id"):
        clauses.append(t.c.id.in_(sa.select(link.c.task_id).where(link.c.person_id == params["person_id"])))
    if params.get("episode_id"):
        clauses.append(sa.or_(ep.c.id == params["episode_id"], e.c.source_id == params["episode_id"]))
    if params.get("department_id"):
        clauses.append(tt.c.department_id == params["department_id"])
    if params.get("studio_id"):
        studio_people = sa.select(s.person.c.id).where(s.person.c.studio_id == params["studio_id"])
        clauses.append(t.c.id.in_(sa.select(link.c.task_id).where(link.c.person_id.in_(studio_people))))
    for key, column in (("start_date", t.c.start_date), ("due_date", t.c.due_date)):
        if params.get(key):
            clauses.append(column >= params[key][:10])
    if params.get("priority"):
        clauses.append(t.c.priority == query_int(params, "priority", 0, minimum=0))
    joined = (
        t.join(p, p.c.id == t.c.project_id).join(tt, tt.c.id == t.c.task_type_id)
        .join(ts, ts.c.id == t.c.task_status_id).join(e, e.c.id == t.c.entity_id)
        .join(et, et.c.id == e.c.entity_type_id)
        .outerjoin(seq, seq.c.id == e.c.parent_id).outerjoin(ep, ep.c.id == seq.c.parent_id)
    )
    counted = t.join(p, p.c.id == t.c.project_id).join(ts, ts.c.id == t.c.task_status_id)
    if params.get("department_id"):
        counted = counted.join(tt, tt.c.id == t.c.task_type_id)
    if params.get("episode_id"):
        counted = (counted.join(e, e.c.id == t.c.entity_id).outerjoin(seq, seq.c.id == e.c.parent_id)
                   .outerjoin(ep, ep.c.id == seq.c.parent_id))
    return clauses, joined, counted


def open_tasks(ctx: RequestContext, params: dict[str, str]) -> Row:
    t, e, et, p, tt, ts = s.task, s.entity, s.entity_type, s.project, s.task_type, s.task_status
    clauses, joined, counted = _filters(ctx, params, unfinished=True)
    seq, ep = SEQUENCE, EPISODE
    window = pagination(params, 100, default_page=1)
    limit, page = window.limit, window.page
    extra = [p.c.name, p.c.has_avatar, e.c.name, e.c.description, e.c.data, e.c.preview_file_id, e.c.source_id,
             et.c.name, e.c.canceled, seq.c.name, ep.c.id, ep.c.name, tt.c.for_entity, tt.c.name, ts.c.name,
             tt.c.color, ts.c.color, ts.c.short_name]
    names = ["project_name", "project_has_avatar", "entity_name", "entity_description", "entity_data",
             "entity_preview_file_id", "entity_source_id", "entity_type_name", "entity_canceled", "sequence_name",
             "episode_id", "episode_name", "task_type_for_entity", "type_name", "status_name", "type_color",
             "status_color", "status_short_name"]
    n = len(TASK.keys)
    with ctx.read() as conn:
        stmt = (sa.select(*TASK.columns, *extra).select_from(joined).where(*clauses)
                .order_by(p.c.name, et.c.name, e.c.name, tt.c.priority, tt.c.name, t.c.id)
                .limit(limit + 1).offset((page - 1) * limit))
        rows = []
        for row in conn.execute(stmt):
            d = TASK.to_dict(row[:n])
            d.update(zip(names, row[n:]))
            d["entity_preview_file_id"] = d["entity_preview_file_id"] or ""
            d["entity_source_id"] = d["entity_source_id"] or ""
            d["project_has_avatar"] = bool(d["project_has_avatar"])
            d["entity_canceled"] = bool(d["entity_canceled"])
            d["entity_data"] = d["entity_data"] or {}
            if d["sequence_name"] is None:
                d["episode_id"] = d["entity_source_id"] or d["episode_id"]
            d["episode_id"] = d["episode_id"] or ""
            rows.append(d)
        is_more = len(rows) > limit
        rows = rows[:limit]
        TASK.add_relations(conn, rows)
        stats_stmt = (sa.select(t.c.task_status_id, sa.func.count(), sa.func.coalesce(sa.func.sum(t.c.duration), 0),
                                sa.func.coalesce(sa.func.sum(t.c.estimation), 0))
                      .select_from(counted).where(*clauses).group_by(t.c.task_status_id))
        status, total, total_duration, total_estimation = [], 0, 0, 0
        for status_id, amount, duration, estimation in conn.execute(stats_stmt):
            status.append({"task_status_id": status_id, "amount": amount})
            total += amount
            total_duration += duration
            total_estimation += estimation
    return {"data": rows, "stats": {"total_duration": total_duration, "total_estimation": total_estimation,
                                    "total": total, "status": status},
            "limit": limit, "is_more": is_more, "page": page}


def open_tasks_stats(ctx: RequestContext) -> dict[str, Row]:
    """``data/tasks/open-tasks/stats``: per open project, task counts, done counts, durations and
    estimations, in total and per (task status, task type)."""
    t, p, ts = s.task, s.project, s.task_status
    open_status = sa.select(s.project_status.c.id).where(s.project_status.c.name == "Open")
    clauses: list[sa.ColumnElement[bool]] = [p.c.project_status_id.in_(open_status)]
    scope = perm.project_scope(ctx, t.c.project_id)
    if scope is not None:
        clauses.append(scope)
    done = sa.case((ts.c.is_done.is_(True), 1), else_=0)
    stmt = (sa.select(t.c.project_id, t.c.task_status_id, t.c.task_type_id, sa.func.count(), sa.func.sum(done),
                      sa.func.coalesce(sa.func.sum(t.c.duration), 0), sa.func.coalesce(sa.func.sum(t.c.estimation), 0))
            .select_from(t.join(p, p.c.id == t.c.project_id).join(ts, ts.c.id == t.c.task_status_id))
            .where(*clauses).group_by(t.c.project_id, t.c.task_status_id, t.c.task_type_id)
            .order_by(t.c.project_id, t.c.task_status_id, t.c.task_type_id))
    out: dict[str, Row] = {}
    with ctx.read() as conn:
        for project_id, status_id, type_id, amount, amount_done, duration, estimation in conn.execute(stmt):
            project = out.setdefault(project_id, {"amount": 0, "amount_done": 0, "total_duration": 0.0,
                                                  "total_estimation": 0.0, "task_types": []})
            project["amount"] += amount
            project["amount_done"] += int(amount_done or 0)
            project["total_duration"] += float(duration)
            project["total_estimation"] += float(estimation)
            project["task_types"].append({"task_status_id": status_id, "task_type_id": type_id,
                                          "project_id": project_id, "amount": amount,
                                          "amount_done": int(amount_done or 0), "total_duration": float(duration),
                                          "total_estimation": float(estimation)})
    return out


def open_tasks_burndown(ctx: RequestContext, params: dict[str, str]) -> Row:
    """``data/tasks/open-tasks/burndown``: for the tasks of open projects matching the open-task
    filters, done or not: their number and estimation, the schedule bounds (task start and due
    dates, else the projects' dates) and the tasks done per day."""
    t, p, ts = s.task, s.project, s.task_status
    clauses, _, joined = _filters(ctx, params, unfinished=False)
    day = sa.func.substr(sa.func.coalesce(t.c.done_date, t.c.end_date), 1, 10)
    with ctx.read() as conn:
        total, estimation, first, last, first_project, last_project = conn.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(t.c.estimation), 0), sa.func.min(t.c.start_date),
                      sa.func.max(t.c.due_date), sa.func.min(p.c.start_date), sa.func.max(p.c.end_date))
            .select_from(joined).where(*clauses)).one()
        done = conn.execute(
            sa.select(day, sa.func.count(), sa.func.coalesce(sa.func.sum(t.c.estimation), 0))
            .select_from(joined).where(*clauses, ts.c.is_done.is_(True), day.is_not(None))
            .group_by(day).order_by(day)).all()
    start, end = first or first_project, last or last_project
    return {"total": total, "total_estimation": float(estimation), "start_date": start[:10] if start else None,
            "end_date": end[:10] if end else None,
            "done_by_day": [{"date": d, "done": n, "done_estimation": float(e)} for d, n, e in done]}
