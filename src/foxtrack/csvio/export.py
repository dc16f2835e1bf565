"""The rows of each CSV export, read in one pass per table (no per-row queries).

Each function returns ``(header, rows)``: the rows are built from already-loaded data so the
response can be streamed once the permission checks passed."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core.context import AppState, RequestContext
from foxtrack.core.models import TEMPORAL_TYPES
from foxtrack.csvio.service import person_names, project_task_types
from foxtrack.db import schema as s
from foxtrack.entities import types

Row = dict[str, Any]
Table = tuple[list[str], list[list[Any]]]
E, T, L = s.entity, s.task, s.entity_link
MINUTES_PER_DAY = 8 * 60


def _days(minutes: float) -> str:
    return f"{minutes / MINUTES_PER_DAY:.2f}"


class _Tasks:
    """Tasks of a project by entity and task type, with their assignees' names."""

    def __init__(self, conn: Connection, project_id: str):
        names = person_names(conn)
        status = {r[0]: r[1] for r in conn.execute(sa.select(s.task_status.c.id, s.task_status.c.short_name))}
        assignees: dict[str, list[str]] = defaultdict(list)
        link = s.task_person_link
        for task_id, person_id in conn.execute(
                sa.select(link.c.task_id, link.c.person_id).join(T, T.c.id == link.c.task_id)
                .where(T.c.project_id == project_id)):
            assignees[task_id].append(names.get(person_id, ""))
        self.cells: dict[tuple[str, str], tuple[str, str]] = {}
        self.minutes: dict[str, float] = defaultdict(float)
        for task_id, entity_id, task_type_id, status_id, duration in conn.execute(
                sa.select(T.c.id, T.c.entity_id, T.c.task_type_id, T.c.task_status_id, T.c.duration)
                .where(T.c.project_id == project_id)):
            self.cells[(entity_id, task_type_id)] = (status.get(status_id, ""), ", ".join(sorted(assignees[task_id])))
            self.minutes[entity_id] += duration or 0

    def columns(self, entity_id: str, task_types: list[Row]) -> list[str]:
        out: list[str] = []
        for task_type in task_types:
            out.extend(self.cells.get((entity_id, task_type["id"]), ("", "")))
        return out


def _task_header(task_types: list[Row]) -> list[str]:
    return [name for tt in task_types for name in (tt["name"], "Assignations")]


def _assigned(person_id: str) -> sa.ColumnElement[bool]:
    link = s.task_person_link
    return E.c.id.in_(sa.select(T.c.entity_id).join(link, link.c.task_id == T.c.id)
                      .where(link.c.person_id == person_id))


def assets(state: AppState, conn: Connection, project: Row, episode_id: str | None,
           assigned_to: str | None) -> Table:
    task_types = project_task_types(conn, project["id"], "Asset")
    header = ["Project", "Type", "Name", "Description", "Time Spent", *_task_header(task_types)]
    et = s.entity_type
    clauses = [E.c.project_id == project["id"], types.asset_clause(state, E.c.entity_type_id),
               E.c.canceled.isnot(True)]
    if episode_id:
        shot, seq = E.alias("shot"), E.alias("seq")
        cast = (sa.select(L.c.entity_out_id).join(shot, shot.c.id == L.c.entity_in_id)
                .join(seq, seq.c.id == shot.c.parent_id).where(seq.c.parent_id == episode_id))
        clauses.append(sa.or_(E.c.source_id == episode_id, E.c.id.in_(cast)))
    if assigned_to:
        clauses.append(_assigned(assigned_to))
    tasks = _Tasks(conn, project["id"])
    query = (sa.select(E.c.id, et.c.name, E.c.name, E.c.description).join(et, et.c.id == E.c.entity_type_id)
             .where(*clauses).order_by(et.c.name, E.c.name))
    rows = [[project["name"], type_name, name, description or "", _days(tasks.minutes[entity_id]),
             *tasks.columns(entity_id, task_types)]
            for entity_id, type_name, name, description in conn.execute(query)]
    return header, rows


def shots(state: AppState, conn: Connection, project: Row, episode_id: str | None, assigned_to: str | None) -> Table:
    task_types = project_task_types(conn, project["id"], "Shot")
    header = ["Project", "Episode", "Sequence", "Name", "Description", "Time Spent", "Frames", "Frame In",
              "Frame Out", "FPS", *_task_header(task_types)]
    seq, ep = E.alias("seq"), E.alias("ep")
    clauses = [E.c.project_id == project["id"], E.c.entity_type_id == types.type_id(state, types.SHOT),
               E.c.canceled.isnot(True)]
    if episode_id:
        clauses.append(seq.c.parent_id == episode_id)
    if assigned_to:
        clauses.append(_assigned(assigned_to))
    tasks = _Tasks(conn, project["id"])
    query = (sa.select(E.c.id, ep.c.name, seq.c.name, E.c.name, E.c.description, E.c.nb_frames, E.c.data)
             .join(seq, seq.c.id == E.c.parent_id, isouter=True).join(ep, ep.c.id == seq.c.parent_id, isouter=True)
             .where(*clauses).order_by(ep.c.name, seq.c.name, E.c.name))
    rows = []
    for entity_id, episode, sequence, name, description, nb_frames, data in conn.execute(query):
        data = data or {}
        rows.append([project["name"], episode or "", sequence or "", name, description or "",
                     _days(tasks.minutes[entity_id]), nb_frames, data.get("frame_in"), data.get("frame_out"),
                     data.get("fps"), *tasks.columns(entity_id, task_types)])
    return header, rows


