"""Person rules: creation checks, bots and their tokens, departments, passwords, what others see."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.auth.sessions import password_changed
from foxtrack.auth.tokens import issue_bot_token
from foxtrack.core import permissions as perm
from foxtrack.core.context import ADMIN, CLIENT, MANAGER, SUPERVISOR, USER, VENDOR, RequestContext, Tx
from foxtrack.core.errors import (
    ApiError,
    BadRequest,
    Forbidden,
    MalformedId,
    NotFound,
    validation_error,
)
from foxtrack.core.jsonutil import is_uuid, new_id
from foxtrack.core.models import PERSON
from foxtrack.crud.policy import Policies
from foxtrack.crud import service as crud
from foxtrack.db import schema as s

Row = dict[str, Any]

ROLES = ("user", "admin", "supervisor", "manager", "client", "vendor")
CONTRACT_TYPES = ("open-ended", "fixed-term", "short-term", "freelance", "apprentice", "internship")
MINIMAL_KEYS = ("id", "type", "first_name", "last_name", "full_name", "has_avatar", "active", "departments",
                "studio_id", "role", "desktop_login", "is_bot")
# what a person may not change on their own account
SELF_PROTECTED = frozenset({"role", "active", "departments", "is_bot", "archived", "jti", "expiration_date",
                            "studio_id", "contract_type", "daily_salary", "position", "seniority", "is_guest",
                            "is_generated_from_ldap", "ldap_uid"})
# set by the route after hashing off the event loop; never taken from a client
PASSWORD_HASH_KEY = "__password_hash__"


def minimal(person: Row) -> Row:
    """Zou's ``present_minimal``: what non-admins see of other persons."""
    out = {k: person.get(k) for k in MINIMAL_KEYS}
    if out["departments"] is None:
        out["departments"] = []
    return out


def full_name_filter(values: list[str]) -> sa.ColumnElement[bool]:
    p = s.person.c
    full = p.first_name + sa.literal(" ") + p.last_name
    return full.in_(values)


# ----------------------------------------------------------------------------- CRUD hooks

def before_create(ctx: RequestContext, tx: Tx, values: Row) -> Row:
    body: Row = values.get("__body__") or {}
    if not body.get("first_name") or "last_name" not in body or body.get("last_name") is None:
        raise ApiError("A required field is missing.", body={"message": "A required field is missing."})
    is_bot = bool(values.get("is_bot"))
    email = values.get("email")
    if email is not None:
        if "@" not in email:
            raise BadRequest("An email address must have an @-sign.", data=None,
                             body={"error": True, "message": "An email address must have an @-sign.", "data": None})
        email = email.strip()
        values["email"] = email
        if not is_bot and email_taken(tx.conn, email):
            raise _bad("Email already in use.")
    role = values.get("role") or "user"
    if role not in ROLES:
        raise _bad("Invalid role")
    values["role"] = role
    if values.get("contract_type") and values["contract_type"] not in CONTRACT_TYPES:
        raise _bad("Invalid contract type")
    for key in ("phone", "desktop_login"):
        if key not in body:
            values[key] = None
    values["password"] = body.get(PASSWORD_HASH_KEY)
    if is_bot:
        values["jti"] = new_id()
    return values


def _bad(message: str) -> BadRequest:
    return BadRequest(message, body={"error": True, "message": message, "data": None})


def email_taken(conn: Connection, email: str, exclude: str | None = None) -> bool:
    p = s.person.c
    clauses = [sa.func.lower(p.email) == email.lower(), p.is_bot.is_not(True)]
    if exclude:
        clauses.append(p.id != exclude)
    return conn.execute(sa.select(p.id).where(*clauses)).first() is not None


def after_create(ctx: RequestContext, tx: Tx, row: Row, body: Row) -> Row:
    if row.get("is_bot"):
        jti = str(tx.conn.execute(sa.select(s.person.c.jti).where(s.person.c.id == row["id"])).scalar())
        row["access_token"] = issue_bot_token(ctx.state, row["id"], jti, row.get("expiration_date"))
    return row


