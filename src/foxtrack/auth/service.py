"""Login rules: password check, second factor, lockout, login logs, the user and organisation payloads."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.auth import audit, twofactor
from foxtrack.auth import ldap
from foxtrack.auth.throttle import LoginThrottle
from foxtrack.core.context import AppState
from foxtrack.core.jsonutil import now
from foxtrack.core.models import MODELS, PERSON
from foxtrack.db import schema as s
from foxtrack.db.seed import check_password, hash_password


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


@dataclass
class LoginAttempt:
    """What a login gives besides the email and password: the second factor's fields (Zou's ``totp``,
    ``email_otp``, ``fido_authentication_response``, ``recovery_code``), where it comes from, and the
    WebAuthn relying party its FIDO answer is checked against."""

    second_factor: dict[str, Any] = field(default_factory=dict)
    address: str = ""
    origin: str = "script"
    rp: twofactor.RelyingParty | None = None
    skip_2fa: bool = False


LOGIN_COLUMNS = (*twofactor.PERSON_2FA, s.person.c.password, s.person.c.desktop_login,
                 s.person.c.preview_project_id, s.person.c.preview_opened_at, s.person.c.preview_open_until)


def _preview_window_open(row: Any) -> bool:
    """A production's preview account logs in only while a manager holds its window open."""
    from foxtrack.projects.preview_account import window_open

    return window_open(row.preview_opened_at, row.preview_open_until)


def _password_ok(state: AppState, person_row: Any, email: str, password: str) -> bool:
    """Whether ``password`` is the known person's (blocking: bcrypt). The one place a password is
    checked: another strategy (LDAP) dispatches here."""
    if ldap.uses_ldap(state.settings):
        return ldap.verify(state, dict(person_row._mapping), password)
    return bool(person_row.password) and check_password(password, person_row.password)


def _refuse(state: AppState, person_id: str | None, reason: str, attempt: LoginAttempt, email: str,
            body: dict[str, Any], status: int = 400) -> LoginRefused:
    audit.record(state, person_id, success=False, reason=reason, ip=attempt.address, origin=attempt.origin,
                 email=email)
    return LoginRefused(body, status)


def authenticate(state: AppState, email: str, password: str, address: str = "",
                 attempt: LoginAttempt | None = None) -> str:
    """Return the person id for valid credentials (and second factor, when the person has one), or
    raise LoginRefused with Zou's flags (blocking: the database and bcrypt; routes call it on the thread
    pool). Failures are throttled per account and client ``address`` (``auth.throttle``), a wrong second
    factor included; an unknown email costs a bcrypt check as a known one. Every refusal is audited."""
    attempt = attempt or LoginAttempt(address=address)
    address = attempt.address = attempt.address or address
    p = s.person
    with state.read() as conn:
        row = conn.execute(
            sa.select(*LOGIN_COLUMNS)
            .where(
                sa.or_(sa.func.lower(p.c.email) == email.lower(), p.c.desktop_login == email),
                p.c.is_bot.is_not(True),
            )
            .order_by(p.c.active.desc())
            .limit(1)
        ).first()
    account = str(row.id) if row is not None else f"email:{email.lower()}"
    person_id = str(row.id) if row is not None else None
    attempts = throttle(state)
    if not attempts.claim(account, address):
        raise _refuse(state, person_id, "too_many_attempts", attempt, email, dict(TOO_MANY))
    if row is None:
        check_password(password, _dummy_hash(state))
        raise _refuse(state, None, "unknown_email", attempt, email, dict(LOGIN_FAILED))
    if password == "default" and not row.password:
        attempts.release(account, address)
        raise _refuse(state, person_id, "default_password", attempt, email,
                      {"login": False, "default_password": True, "message": "Password must be set."})
    if not _password_ok(state, row, email, password):
        # Zou's columns keep the count (reset by a successful login); the lock is the throttle's
        with state.write() as tx:
            tx.update(p, {"login_failed_attemps": sa.func.coalesce(p.c.login_failed_attemps, 0) + 1,
                          "last_login_failed": now()}, p.c.id == row.id)
        raise _refuse(state, person_id, "wrong_password", attempt, email, dict(LOGIN_FAILED))
    if not row.active or (row.preview_project_id is not None and not _preview_window_open(row)):
        attempts.release(account, address)
        raise _refuse(state, person_id, "inactive", attempt, email,
                      {"login": False, "message": "User is inactive."}, status=401)
    if twofactor.has_two_factor(row) and not attempt.skip_2fa:
        if not twofactor.factor_given(attempt.second_factor):
            attempts.release(account, address)  # not a guess: the client asks which factor to give
            raise _refuse(state, person_id, "missing_otp", attempt, email, {
                "error": True, "login": False, "missing_OTP": True,
                "message": "A two-factor authentication code is required.",
                "preferred_two_factor_authentication": twofactor.preferred(row),
                # Zou lists recovery codes first: Kitsu's login form offers the others from this list
                "two_factor_authentication_enabled": ["recovery_code", *twofactor.enabled_factors(row)]})
        with state.write(person_id) as tx:
            proved = twofactor.check_second_factor(tx, state, row, attempt.second_factor, attempt.rp)
        if proved is None:  # counts as a failed attempt: the claim is kept
            raise _refuse(state, person_id, "wrong_otp", attempt, email,
                          {"error": True, "login": False, "wrong_OTP": True,
                           "message": "Wrong two-factor authentication code."})
    attempts.release(account, address)
    return str(row.id)


def record_login(state: AppState, person_id: str, ip: str | None, origin: str) -> None:
    with state.write(person_id) as tx:
        tx.update(s.person, {"login_failed_attemps": 0, "last_presence": now()[:10]}, s.person.c.id == person_id)
        audit.write(tx, person_id, ip=ip, origin=origin)