def edits(state: AppState, conn: Connection, project: Row, episode_id: str | None) -> Table:
    task_types = project_task_types(conn, project["id"], "Edit")
    header = ["Project", "Episode", "Name", "Description", "Time Spent", *_task_header(task_types)]
    ep = E.alias("ep")
    clauses = [E.c.project_id == project["id"], E.c.entity_type_id == types.type_id(state, types.EDIT),
               E.c.canceled.isnot(True)]
    if episode_id:
        clauses.append(E.c.parent_id == episode_id)
    tasks = _Tasks(conn, project["id"])
    query = (sa.select(E.c.id, ep.c.name, E.c.name, E.c.description)
             .join(ep, ep.c.id == E.c.parent_id, isouter=True).where(*clauses).order_by(ep.c.name, E.c.name))
    rows = [[project["name"], episode or "", name, description or "", _days(tasks.minutes[entity_id]),
             *tasks.columns(entity_id, task_types)]
            for entity_id, episode, name, description in conn.execute(query)]
    return header, rows


def casting(state: AppState, conn: Connection, project: Row, episode_id: str | None, shot_casting: bool) -> Table:
    """Shot casting (episode, sequence, shot) or asset casting (episode of the asset, its type, name)."""
    tvshow = project["production_type"] == "tvshow"
    header = (["Episode"] if tvshow else []) + ["Parent", "Name", "Asset Type", "Asset", "Occurences", "Label"]
    et, et_in = s.entity_type, s.entity_type.alias("et_in")
    target, asset, parent, ep = E.alias("target"), E.alias("asset"), E.alias("parent"), E.alias("ep")
    columns = [ep.c.name, parent.c.name, target.c.name, et.c.name, asset.c.name, L.c.nb_occurences, L.c.label]
    query = (sa.select(*columns).select_from(L).join(target, target.c.id == L.c.entity_in_id)
             .join(asset, asset.c.id == L.c.entity_out_id).join(et, et.c.id == asset.c.entity_type_id)
             .where(target.c.project_id == project["id"]))
    if shot_casting:
        query = (query.join(parent, parent.c.id == target.c.parent_id, isouter=True)
                 .join(ep, ep.c.id == parent.c.parent_id, isouter=True)
                 .where(target.c.entity_type_id == types.type_id(state, types.SHOT)))
        if episode_id:
            query = query.where(parent.c.parent_id == episode_id)
    else:
        query = (query.join(et_in, et_in.c.id == target.c.entity_type_id)
                 .join(ep, ep.c.id == target.c.source_id, isouter=True)
                 .where(et_in.c.name.not_in(TEMPORAL_TYPES)))
        if episode_id:
            query = query.where(target.c.source_id == episode_id)
        columns[1] = et_in.c.name
        query = query.with_only_columns(*columns)
    query = query.order_by(columns[0], columns[1], target.c.name, et.c.name, asset.c.name)
    rows = []
    for episode, parent_name, name, asset_type, asset_name, occurences, label in conn.execute(query):
        row = [parent_name or "", name, asset_type, asset_name, occurences, label or ""]
        if tvshow:
            row.insert(0, episode or ("" if shot_casting else "MP"))
        rows.append(row)
    return header, rows


# ----------------------------------------------------------------------------- studio-wide exports

YES_NO = {True: "yes", False: "no"}


def persons(conn: Connection) -> Table:
    header = ["First Name", "Last Name", "Email", "Phone", "Role", "Departments", "Studio", "Country",
              "Contract Type", "Position", "Seniority", "Daily Salary", "Active"]
    p, d, link = s.person.c, s.department, s.department_link
    departments: dict[str, list[str]] = defaultdict(list)
    for person_id, name in conn.execute(sa.select(link.c.person_id, d.c.name).join(d, d.c.id == link.c.department_id)
                                        .order_by(d.c.name)):
        departments[person_id].append(name)
    studios = {r[0]: r[1] for r in conn.execute(sa.select(s.studio.c.id, s.studio.c.name))}
    query = (sa.select(p.id, p.first_name, p.last_name, p.email, p.phone, p.role, p.studio_id, p.country,
                       p.contract_type, p.position, p.seniority, p.daily_salary, p.active)
             .where(p.is_bot.isnot(True)).order_by(p.first_name, p.last_name))
    rows = [[r.first_name, r.last_name, r.email, r.phone, r.role, ", ".join(departments[r.id]),
             studios.get(r.studio_id, ""), r.country, r.contract_type, r.position, r.seniority,
             r.daily_salary or 0, YES_NO[bool(r.active)]]
            for r in conn.execute(query)]
    return header, rows


def projects(ctx: RequestContext, conn: Connection) -> Table:
    from foxtrack.core.permissions import project_scope

    p, ps = s.project, s.project_status
    query = sa.select(p.c.name, ps.c.name).join(ps, ps.c.id == p.c.project_status_id, isouter=True)
    scope = project_scope(ctx, p.c.id)
    if scope is not None:
        query = query.where(scope)
    rows = [[name, status or ""] for name, status in conn.execute(query.order_by(p.c.name))]
    return ["Name", "Status"], rows


def task_types(conn: Connection) -> Table:
    tt, d = s.task_type, s.department
    query = (sa.select(d.c.name, tt.c.name).join(d, d.c.id == tt.c.department_id, isouter=True)
             .order_by(d.c.name, tt.c.name))
    return ["Department", "Name"], [[dep or "", name] for dep, name in conn.execute(query)]