def before_update(ctx: RequestContext, tx: Tx, current: Row, values: Row) -> Row:
    body: Row = values.get("__body__") or {}
    if not ctx.is_admin:
        for key in SELF_PROTECTED:
            values.pop(key, None)
        values["__relations__"] = {}
    if "role" in values and values["role"] not in ROLES:
        raise _bad("Invalid role")
    email = values.get("email")
    if email and email != current.get("email"):
        if "@" not in email:
            raise _bad("An email address must have an @-sign.")
        if not (values.get("is_bot", current.get("is_bot"))) and email_taken(tx.conn, email, current["id"]):
            raise _bad("Email already in use.")
    del body
    return values


def shape_many(ctx: RequestContext, conn: Connection, rows: list[Row]) -> list[Row]:
    if ctx.is_admin:
        return rows
    if rows and "departments" not in rows[0]:
        PERSON.add_relations(conn, rows)
    return [minimal(r) for r in rows]


def shape_one(ctx: RequestContext, conn: Connection, row: Row) -> Row:
    return row if ctx.is_admin else minimal(row)


def delete_person(ctx: RequestContext, tx: Tx, person: Row, force: bool) -> None:
    perm.require_admin(ctx)
    remove_person_rows(tx, person["id"])
    tx.emit("person:delete", {"person_id": person["id"]})


def remove_person_rows(tx: Tx, person_id: str) -> None:
    """Delete a person with its links, logs and personal rows (the caller has checked the right)."""
    for link, column in ((s.department_link, "person_id"), (s.project_person_link, "person_id"),
                         (s.task_person_link, "person_id"), (s.comment_mentions, "person_id"),
                         (s.comment_acknoledgments, "person_id"), (s.chat_participant, "person_id")):
        tx.delete(link, link.c[column] == person_id)
    for table in (s.notification, s.subscription, s.search_filter, s.search_filter_group, s.time_spent,
                  s.day_off, s.login_log, s.desktop_login_log, s.auth_session, s.auth_challenge):
        tx.delete(table, table.c.person_id == person_id)
    tx.delete(s.person, s.person.c.id == person_id)


def register_crud(policies: Policies) -> None:
    """This feature's rules for the generic ``/data/<model>`` routes (called by the app factory)."""
    policies.register(
        "persons",
        read="all",
        create="admin",
        update="self",
        owner_column="id",
        delete="admin",
        virtual_filters={"full_name": full_name_filter},
        before_create=before_create,
        after_create=after_create,
        before_update=before_update,
        shape_many=shape_many,
        shape_one=shape_one,
        delete_hook=delete_person,
    )


# ----------------------------------------------------------------------------- actions

def _load_person(conn: Connection, person_id: str) -> Row:
    if not is_uuid(person_id):
        raise MalformedId()
    person = PERSON.get(conn, person_id)
    if person is None:
        raise NotFound()
    return person


def add_department(ctx: RequestContext, person_id: str, body: Row) -> Row:
    department_id = body.get("department_id")
    if not department_id:
        raise validation_error({"department_id": "Field required"}, message="Validation error.")
    perm.require_admin(ctx)
    with ctx.write() as tx:
        _load_person(tx.conn, person_id)
        if not isinstance(department_id, str) or not is_uuid(department_id):
            raise MalformedId()
        if tx.conn.execute(sa.select(s.department.c.id).where(s.department.c.id == department_id)).first() is None:
            raise NotFound()
        link = s.department_link
        where = (link.c.person_id == person_id, link.c.department_id == department_id)
        if tx.conn.execute(sa.select(link.c.person_id).where(*where)).first() is None:
            tx.insert(link, {"person_id": person_id, "department_id": department_id})
        crud.update_row(tx, PERSON, person_id, {})
        tx.emit("person:update", {"person_id": person_id})
        person = _load_person(tx.conn, person_id)
        PERSON.add_relations(tx.conn, [person])
    return person


def remove_department(ctx: RequestContext, person_id: str, department_id: str) -> None:
    perm.require_admin(ctx)
    if not is_uuid(department_id):
        raise MalformedId()
    with ctx.write() as tx:
        _load_person(tx.conn, person_id)
        link = s.department_link
        tx.delete(link, link.c.person_id == person_id, link.c.department_id == department_id)
        crud.update_row(tx, PERSON, person_id, {})
        tx.emit("person:update", {"person_id": person_id})


def check_new_password(body: Row) -> str:
    password, confirmation = body.get("password"), body.get("password_2")
    missing = {k: "Field required" for k in ("password", "password_2") if not body.get(k)}
    if missing:
        raise validation_error(missing, message="Validation error.")
    if password != confirmation:
        raise _bad("Confirmation password and password don't match.")
    if not isinstance(password, str) or len(password) < 8:
        raise _bad("Password is too short.")
    return password


