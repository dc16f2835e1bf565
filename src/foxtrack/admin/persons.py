"""Accounts: ``create-bot``, ``change-password``, ``set-person-active``, ``disable-2fa``.

Persons are found by email, or by desktop login as Zou's commands accept; each change records
``person:update`` (or ``person:new``) like the same change made over the API, and the server's
token cache forgets the person's tokens within its few seconds of trust.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from foxtrack.admin.errors import AdminError
from foxtrack.auth import audit
from foxtrack.auth.sessions import password_changed
from foxtrack.auth.tokens import issue_bot_token
from foxtrack.core.context import AppState, Tx
from foxtrack.core.jsonutil import new_id, now
from foxtrack.db import schema as s
from foxtrack.db.seed import hash_password, insert_row

Row = dict[str, Any]
ROLES = ("user", "admin", "supervisor", "manager", "client", "vendor")
MIN_PASSWORD_LENGTH = 8
# the words that mark a second-factor column, whatever the auth code adds next to these
TWO_FACTOR_MARKS = ("totp", "otp", "fido", "two_factor", "webauthn", "mfa")
p = s.person.c


def _find(tx: Tx, who: str) -> Row:
    row = tx.execute(sa.select(p.id, p.email, p.is_bot, p.active).where(
        sa.or_(sa.func.lower(p.email) == who.lower(), p.desktop_login == who)).order_by(p.is_bot)).first()
    if row is None:
        raise AdminError(f"No person has the email or desktop login {who!r}.")
    return dict(row._mapping)


def create_bot(state: AppState, name: str, role: str = "user", expiration_date: str | None = None) -> Row:
    """A bot account and its token (shown once: it is not stored, only its ``jti``)."""
    if role not in ROLES:
        raise AdminError(f"Unknown role {role!r} (one of {', '.join(ROLES)}).")
    if not name.strip():
        raise AdminError("A bot needs a name.")
    if expiration_date is not None:
        try:
            day = dt.date.fromisoformat(expiration_date)
        except ValueError as exc:
            raise AdminError(f"{expiration_date!r} is not a date (YYYY-MM-DD).") from exc
        if day <= dt.date.today():
            raise AdminError("The expiration date must be in the future.")
    jti = new_id()
    with state.write() as tx:
        row = insert_row(tx, s.person, id=new_id(), first_name=name.strip(), last_name="", is_bot=True, role=role,
                         jti=jti, expiration_date=expiration_date, active=True)
        tx.emit("person:new", {"person_id": row["id"]})
    token = issue_bot_token(state, row["id"], jti, expiration_date)
    return {"id": row["id"], "name": name.strip(), "role": role, "expiration_date": expiration_date,
            "access_token": token}


def change_password(state: AppState, who: str, password: str) -> Row:
    """Set a person's password (and lift a login lock from failed attempts); their sessions end."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminError(f"Password is too short (at least {MIN_PASSWORD_LENGTH} characters).")
    hashed = hash_password(password, state.settings.bcrypt_rounds)
    with state.write() as tx:
        person = _find(tx, who)
        if person["is_bot"]:
            raise AdminError("Bots cannot have a password.")
        tx.update(s.person, {"password": hashed, "login_failed_attemps": 0, "last_login_failed": None,
                             "updated_at": now()}, p.id == person["id"])
        tx.emit("person:update", {"person_id": person["id"]})
        # as an admin's change over the API: the person's sessions end, the audit trail and a notice say so
        password_changed(tx, state, person["id"], reason="changed_by_admin")
    state.invalidate_auth()
    return {"id": person["id"], "email": person["email"], "password_changed": True}


def set_active(state: AppState, who: str, active: bool = True) -> Row:
    with state.write() as tx:
        person = _find(tx, who)
        tx.update(s.person, {"active": active, "updated_at": now()}, p.id == person["id"])
        tx.emit("person:update", {"person_id": person["id"]})
    state.invalidate_auth()
    return {"id": person["id"], "email": person["email"], "active": active}


def two_factor_columns() -> list[sa.Column[Any]]:
    """The person's second-factor columns, as the schema has them now."""
    return [col for col in s.person.c if any(mark in col.name for mark in TWO_FACTOR_MARKS)
            and (col.nullable or isinstance(col.type, sa.Boolean))]


def _cleared(col: sa.Column[Any]) -> Any:
    return False if isinstance(col.type, sa.Boolean) else None


def disable_2fa(state: AppState, who: str) -> Row:
    """Turn off every second factor of a person (TOTP, email codes, FIDO keys, recovery codes)."""
    columns = two_factor_columns()
    with state.write() as tx:
        person = _find(tx, who)
        tx.update(s.person, {**{c.name: _cleared(c) for c in columns}, "updated_at": now()}, p.id == person["id"])
        # the codes mailed and the WebAuthn challenges still pending go too, as with the API's route
        tx.delete(s.auth_challenge, s.auth_challenge.c.person_id == person["id"],
                  s.auth_challenge.c.kind.in_(["email_otp", "fido_register", "fido_login"]))
        audit.write(tx, person["id"], event="2fa", reason="disabled_by_admin")
        tx.emit("person:update", {"person_id": person["id"]})
    return {"id": person["id"], "email": person["email"], "cleared": [c.name for c in columns]}
