"""Budgets of a project, their entries (salary lines) and the monthly time actually spent."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import BadRequest, NotFound, validation_error
from foxtrack.core.jsonutil import is_uuid
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.planning.models import BUDGET, BUDGET_ENTRY

Row = dict[str, Any]

BUDGET_FIELDS = ("name", "currency")
ENTRY_REQUIRED = ("department_id", "start_date", "months_duration", "daily_salary", "position", "seniority")
ENTRY_FIELDS = (*ENTRY_REQUIRED, "person_id", "exceptions")
_COMPACT_DROP = ("created_at", "updated_at", "type")


def _uuid(value: str) -> str:
    if not is_uuid(value):
        raise BadRequest("Wrong UUID format.", data=None)
    return value


def _check_project(ctx: RequestContext, conn: Connection, project_id: str) -> None:
    if not is_uuid(project_id) or conn.execute(
            sa.select(s.project.c.id).where(s.project.c.id == project_id)).first() is None:
        raise NotFound()
    perm.check_manager_project_access(ctx, conn, project_id)


def _compact(row: Row) -> Row:
    out = {"id": row["id"]}
    out.update({k: v for k, v in row.items() if k not in _COMPACT_DROP and k != "id"})
    return out


def _values(body: Any, fields: tuple[str, ...], model: Any) -> Row:
    if not isinstance(body, dict):
        raise BadRequest("Data are empty. Please verify that you sent JSON data and that you set the right headers.")
    values: Row = {}
    for key in fields:
        if key not in body:
            continue
        value = body[key]
        column = model.table.c[key]
        if key == "exceptions":
            if value is not None and not isinstance(value, dict):
                raise validation_error({key: "Input should be a valid dictionary"}, message="Validation error.")
            values[key] = value or {}
            continue
        if isinstance(column.type, sa.String) and column.type.length != 36 and "date" not in key \
                and value is not None and not isinstance(value, str):
            raise validation_error({key: "Input should be a valid string"}, message="Validation error.")
        if isinstance(column.type, (sa.Float, sa.Integer)) and isinstance(value, str):
            try:
                float(value)
            except ValueError as exc:
                raise validation_error({key: "Input should be a valid number, unable to parse string as a number"},
                                       message="Validation error.") from exc
        values[key] = crud.coerce_value(column, value)
    return values


def _required(values: Row, fields: tuple[str, ...]) -> None:
    missing = {f: "Field required" for f in fields if values.get(f) in (None, "")}
    if missing:
        raise validation_error(missing, message="Validation error.")


# ----------------------------------------------------------------------------- budgets

def _budget(conn: Connection, project_id: str, budget_id: str) -> Row:
    row = crud.load(conn, BUDGET, _uuid(budget_id))
    if row["project_id"] != project_id:
        raise NotFound()
    return row


def budgets(ctx: RequestContext, project_id: str) -> list[Row]:
    with ctx.read() as conn:
        _check_project(ctx, conn, project_id)
        stmt = BUDGET.select().where(s.budget.c.project_id == project_id).order_by(s.budget.c.revision)
        return [_compact(r) for r in BUDGET.to_dicts(conn.execute(stmt))]


def budget(ctx: RequestContext, project_id: str, budget_id: str) -> Row:
    with ctx.read() as conn:
        _check_project(ctx, conn, project_id)
        return _budget(conn, project_id, budget_id)


def create_budget(ctx: RequestContext, project_id: str, body: Any) -> Row:
    values = _values(body, BUDGET_FIELDS, BUDGET)
    _required(values, ("name",))
    values.setdefault("currency", "USD")
    if values["currency"] is None:
        values["currency"] = "USD"
    with ctx.write() as tx:
        _check_project(ctx, tx.conn, project_id)
        last = tx.conn.execute(sa.select(sa.func.max(s.budget.c.revision))
                               .where(s.budget.c.project_id == project_id)).scalar()
        row = crud.insert(tx, BUDGET, {**values, "project_id": project_id, "revision": (last or 0) + 1})
        tx.emit("budget:create", {"budget_id": row["id"]}, project_id=project_id)
    return row


def update_budget(ctx: RequestContext, project_id: str, budget_id: str, body: Any) -> Row:
    values = _values(body, BUDGET_FIELDS, BUDGET)
    if "name" in values:
        _required(values, ("name",))
    with ctx.write() as tx:
        _check_project(ctx, tx.conn, project_id)
        _budget(tx.conn, project_id, budget_id)
        if values:
            crud.update_row(tx, BUDGET, budget_id, values)
        tx.emit("budget:update", {"budget_id": budget_id}, project_id=project_id)
        return crud.load(tx.conn, BUDGET, budget_id)


def delete_budget(ctx: RequestContext, project_id: str, budget_id: str) -> None:
    with ctx.write() as tx:
        _check_project(ctx, tx.conn, project_id)
        _budget(tx.conn, project_id, budget_id)
        tx.delete(s.budget_entry, s.budget_entry.c.budget_id == budget_id)
        tx.delete(s.budget, s.budget.c.id == budget_id)
        tx.emit("budget:delete", {"budget_id": budget_id}, project_id=project_id)


# ----------------------------------------------------------------------------- entries

def _entry(conn: Connection, budget_id: str, entry_id: str) -> Row:
    row = crud.load(conn, BUDGET_ENTRY, _uuid(entry_id))
    if row["budget_id"] != budget_id:
        raise NotFound()
    return row


def entries(ctx: RequestContext, project_id: str, budget_id: str) -> list[Row]:
    with ctx.read() as conn:
        _check_project(ctx, conn, project_id)
        _budget(conn, project_id, budget_id)
        e = s.budget_entry
        stmt = BUDGET_ENTRY.select().where(e.c.budget_id == budget_id).order_by(e.c.created_at)
        return [_compact(r) for r in BUDGET_ENTRY.to_dicts(conn.execute(stmt))]


def entry(ctx: RequestContext, project_id: str, budget_id: str, entry_id: str) -> Row:
    with ctx.read() as conn:
        _check_project(ctx, conn, project_id)
        _budget(conn, project_id, budget_id)
        return _entry(conn, budget_id, entry_id)


def create_entry(ctx: RequestContext, project_id: str, budget_id: str, body: Any) -> Row:
    values = _values(body, ENTRY_FIELDS, BUDGET_ENTRY)
    _required(values, ENTRY_REQUIRED)
    values["exceptions"] = {}  # Zou starts every entry without exceptions
    with ctx.write() as tx:
        _check_project(ctx, tx.conn, project_id)
        _budget(tx.conn, project_id, budget_id)
        row = crud.insert(tx, BUDGET_ENTRY, {**values, "budget_id": budget_id})
        # the UI reloads the entry from the budget named in the event (Zou sends both ids)
        tx.emit("budget-entry:create", {"budget_id": budget_id, "budget_entry_id": row["id"]},
                project_id=project_id)
    return row


def update_entry(ctx: RequestContext, project_id: str, budget_id: str, entry_id: str, body: Any) -> Row:
    values = _values(body, ENTRY_FIELDS, BUDGET_ENTRY)
    for key in ENTRY_REQUIRED:
        if key in values and values[key] in (None, ""):
            raise validation_error({key: "Field may not be null"}, message="Validation error.")
    with ctx.write() as tx:
        _check_project(ctx, tx.conn, project_id)
        _budget(tx.conn, project_id, budget_id)
        _entry(tx.conn, budget_id, entry_id)
        if values:
            crud.update_row(tx, BUDGET_ENTRY, entry_id, values)
        tx.emit("budget-entry:update", {"budget_id": budget_id, "budget_entry_id": entry_id},
                project_id=project_id)
        return crud.load(tx.conn, BUDGET_ENTRY, entry_id)


def delete_entry(ctx: RequestContext, project_id: str, budget_id: str, entry_id: str) -> None:
    with ctx.write() as tx:
        _check_project(ctx, tx.conn, project_id)
        _budget(tx.conn, project_id, budget_id)
        _entry(tx.conn, budget_id, entry_id)
        tx.delete(s.budget_entry, s.budget_entry.c.id == entry_id)
        tx.emit("budget-entry:delete", {"budget_id": budget_id, "budget_entry_id": entry_id},
                project_id=project_id)


# ----------------------------------------------------------------------------- actuals

def time_spents(ctx: RequestContext, project_id: str) -> dict[str, Any]:
    """Minutes spent per department (of the task type), person and month, with totals."""
    ts, task, tt = s.time_spent, s.task, s.task_type
    with ctx.read() as conn:
        _check_project(ctx, conn, project_id)
        month = sa.func.substr(ts.c.date, 1, 7)
        stmt = (
            sa.select(tt.c.department_id, ts.c.person_id, month, sa.func.sum(ts.c.duration))
            .join(task, task.c.id == ts.c.task_id)
            .join(tt, tt.c.id == task.c.task_type_id)
            .where(task.c.project_id == project_id, tt.c.department_id.is_not(None))
            .group_by(tt.c.department_id, ts.c.person_id, month)
            .order_by(month)
        )
        out: dict[str, Any] = defaultdict(lambda: {"total": 0.0})
        for department_id, person_id, key, minutes in conn.execute(stmt):
            department = out[department_id]
            department["total"] += float(minutes)
            person = department.setdefault(person_id, {"total": 0.0})
            person["total"] += float(minutes)
            person[key] = person.get(key, 0.0) + float(minutes)
        return dict(out)