def set_password(ctx: RequestContext, person_id: str, hashed: str) -> None:
    with ctx.write() as tx:
        person = _load_person(tx.conn, person_id)
        if person.get("is_bot"):
            raise _bad("Bots cannot have a password.")
        crud.update_row(tx, PERSON, person_id, {"password": hashed})
        tx.emit("person:update", {"person_id": person_id})
        password_changed(tx, ctx.state, person_id, by=ctx.person_id)  # its sessions end, a notice is mailed


# ----------------------------------------------------------------------------- time sheet and days off

def check_person_access(ctx: RequestContext, person_id: str, roles: tuple[str, ...] = (ADMIN, MANAGER)) -> None:
    """Callers of ``roles`` read another person's sheets (time spents, days off, tasks); others only their own."""
    if not is_uuid(person_id):
        raise MalformedId()
    if ctx.role not in roles and ctx.person_id != person_id:
        raise Forbidden()


def shared_projects(ctx: RequestContext, person_id: str,
                    project_id: sa.ColumnElement[Any]) -> sa.ColumnElement[bool] | None:
    """What a caller may see of another person's work: the projects of the caller's teams (Zou: a
    manager outside the team sees nothing of that person); None for admins and for one's own rows."""
    if ctx.is_admin or ctx.person_id == person_id:
        return None
    link = s.project_person_link
    return project_id.in_(sa.select(link.c.project_id).where(link.c.person_id == ctx.person_id))


TIME_SHEET_READERS = (ADMIN, MANAGER, SUPERVISOR)


def _date(value: str) -> str:
    from foxtrack.core.jsonutil import normalize_date

    try:
        out = normalize_date(value)
    except ValueError as exc:
        raise _bad(f"Wrong date format for {value}") from exc
    if out is None:
        raise _bad(f"Wrong date format for {value}")
    return out


def period(kind: str, year: int, number: int = 1, day: int = 1) -> tuple[str, str]:
    """[start, end] dates (inclusive) of a year, month, ISO week or day."""
    import calendar
    import datetime as dt

    try:
        if kind == "year":
            start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        elif kind == "month":
            start = dt.date(year, number, 1)
            end = dt.date(year, number, calendar.monthrange(year, number)[1])
        elif kind == "week":
            start = dt.date.fromisocalendar(year, number, 1)
            end = start + dt.timedelta(days=6)
        else:
            start = end = dt.date(year, number, day)
    except ValueError as exc:
        raise _bad("Wrong date format") from exc
    return start.isoformat(), end.isoformat()


def time_spent_rows(ctx: RequestContext, person_id: str, start: str, end: str, with_task: bool = False) -> list[Row]:
    from foxtrack.core.models import MODELS

    check_person_access(ctx, person_id, TIME_SHEET_READERS)
    model, ts, t = MODELS["time-spents"], s.time_spent, s.task
    stmt = model.select().where(ts.c.person_id == person_id, ts.c.date >= _date(start), ts.c.date <= _date(end))
    scope = shared_projects(ctx, person_id, t.c.project_id)
    if with_task or scope is not None:
        stmt = stmt.add_columns(t.c.project_id, t.c.task_type_id).join(t, t.c.id == ts.c.task_id)
    if scope is not None:
        stmt = stmt.where(scope)
    stmt = stmt.order_by(ts.c.date, ts.c.created_at)
    n = len(model.keys)
    with ctx.read() as conn:
        rows = conn.execute(stmt).all()
    out = []
    for row in rows:
        item = model.to_dict(row[:n])
        if with_task:
            item["project_id"], item["task_type_id"] = row[n], row[n + 1]
        out.append(item)
    return out


