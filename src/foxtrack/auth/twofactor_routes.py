"""The 2FA routes as Kitsu's UI calls them: ``auth/totp``, ``auth/email-otp``, ``auth/fido`` (GET,
PUT, POST, DELETE) and ``PUT auth/recovery-codes``.

PUT prepares a factor (a TOTP secret and its provisioning URI, an emailed code, WebAuthn registration
options), POST confirms it (answering the recovery codes when it is the person's first factor),
DELETE turns it off given a valid second factor. ``GET auth/email-otp?email=`` and
``GET auth/fido?email=`` are public: the login form asks for a code or a WebAuthn challenge before
the person is logged in. Every change is written to the audit trail (``auth.audit``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.auth import audit, twofactor
from foxtrack.auth.twofactor import RelyingParty, TwoFactorError
from foxtrack.core import permissions as perm
from foxtrack.core.context import AppState, Ctx, RequestContext, Tx, app_state
from foxtrack.core.errors import validation_error
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import ok
from foxtrack.db import schema as s

router = APIRouter(tags=["auth"])


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _audit(ctx: RequestContext, request: Request, reason: str) -> None:
    audit.record(ctx.state, ctx.person_id, event="2fa", reason=reason, ip=_address(request))


def _proved(ctx: RequestContext, request: Request, body: dict[str, Any]) -> Any:
    """The caller's person row once ``body`` holds a valid second factor (throttled as logins are)."""
    from foxtrack.auth.service import throttle

    perm.require_person(ctx)
    attempts, key, address = throttle(ctx.state), f"2fa:{ctx.person_id}", _address(request)
    with ctx.write() as tx:
        person = twofactor.load(tx, ctx.person_id)
        if not twofactor.has_two_factor(person):
            raise TwoFactorError("No two factor authentication enabled.")
        if not attempts.claim(key, address):
            raise TwoFactorError("Too many failed attempts.", too_many_failed_login_attemps=True)
        proved = twofactor.check_second_factor(tx, ctx.state, person, body, RelyingParty.of(request, ctx.state))
    if proved is None:
        audit.record(ctx.state, ctx.person_id, event="2fa", success=False, reason="wrong_otp", ip=address)
        raise twofactor.wrong_otp()
    attempts.release(key, address)
    return person


def _turn_on(ctx: RequestContext, request: Request, body: dict[str, Any], factor: str) -> Response:
    """The POST of a code's factor: on with a code of it (the body's ``totp`` or ``email_otp``), audited."""
    perm.require_person(ctx)
    with ctx.write() as tx:
        codes = twofactor.enable(tx, ctx.state, twofactor.load(tx, ctx.person_id), factor,
                                 str(body.get(factor) or ""))
    _audit(ctx, request, f"{factor}_enabled")
    return ok({"otp_recovery_codes": codes})


def _turn_off(ctx: RequestContext, request: Request, body: dict[str, Any], factor: str,
              change: Callable[[Tx, Any], None] | None = None, reason: str = "") -> Response:
    """The DELETE of a factor: it must be on, the caller proves themself with a second factor, then
    ``change`` (by default: the factor turned off) and its audit line (``<factor>_disabled``)."""
    with ctx.read() as conn:
        if not getattr(twofactor.load(conn, ctx.person_id), f"{factor}_enabled"):
            raise TwoFactorError(twofactor.NOT_ENABLED[factor])
    _proved(ctx, request, body)
    with ctx.write() as tx:
        person = twofactor.load(tx, ctx.person_id)
        if change is None:
            twofactor.disable(tx, person, factor)
        else:
            change(tx, person)
    _audit(ctx, request, reason or f"{factor}_disabled")
    return ok({"success": True})


def _person_by_email(state: AppState, email: Any) -> Any:
    if not isinstance(email, str) or not email:
        raise validation_error({"email": "Field required"})
    p = s.person.c
    with state.read() as conn:
        found = conn.execute(sa.select(p.id).where(
            sa.or_(sa.func.lower(p.email) == email.lower(), p.desktop_login == email),
            p.is_bot.is_not(True), p.active.is_(True)).order_by(p.created_at).limit(1)).scalar()
        return twofactor.load(conn, found) if found else None


# ----------------------------------------------------------------------------- TOTP

@router.put("/auth/totp")
def pre_enable_totp(request: Request, ctx: Ctx) -> Response:
    """A new TOTP secret and its provisioning URI, to confirm with ``POST auth/totp``."""
    perm.require_person(ctx)
    with ctx.write() as tx:
        return ok(twofactor.pre_enable_totp(tx, ctx.state, twofactor.load(tx, ctx.person_id)))


