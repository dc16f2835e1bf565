"""Login rules: password check, lockout, login logs, the user and organisation payloads."""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.auth.throttle import LoginThrottle
from foxtrack.core.context import AppState
from foxtrack.core.jsonutil import now
from foxtrack.core.models import MODELS, PERSON
from foxtrack.db import schema as s
from foxtrack.db.seed import check_password, hash_password, insert_row


def person_with_departments(conn: Connection, person_id: str) -> dict[str, Any] | None:
    person = PERSON.get(conn, person_id)
    if person is not None:
        PERSON.add_relations(conn, [person])
    return person


def organisation(conn: Connection, include_secrets: bool = True) -> dict[str, Any]:
    model = MODELS["organisations"]
    row = conn.execute(model.select().order_by(s.organisation.c.created_at).limit(1)).first()
    if row is None:
        return {}
    org = model.to_dict(row)
    if not include_secrets:
        for key in ("chat_token_slack", "chat_webhook_mattermost", "chat_token_discord"):
            org[key] = ""
    return org


class LoginRefused(Exception):
    def __init__(self, body: dict[str, Any], status: int = 400):
        super().__init__(body.get("message", "login refused"))
        self.body = body
        self.status = status


LOGIN_FAILED = {"login": False, "message": "Login failed."}
TOO_MANY = {"login": False, "too_many_failed_login_attemps": True, "message": "Too many failed login attempts."}


def throttle(state: AppState) -> LoginThrottle:
    found = state.extras.get("login_throttle")
    if found is None:
        settings = state.settings
        found = state.extras["login_throttle"] = LoginThrottle(
            settings.login_max_failures, settings.login_max_failures_per_address, settings.login_lock_seconds)
    assert isinstance(found, LoginThrottle)
    return found


def _dummy_hash(state: AppState) -> str:
    """A hash of the configured cost, checked for unknown emails so they take as long as a wrong password."""
    found = state.extras.get("login_dummy_hash")
    if found is None:
        found = state.extras["login_dummy_hash"] = hash_password(secrets.token_hex(16), state.settings.bcrypt_rounds)
    return str(found)


def authenticate(state: AppState, email: str, password: str, address: str = "") -> str:
    """Return the person id for valid credentials, or raise LoginRefused with Zou's flags (blocking:
    the database and bcrypt; routes call it on the thread pool). Failures are throttled per account
    and client ``address`` (``auth.throttle``); an unknown email costs a bcrypt check as a known one."""
    p = s.person
    with state.read() as conn:
        row = conn.execute(
            sa.select(p.c.id, p.c.password, p.c.active)
            .where(
                sa.or_(sa.func.lower(p.c.email) == email.lower(), p.c.desktop_login == email),
                p.c.is_bot.is_not(True),
            )
            .order_by(p.c.active.desc())
            .limit(1)
        ).first()
    account = str(row[0]) if row is not None else f"email:{email.lower()}"
    attempts = throttle(state)
    if not attempts.claim(account, address):
        raise LoginRefused(dict(TOO_MANY))
    if row is None:
        check_password(password, _dummy_hash(state))
        raise LoginRefused(dict(LOGIN_FAILED))
    person_id, hashed, active = row
    if password == "default" and not hashed:
        attempts.release(account, address)
        raise LoginRefused({"login": False, "default_password": True, "message": "Password must be set."})
    if not check_password(password, hashed):
        # Zou's columns keep the count (reset by a successful login); the lock is the throttle's
        with state.write() as tx:
            tx.update(p, {"login_failed_attemps": sa.func.coalesce(p.c.login_failed_attemps, 0) + 1,
                          "last_login_failed": now()}, p.c.id == person_id)
        raise LoginRefused(dict(LOGIN_FAILED))
    attempts.release(account, address)
    if not active:
        raise LoginRefused({"login": False, "message": "User is inactive."}, status=401)
    return str(person_id)


def record_login(state: AppState, person_id: str, ip: str | None, origin: str) -> None:
    with state.write(person_id) as tx:
        tx.update(s.person, {"login_failed_attemps": 0, "last_presence": now()[:10]}, s.person.c.id == person_id)
        insert_row(tx, s.login_log, person_id=person_id, ip_address=ip, origin=origin, success=True)


def revoke(state: AppState, jtis: list[str]) -> None:
    for jti in jtis:
        state.invalidate_auth(jti)
    with state.write() as tx:
        for jti in jtis:
            if not jti:
                continue
            exists = tx.execute(sa.select(s.revoked_token.c.jti).where(s.revoked_token.c.jti == jti)).first()
            if exists is None:
                tx.insert(s.revoked_token, {"jti": jti, "expires_at": now()})
