"""Account actions on a person: avatar removal, invitation, two-factor reset, desktop logins and
the monthly presence sheet built from them."""

from __future__ import annotations

import calendar
import csv
import io
import logging
import re
from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import BadRequest, Forbidden, NotFound, validation_error
from foxtrack.core.jsonutil import is_uuid, normalize_datetime, now
from foxtrack.core.models import PERSON, Model
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.storage import storage_of

Row = dict[str, Any]
log = logging.getLogger(__name__)

DESKTOP_LOGIN_LOG = Model("desktop-login-logs", s.desktop_login_log, "DesktopLoginLog")
TWO_FACTOR_CLEARED = {"totp_enabled": False, "totp_secret": None, "email_otp_enabled": False,
                      "email_otp_secret": None, "fido_enabled": False, "fido_credentials": None,
                      "otp_recovery_codes": None, "preferred_two_factor_authentication": None}
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _person(conn: Any, person_id: str) -> Any:
    if not is_uuid(person_id):
        raise NotFound()
    row = conn.execute(sa.select(s.person).where(s.person.c.id == person_id)).first()
    if row is None:
        raise NotFound()
    return row


def clear_avatar(ctx: RequestContext, person_id: str) -> None:
    """Forget a person's avatar (the person themself or an admin)."""
    with ctx.write() as tx:
        _person(tx.conn, person_id)
        perm.check_self_or_admin(ctx, person_id)
        crud.update_row(tx, PERSON, person_id, {"has_avatar": False})
        tx.emit("person:update", {"person_id": person_id})
    storage_of(ctx.state).delete("pictures", "thumbnails", person_id)


def invite(ctx: RequestContext, person_id: str) -> Row:
    """An admin mails a person an invitation: a link to choose their password (valid three days). With
    no SMTP server configured nothing is sent and, as Zou does when delivery fails, the answer is the same."""
    from foxtrack.auth.reset_password import INVITATION_MINUTES, queue_link

    perm.require_admin(ctx)
    with ctx.write() as tx:
        person = _person(tx.conn, person_id)
        if person.is_bot:
            raise Forbidden()
        if not person.email:
            raise BadRequest("This person has no email.", body={"error": True, "message": "This person has no email."})
        if not queue_link(tx, ctx.state, person, INVITATION_MINUTES, invitation=True):
            log.warning("invitation for %s not sent: no SMTP server is configured", person.email)
    return {"success": True, "message": "Email sent"}


def disable_two_factor(ctx: RequestContext, person_id: str) -> Row:
    """An admin turns off every second factor of a person (TOTP, email OTP, FIDO, recovery codes)."""
    from foxtrack.auth import audit

    perm.require_admin(ctx)
    with ctx.write() as tx:
        person = _person(tx.conn, person_id)
        if not (person.totp_enabled or person.email_otp_enabled or person.fido_enabled):
            raise BadRequest("Two factor authentication not enabled for this user.",
                             body={"error": True, "message": "Two factor authentication not enabled for this user."})
        crud.update_row(tx, PERSON, person_id, TWO_FACTOR_CLEARED)
        tx.delete(s.auth_challenge, s.auth_challenge.c.person_id == person_id,
                  s.auth_challenge.c.kind.in_(["email_otp", "fido_register", "fido_login"]))
        audit.write(tx, person_id, event="2fa", reason="disabled_by_admin")
        tx.emit("person:update", {"person_id": person_id})
    return {"success": True}


# ----------------------------------------------------------------------------- desktop logins

def desktop_login_logs(ctx: RequestContext) -> list[Row]:
    """The caller's desktop logins, newest first."""
    perm.require_person(ctx)
    d = s.desktop_login_log.c
    with ctx.read() as conn:
        rows = conn.execute(DESKTOP_LOGIN_LOG.select().where(d.person_id == ctx.person_id)
                            .order_by(d.date.desc(), d.created_at.desc()))
        return DESKTOP_LOGIN_LOG.to_dicts(rows)


def log_desktop_login(ctx: RequestContext, body: Row) -> Row:
    """Record a desktop session start for the caller (``date`` defaults to now)."""
    perm.require_person(ctx)
    try:
        date = normalize_datetime(body.get("date")) or now()
    except (ValueError, TypeError) as exc:
        raise validation_error({"date": "Input should be a valid datetime"}, "Validation error.") from exc
    with ctx.write() as tx:
        return crud.insert(tx, DESKTOP_LOGIN_LOG, {"person_id": ctx.person_id, "date": date})


def presence_csv(ctx: RequestContext, month_text: str) -> str:
    """One line per active person, ``X`` on the days of the month with a desktop login; ``;``-separated."""
    perm.require_admin(ctx)
    match = _MONTH.match(month_text)
    year, month = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not 1 <= month <= 12 or year < 1:
        raise BadRequest("Invalid month or year.", data=None,
                         body={"error": True, "message": "Invalid month or year.", "data": None})
    days = calendar.monthrange(year, month)[1]
    start = f"{year:04d}-{month:02d}-01"
    end = f"{year + (month == 12):04d}-{month % 12 + 1:02d}-01"
    p, d = s.person.c, s.desktop_login_log.c
    with ctx.read() as conn:
        persons = conn.execute(sa.select(p.id, p.first_name, p.last_name).where(p.active.is_(True))).all()
        present: dict[str, set[int]] = {}
        for person_id, date in conn.execute(sa.select(d.person_id, d.date).where(d.date >= start, d.date < end)):
            present.setdefault(person_id, set()).add(int(date[8:10]))
    names = sorted((f"{r.first_name or ''} {r.last_name or ''}".strip(), r.id) for r in persons)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([str(year), *range(1, days + 1)])
    for name, person_id in names:
        logged = present.get(person_id, set())
        writer.writerow([name, *("X" if day in logged else "" for day in range(1, days + 1))])
    return out.getvalue()
