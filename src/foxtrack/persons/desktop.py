"""A person's desktop logins (as seen by managers and admins) and the persons of a department."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import Forbidden, validation_error
from foxtrack.core.jsonutil import normalize_datetime, now
from foxtrack.core.models import MODELS, PERSON
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.persons.account import DESKTOP_LOGIN_LOG, _person
from foxtrack.persons.service import shape_many

Row = dict[str, Any]


def person_desktop_logins(ctx: RequestContext, person_id: str) -> list[Row]:
    """The person's desktop logins, newest first (the person, or a manager)."""
    if ctx.person_id != person_id and not ctx.is_manager:
        raise Forbidden()
    d = s.desktop_login_log.c
    with ctx.read() as conn:
        _person(conn, person_id)
        rows = conn.execute(DESKTOP_LOGIN_LOG.select().where(d.person_id == person_id)
                            .order_by(d.date.desc(), d.created_at.desc()))
        return DESKTOP_LOGIN_LOG.to_dicts(rows)


def log_person_desktop_login(ctx: RequestContext, person_id: str, body: Row) -> Row:
    """Record a desktop session start for the person (the person, or an admin); ``date`` defaults to now."""
    try:
        date = normalize_datetime(body.get("date")) or now()
    except (ValueError, TypeError) as exc:
        raise validation_error({"date": "Input should be a valid datetime"}, "Validation error.") from exc
    if ctx.person_id != person_id and not ctx.is_admin:
        raise Forbidden()
    with ctx.write() as tx:
        _person(tx.conn, person_id)
        row = crud.insert(tx, DESKTOP_LOGIN_LOG, {"person_id": person_id, "date": date})
        tx.emit("desktop-login-log:new", {"desktop_login_log_id": row["id"]})
        return row


def department_persons(ctx: RequestContext, department_id: str) -> list[Row]:
    """The persons of a department, by name (non-admins see the minimal form, as for the person list)."""
    perm.require_person(ctx)
    p, link = s.person.c, s.department_link.c
    with ctx.read() as conn:
        crud.load(conn, MODELS["departments"], department_id)
        rows = PERSON.to_dicts(conn.execute(PERSON.select().where(
            p.id.in_(sa.select(link.person_id).where(link.department_id == department_id)),
            p.is_bot.isnot(True)).order_by(p.first_name, p.last_name)))
        PERSON.add_relations(conn, rows)
        return shape_many(ctx, conn, rows)