@router.post("/auth/totp")
def enable_totp(payload: JsonBody, request: Request, ctx: Ctx) -> Response:
    """Turn TOTP on with a code of the authenticator app (``totp``)."""
    return _turn_on(ctx, request, payload, "totp")


@router.delete("/auth/totp")
def disable_totp(payload: JsonBody, request: Request, ctx: Ctx) -> Response:
    """Turn TOTP off, given a valid second factor."""
    return _turn_off(ctx, request, payload, "totp")


# ----------------------------------------------------------------------------- email one-time codes

@router.get("/auth/email-otp")
def send_email_otp(request: Request) -> Response:
    """Mail a one-time code to the person of ``email`` when they use codes by email. The answer is the
    same whoever the email is (it tells nobody which accounts exist)."""
    state = app_state(request)
    person = _person_by_email(state, request.query_params.get("email"))
    if person is not None and person.email_otp_enabled:
        with state.write(person.id) as tx:
            twofactor.send_email_otp(tx, state, person)
    return ok({"success": True})


@router.put("/auth/email-otp")
def pre_enable_email_otp(request: Request, ctx: Ctx) -> Response:
    """Mail a code to the caller, to confirm with ``POST auth/email-otp``."""
    perm.require_person(ctx)
    with ctx.write() as tx:
        twofactor.pre_enable_email_otp(tx, ctx.state, twofactor.load(tx, ctx.person_id))
    return ok({"success": True})


@router.post("/auth/email-otp")
def enable_email_otp(payload: JsonBody, request: Request, ctx: Ctx) -> Response:
    """Turn codes by email on with the code just mailed (``email_otp``)."""
    return _turn_on(ctx, request, payload, "email_otp")


@router.delete("/auth/email-otp")
def disable_email_otp(payload: JsonBody, request: Request, ctx: Ctx) -> Response:
    """Turn codes by email off, given a valid second factor."""
    return _turn_off(ctx, request, payload, "email_otp")


# ----------------------------------------------------------------------------- FIDO / WebAuthn

@router.get("/auth/fido")
def fido_challenge(request: Request) -> Response:
    """WebAuthn authentication options (a challenge) for the devices of the person of ``email``."""
    state = app_state(request)
    person = _person_by_email(state, request.query_params.get("email"))
    if person is None or not person.fido_enabled:
        raise TwoFactorError(twofactor.NOT_ENABLED["fido"])
    with state.write(person.id) as tx:
        return ok(twofactor.fido_authentication_options(tx, person, RelyingParty.of(request, state)))


@router.put("/auth/fido")
def pre_register_fido(request: Request, ctx: Ctx) -> Response:
    """WebAuthn registration options for a new device of the caller."""
    perm.require_person(ctx)
    with ctx.write() as tx:
        person = twofactor.load(tx, ctx.person_id)
        return ok(twofactor.fido_registration_options(tx, person, RelyingParty.of(request, ctx.state)))


@router.post("/auth/fido")
def register_fido(payload: JsonBody, request: Request, ctx: Ctx) -> Response:
    """Register a device from its answer to the registration options (``registration_response``,
    ``device_name``)."""
    perm.require_person(ctx)
    name = payload.get("device_name")
    if not isinstance(name, str) or not name.strip():
        raise validation_error({"device_name": "Field required"})
    with ctx.write() as tx:
        codes = twofactor.register_fido(tx, ctx.state, twofactor.load(tx, ctx.person_id),
                                        RelyingParty.of(request, ctx.state), payload.get("registration_response"),
                                        name.strip())
    _audit(ctx, request, "fido_registered")
    return ok({"otp_recovery_codes": codes})


@router.delete("/auth/fido")
def unregister_fido(payload: JsonBody, request: Request, ctx: Ctx) -> Response:
    """Remove a device (``device_name``), given a valid second factor."""
    name = payload.get("device_name")
    if not isinstance(name, str) or not name:
        raise validation_error({"device_name": "Field required"})
    return _turn_off(ctx, request, payload, "fido", lambda tx, person: twofactor.unregister_fido(tx, person, name),
                     "fido_removed")


# ----------------------------------------------------------------------------- recovery codes

@router.put("/auth/recovery-codes")
def new_recovery_codes(payload: JsonBody, request: Request, ctx: Ctx) -> Response:
    """New recovery codes (the old ones stop working), given a valid second factor."""
    _proved(ctx, request, payload)
    with ctx.write() as tx:
        codes = twofactor.renew_recovery_codes(tx, ctx.state, twofactor.load(tx, ctx.person_id))
    _audit(ctx, request, "recovery_codes_renewed")
    return ok({"otp_recovery_codes": codes})