def time_spent_summary(ctx: RequestContext, person_id: str, start: str, end: str) -> list[Row]:
    """Durations per task over a period, with the task's project and entity names."""
    check_person_access(ctx, person_id, TIME_SHEET_READERS)
    ts, t, p, e, et = s.time_spent, s.task, s.project, s.entity, s.entity_type
    scope = shared_projects(ctx, person_id, t.c.project_id)
    seq, ep = e.alias("sequence"), e.alias("episode")
    stmt = (
        sa.select(t.c.id, t.c.task_type_id, t.c.project_id, p.c.name, e.c.name, et.c.name, seq.c.name,
                  ep.c.name, sa.func.sum(ts.c.duration))
        .select_from(ts).join(t, t.c.id == ts.c.task_id).join(p, p.c.id == t.c.project_id)
        .join(e, e.c.id == t.c.entity_id).join(et, et.c.id == e.c.entity_type_id)
        .outerjoin(seq, seq.c.id == e.c.parent_id).outerjoin(ep, ep.c.id == seq.c.parent_id)
        .where(ts.c.person_id == person_id, ts.c.date >= start, ts.c.date <= end, *([] if scope is None else [scope]))
        .group_by(t.c.id, t.c.task_type_id, t.c.project_id, p.c.name, e.c.name, et.c.name, seq.c.name, ep.c.name)
        .order_by(p.c.name, e.c.name)
    )
    keys = ("task_id", "task_type_id", "project_id", "project_name", "entity_name", "entity_type_name",
            "sequence_name", "episode_name", "duration")
    with ctx.read() as conn:
        return [dict(zip(keys, row)) for row in conn.execute(stmt)]


def day_offs(ctx: RequestContext, person_id: str, start: str | None = None, end: str | None = None) -> list[Row]:
    from foxtrack.core.models import MODELS

    check_person_access(ctx, person_id)
    model, d = MODELS["day-offs"], s.day_off
    clauses = [d.c.person_id == person_id]
    if start and end:
        clauses += [d.c.date <= end, sa.func.coalesce(d.c.end_date, d.c.date) >= start]
    with ctx.read() as conn:
        return model.to_dicts(conn.execute(model.select().where(*clauses).order_by(d.c.date)))


def day_off_on(ctx: RequestContext, person_id: str, date: str) -> Row:
    day = _date(date)
    rows = day_offs(ctx, person_id, day, day)
    return rows[0] if rows else {}


def person_tasks(ctx: RequestContext, person_id: str, done: bool) -> list[Row]:
    from foxtrack.user import queries as uq

    if ctx.role == VENDOR and ctx.person_id != person_id:
        raise Forbidden()
    check_person_access(ctx, person_id, (ADMIN, MANAGER, SUPERVISOR, USER, CLIENT))
    finished = s.task.c.task_status_id.in_(sa.select(s.task_status.c.id).where(s.task_status.c.is_done.is_(True)))
    with ctx.read() as conn:
        _load_person(conn, person_id)
        if ctx.role in (VENDOR, CLIENT):
            return []  # Zou lists no one's tasks here for its vendors and clients, their own included
        where = [uq.assigned_to(person_id), uq.in_open_projects(), finished if done else sa.not_(finished)]
        scope = shared_projects(ctx, person_id, s.task.c.project_id)
        return uq.task_rows(conn, where if scope is None else [*where, scope])


# ----------------------------------------------------------------------------- password memo

MEMO_SECONDS = 600.0


def _memo_key(ctx: RequestContext, person_id: str, password: str) -> str:
    import hashlib
    import hmac

    return hmac.new(ctx.state.secret.encode(), f"{person_id}\0{password}".encode(), hashlib.sha256).hexdigest()


def remember_password(ctx: RequestContext, person_id: str, password: str, hashed: str) -> None:
    """Note which bcrypt hash was just made for this person's password (keyed by an HMAC, never
    the password), so that setting the same password again is recognised without a second hash."""
    import time

    memo: dict[str, tuple[float, str]] = ctx.state.extras.setdefault("password_memo", {})
    if len(memo) > 1000:
        memo.clear()
    memo[_memo_key(ctx, person_id, password)] = (time.monotonic(), hashed)


def password_unchanged(ctx: RequestContext, person_id: str, password: str) -> bool:
    """True when this exact password was set for this person moments ago and is still the stored
    one: setting it again changes nothing (and costs no bcrypt round)."""
    import time

    memo: dict[str, tuple[float, str]] = ctx.state.extras.get("password_memo", {})
    entry = memo.get(_memo_key(ctx, person_id, password))
    if entry is None or time.monotonic() - entry[0] > MEMO_SECONDS:
        return False
    with ctx.read() as conn:
        current = conn.execute(sa.select(s.person.c.password).where(s.person.c.id == person_id)).scalar()
    return bool(current) and current == entry[1]
