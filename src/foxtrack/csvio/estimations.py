"""The estimations sheet of a task type: per asset (``Parent`` = asset type) or shot (``Parent`` =
sequence), the task's estimation in days, drawings, start and due dates, difficulty and metadata.
One transaction; the first bad line rolls everything back (Zou's body with the line number)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import Forbidden, MalformedId, NotFound
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import TASK
from foxtrack.crud import service as crud
from foxtrack.csvio.service import RowError, Sheet, SheetRow, project_row, slugify
from foxtrack.db import schema as s
from foxtrack.entities import types

Row = dict[str, Any]
E = s.entity
MAX_NUMBER = 100_000  # days, drawings or difficulty: beyond, a cell is a typo (and dates would overflow)


def _check_access(ctx: RequestContext, conn: Connection, project_id: str, task_type: Row) -> None:
    """Zou's task type rule: managers of the production, or its supervisors of the task type's
    department (or of no department)."""
    if ctx.is_admin:
        return
    role = perm.check_project_access(ctx, conn, project_id)
    if role == perm.MANAGER:
        return
    if role == perm.SUPERVISOR:
        link = s.department_link
        departments = [r[0] for r in conn.execute(sa.select(link.c.department_id)
                                                  .where(link.c.person_id == ctx.person_id))]
        if not departments or task_type.get("department_id") in departments:
            return
    raise Forbidden()


def _entities(ctx: RequestContext, conn: Connection, project_id: str, for_entity: str,
              episode_id: str | None) -> dict[str, str]:
    """{slug of parent name + entity name: entity id} of the production's assets or shots."""
    out: dict[str, str] = {}
    if for_entity == "Shot":
        seq = E.alias("sequence")
        clauses = [E.c.project_id == project_id, E.c.entity_type_id == types.type_id(ctx.state, types.SHOT),
                   seq.c.entity_type_id == types.type_id(ctx.state, types.SEQUENCE)]
        if episode_id is not None:
            clauses.append(seq.c.parent_id == episode_id)
        for shot_id, name, parent in conn.execute(sa.select(E.c.id, E.c.name, seq.c.name)
                                                  .join(seq, seq.c.id == E.c.parent_id).where(*clauses)):
            out[f"{slugify(parent)}{slugify(name)}"] = shot_id
    elif for_entity == "Asset":
        et = s.entity_type
        clauses = [E.c.project_id == project_id, types.asset_clause(ctx.state, E.c.entity_type_id)]
        if episode_id is not None:
            clauses.append(E.c.source_id == episode_id)
        for asset_id, name, type_name in conn.execute(sa.select(E.c.id, E.c.name, et.c.name)
                                                      .join(et, et.c.id == E.c.entity_type_id).where(*clauses)):
            out[f"{slugify(type_name)}{slugify(name)}"] = asset_id
    return out


def _number(row: SheetRow, column: str, integer: bool = False) -> float | None:
    value = row.get(column)
    if not value:
        return None
    try:
        number = int(value) if integer else float(value)
    except ValueError:
        raise RowError(f"A value is invalid: {column}: {value}", row.line_number) from None
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        raise RowError(f"A value is invalid: {column}: {value}", row.line_number)
    return number


def _day(row: SheetRow, column: str) -> datetime | None:
    value = row.get(column)
    if not value:
        return None
    try:
        return datetime.strptime(value[:10], "%Y-%m-%d")
    except ValueError:
        raise RowError(f"A value is invalid: {column}: {value}", row.line_number) from None


def _add_business_days(start: datetime, days: float) -> datetime:
    moment = start
    while days > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


def import_estimations(ctx: RequestContext, project_id: str, task_type_id: str, sheet: Sheet,
                       episode_id: str | None = None) -> list[Row]:
    """Update the task type's tasks from the sheet; the tasks changed."""
    for value in (project_id, task_type_id):
        if not is_uuid(value):
            raise MalformedId()
    if episode_id in ("main", "all"):
        episode_id = None
    if episode_id is not None and not is_uuid(episode_id):
        raise MalformedId()
    out: list[Row] = []
    with ctx.write() as tx:
        conn = tx.conn
        task_type = conn.execute(sa.select(s.task_type).where(s.task_type.c.id == task_type_id)).first()
        if task_type is None or project_row(conn, project_id) is None:
            raise NotFound()
        task_type_row = dict(task_type._mapping)
        _check_access(ctx, conn, project_id, task_type_row)
        hours = conn.execute(sa.select(s.organisation.c.hours_by_day).limit(1)).scalar() or 8
        md = s.metadata_descriptor.c
        descriptors = {r[0]: r[1] for r in conn.execute(
            sa.select(md.name, md.field_name).where(md.project_id == project_id, md.entity_type == "Task",
                                                    md.task_type_id == task_type_id))}
        entities = _entities(ctx, conn, project_id, task_type_row.get("for_entity") or "Asset", episode_id)
        tasks = {t["entity_id"]: t for t in TASK.to_dicts(conn.execute(
            TASK.select().where(s.task.c.project_id == project_id, s.task.c.task_type_id == task_type_id)))}
        for row in sheet.rows:
            parent, name = row.require("Parent"), row.require("Entity")
            entity_id = entities.get(slugify(f"{parent}{name}")) or entities.get(f"{slugify(parent)}{slugify(name)}")
            if entity_id is None:
                raise RowError(f"Entity '{name}' with parent '{parent}' not found", row.line_number)
            task = tasks.get(entity_id)
            if task is None:
                raise RowError(f"Task not found for entity '{name}' with parent '{parent}'", row.line_number)
            values: Row = {}
            estimation = _number(row, "Estimation")
            if estimation is not None:
                values["estimation"] = round(estimation * float(hours) * 60)
            drawings = _number(row, "Drawings", integer=True)
            if drawings is not None:
                values["nb_drawings"] = int(drawings)
            start = _day(row, "Start date")
            due = _day(row, "Due date")
            if start is not None:
                values["start_date"] = start.strftime("%Y-%m-%dT%H:%M:%S")
            if due is None and start is not None and estimation:
                try:
                    due = _add_business_days(start, estimation - 1)
                except OverflowError:
                    raise RowError(f"A value is invalid: Estimation: {estimation}", row.line_number) from None
            if due is not None:
                values["due_date"] = due.strftime("%Y-%m-%dT%H:%M:%S")
            difficulty = _number(row, "Difficulty", integer=True)
            if difficulty is not None:
                values["difficulty"] = int(difficulty)
            if any(row.has(column) for column in descriptors):
                values["data"] = {**(task.get("data") or {}),
                                  **{field: row.get(column) for column, field in descriptors.items() if row.has(column)}}
            if values:
                crud.update_row(tx, TASK, task["id"], values)
                tx.emit("task:update", {"task_id": task["id"]}, project_id=project_id)
            updated = TASK.get(conn, task["id"])
            if updated is not None:
                out.append(updated)
    return out
