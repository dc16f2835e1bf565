"""Second factors as Zou has them: TOTP (an authenticator app), one-time codes by email, FIDO/WebAuthn
devices, and recovery codes for when the others are lost.

A person's factors live on their ``person`` row (``totp_*``, ``email_otp_*``, ``fido_*``,
``otp_recovery_codes``, ``preferred_two_factor_authentication``). Emailed codes and WebAuthn
challenges are short-lived rows of ``auth_challenge``, each used once; codes and recovery codes are
kept only as keyed hashes. A TOTP code proves once: the person's last accepted time step
(``person.totp_last_step``) only moves forward, so a code seen once (by a login, or to turn 2FA on or
off) is refused for the rest of its validity window. The routes are in ``auth.twofactor_routes``; a
login checks the factor given with it through ``check_second_factor``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pyotp
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from starlette.requests import Request
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, parse_client_data_json
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import PublicKeyCredentialDescriptor

from foxtrack.auth.sessions import stamp_in
from foxtrack.core.context import AppState, Tx
from foxtrack.core.errors import ApiError, Forbidden
from foxtrack.core.jsonutil import now
from foxtrack.db import schema as s
from foxtrack.db.seed import insert_row

__all__ = ["FACTORS", "RelyingParty", "check_second_factor", "check_setup_gate", "enabled_factors", "factor_given",
           "needs_setup"]

FACTORS = ("totp", "email_otp", "fido")
RECOVERY_CODES = 16
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
FIDO_CHALLENGE_SECONDS = 300
EMAIL_OTP_RESEND_SECONDS = 30
Row = Any


class TwoFactorError(ApiError):
    """Zou's 400 answers of the 2FA routes: ``{"error": true, "message", ...flags}``."""

    def __init__(self, message: str, status: int = 400, **flags: Any):
        super().__init__(message, status=status, body={"error": True, "message": message, **flags})


def wrong_otp(message: str = "OTP verification failed.") -> TwoFactorError:
    return TwoFactorError(message, wrong_OTP=True)


# ----------------------------------------------------------------------------- the person's factors

PERSON_2FA = (s.person.c.id, s.person.c.email, s.person.c.first_name, s.person.c.last_name, s.person.c.active,
              s.person.c.totp_enabled, s.person.c.totp_secret, s.person.c.totp_last_step, s.person.c.email_otp_enabled,
              s.person.c.fido_enabled, s.person.c.fido_credentials, s.person.c.otp_recovery_codes,
              s.person.c.preferred_two_factor_authentication)


def load(conn: Connection | Tx, person_id: str) -> Row:
    row = conn.execute(sa.select(*PERSON_2FA).where(s.person.c.id == person_id)).first()
    if row is None:
        raise ApiError("User not found", status=401)
    return row


def enabled_factors(person: Row) -> list[str]:
    return [f for f in FACTORS if getattr(person, f"{f}_enabled")]


def has_two_factor(person: Row) -> bool:
    return bool(enabled_factors(person))


def preferred(person: Row) -> str | None:
    factors = enabled_factors(person)
    chosen = person.preferred_two_factor_authentication
    return chosen if chosen in factors else (factors[0] if factors else None)


def devices(person: Row) -> list[dict[str, Any]]:
    found = person.fido_credentials
    return [d for d in found if isinstance(d, dict)] if isinstance(found, list) else []


def device_names(person: Row) -> list[str]:
    return [str(d.get("device_name")) for d in devices(person)]


def _keyed(state: AppState, *parts: str) -> str:
    return hmac.new(state.secret.encode(), "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def _set_factors(tx: Tx, person_id: str, values: dict[str, Any]) -> None:
    tx.update(s.person, {**values, "updated_at": now()}, s.person.c.id == person_id)
    tx.emit("person:update", {"person_id": person_id})


def _after_enable(tx: Tx, state: AppState, person: Row, factor: str, values: dict[str, Any]) -> list[str] | None:
    """Turn ``factor`` on; the first factor also gets recovery codes (answered once, in clear)."""
    codes: list[str] | None = None
    if not has_two_factor(person) or not person.otp_recovery_codes:
        codes = new_recovery_codes()
        values["otp_recovery_codes"] = [_keyed(state, "recovery", person.id, _normal(c)) for c in codes]
    if not has_two_factor(person):
        values["preferred_two_factor_authentication"] = factor
    _set_factors(tx, person.id, values)
    return codes


def _after_disable(tx: Tx, person: Row, factor: str, values: dict[str, Any]) -> None:
    left = [f for f in enabled_factors(person) if f != factor]
    if not left:
        values.update({"otp_recovery_codes": None, "preferred_two_factor_authentication": None})
    elif person.preferred_two_factor_authentication == factor or person.preferred_two_factor_authentication not in left:
        values["preferred_two_factor_authentication"] = left[0]
    _set_factors(tx, person.id, values)


# ----------------------------------------------------------------------------- recovery codes

def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    return codes


def _normal(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def use_recovery_code(tx: Tx, state: AppState, person: Row, code: str) -> bool:
    stored = person.otp_recovery_codes if isinstance(person.otp_recovery_codes, list) else []
    digest = _keyed(state, "recovery", person.id, _normal(code))
    if not any(hmac.compare_digest(digest, str(h)) for h in stored):
        return False
    tx.update(s.person, {"otp_recovery_codes": [h for h in stored if h != digest]}, s.person.c.id == person.id)
    return True


def renew_recovery_codes(tx: Tx, state: AppState, person: Row) -> list[str]:
    codes = new_recovery_codes()
    _set_factors(tx, person.id, {"otp_recovery_codes": [_keyed(state, "recovery", person.id, _normal(c))
                                                         for c in codes]})
    return codes


# ----------------------------------------------------------------------------- TOTP

TOTP_WINDOW = 1  # steps of 30 seconds accepted either side of now (clock drift, typing time)


def totp_step(secret: str | None, code: str, at: float | None = None) -> int | None:
    """The time step (``timecode``) whose code ``code`` is, within the window around ``at``, or None."""
    code = (code or "").strip().replace(" ", "")
    if not secret or not code:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time() if at is None else at)
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if hmac.compare_digest(code, totp.generate_otp(step)):
            return step
    return None


def use_totp(tx: Tx, person: Row, code: str) -> bool:
    """Whether ``code`` is a right TOTP code of the person not used before: its step is taken in one
    conditional UPDATE, so two requests with the same code cannot both pass."""
    step = totp_step(person.totp_secret, code)
    if step is None:
        return False
    p = s.person.c
    return tx.update(s.person, {"totp_last_step": step}, p.id == person.id,
                     sa.or_(p.totp_last_step.is_(None), p.totp_last_step < step)) > 0


def pre_enable_totp(tx: Tx, state: AppState, person: Row) -> dict[str, str]:
    if person.totp_enabled:
        raise TwoFactorError(ALREADY_ENABLED["totp"])
    secret = pyotp.random_base32(32)
    tx.update(s.person, {"totp_secret": secret, "totp_last_step": None, "updated_at": now()},
              s.person.c.id == person.id)
    issuer = state.settings.fido_rp_name or "Kitsu"
    uri = pyotp.TOTP(secret).provisioning_uri(name=person.email or person.id, issuer_name=issuer)
    # Zou's key is spelt "provisionning"; both spellings are given
    return {"totp_provisionning_uri": uri, "totp_provisioning_uri": uri, "otp_secret": secret}




# ----------------------------------------------------------------------------- email one-time codes

LIVE_CHALLENGES = 5  # per person and kind: the routes that ask for one are public


def add_challenge(tx: Tx, person_id: str, kind: str, secret: str, seconds: float) -> None:
    """A new challenge; the person's used or expired ones of that kind go, and the oldest live ones
    beyond ``LIVE_CHALLENGES``."""
    c = s.auth_challenge.c
    stamp = now()
    tx.delete(s.auth_challenge, c.person_id == person_id, c.kind == kind,
              sa.or_(c.used_at.is_not(None), c.expires_at <= stamp))
    live = tx.execute(sa.select(c.id).where(c.person_id == person_id, c.kind == kind)
                      .order_by(c.created_at.desc()).offset(LIVE_CHALLENGES - 1)).scalars().all()
    if live:
        tx.delete(s.auth_challenge, c.id.in_(list(live)))
    insert_row(tx, s.auth_challenge, person_id=person_id, kind=kind, secret=secret, expires_at=stamp_in(seconds))


def _take_challenge(tx: Tx, person_id: str, kind: str, secret: str) -> bool:
    """Use, once, a live challenge of ``kind`` holding ``secret``."""
    c = s.auth_challenge.c
    stamp = now()
    return tx.update(s.auth_challenge, {"used_at": stamp, "updated_at": stamp}, c.person_id == person_id,
                     c.kind == kind, c.secret == secret, c.used_at.is_(None), c.expires_at > stamp) > 0


def send_email_otp(tx: Tx, state: AppState, person: Row) -> bool:
    """Mail a fresh code (valid ``email_otp_minutes``); none while one sent in the last 30 seconds is
    still unused (the route that asks for it is public)."""
    from foxtrack import mail

    c = s.auth_challenge.c
    recent = tx.execute(sa.select(c.id).where(
        c.person_id == person.id, c.kind == "email_otp", c.used_at.is_(None),
        c.created_at > stamp_in(-EMAIL_OTP_RESEND_SECONDS)).limit(1)).first()
    if recent is not None:
        return False
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = state.settings.email_otp_minutes
    add_challenge(tx, person.id, "email_otp", _keyed(state, "email_otp", person.id, code), minutes * 60)
    text = (f"Hello {person.first_name},\n\nYour one-time code is {code}.\n"
            f"It expires in {minutes:g} minutes. If you did not try to log in, change your password.\n")
    return mail.queue(tx, state, person.email or "", "Kitsu: your one-time code", text)


def email_otp_ok(tx: Tx, state: AppState, person: Row, code: str) -> bool:
    code = (code or "").strip()
    return bool(code) and _take_challenge(tx, person.id, "email_otp", _keyed(state, "email_otp", person.id, code))


def pre_enable_email_otp(tx: Tx, state: AppState, person: Row) -> None:
    if person.email_otp_enabled:
        raise TwoFactorError(ALREADY_ENABLED["email_otp"])
    send_email_otp(tx, state, person)


# ----------------------------------------------------------------------------- a code's factor on and off

ALREADY_ENABLED = {"totp": "TOTP already enabled.", "email_otp": "OTP by email already enabled."}
NOT_VERIFIED = {"totp": "TOTP verification failed.", "email_otp": "OTP by email verification failed."}
NOT_ENABLED = {"totp": "TOTP not enabled.", "email_otp": "OTP by email not enabled.", "fido": "FIDO not enabled."}
# what turning a factor off clears (FIDO devices go one by one: ``unregister_fido``)
DISABLED = {"totp": {"totp_enabled": False, "totp_secret": None, "totp_last_step": None},
            "email_otp": {"email_otp_enabled": False, "email_otp_secret": None}}


def enable(tx: Tx, state: AppState, person: Row, factor: str, code: str) -> list[str] | None:
    """Turn ``factor`` (``totp`` or ``email_otp``) on with a code of it (the app's, or the one just
    mailed); the recovery codes when it is the person's first factor."""
    if getattr(person, f"{factor}_enabled"):
        raise TwoFactorError(ALREADY_ENABLED[factor])
    proved = use_totp(tx, person, code) if factor == "totp" else email_otp_ok(tx, state, person, code)
    if not proved:
        raise wrong_otp(NOT_VERIFIED[factor])
    return _after_enable(tx, state, person, factor, {f"{factor}_enabled": True})


def disable(tx: Tx, person: Row, factor: str) -> None:
    """Turn ``factor`` (``totp`` or ``email_otp``) off."""
    _after_disable(tx, person, factor, dict(DISABLED[factor]))


# ----------------------------------------------------------------------------- FIDO / WebAuthn

@dataclass(frozen=True)
class RelyingParty:
    """Who the WebAuthn credentials are for: the configured id and origin, else the request's own."""

    id: str
    name: str
    origin: str

    @classmethod
    def of(cls, request: Request, state: AppState) -> RelyingParty:
        from foxtrack.auth.web import request_is_https

        settings = state.settings
        scheme = "https" if request_is_https(request, settings) else "http"
        host = request.headers.get("x-forwarded-host", "").split(",")[0].strip() or request.headers.get("host", "")
        origin = settings.fido_origin or request.headers.get("origin") or f"{scheme}://{host}"
        rp_id = settings.fido_rp_id or (urlsplit(origin).hostname or "localhost")
        return cls(rp_id, settings.fido_rp_name or "Kitsu", origin)


def _descriptors(person: Row) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(str(d["credential_id"]))) for d in devices(person)]


def fido_registration_options(tx: Tx, person: Row, rp: RelyingParty) -> dict[str, Any]:
    options = generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_id=person.id.encode(), user_name=person.email or person.id,
        user_display_name=f"{person.first_name} {person.last_name}".strip(), exclude_credentials=_descriptors(person))
    add_challenge(tx, person.id, "fido_register", bytes_to_base64url(options.challenge), FIDO_CHALLENGE_SECONDS)
    found: dict[str, Any] = json.loads(options_to_json(options))
    return found


def _client_challenge(response: dict[str, Any]) -> str | None:
    try:
        data = response["response"]["clientDataJSON"]
        return bytes_to_base64url(parse_client_data_json(base64url_to_bytes(str(data))).challenge)
    except (KeyError, TypeError, ValueError, Exception):
        return None


def register_fido(tx: Tx, state: AppState, person: Row, rp: RelyingParty, response: Any,
                  device_name: str) -> list[str] | None:
    if not isinstance(response, dict) or not device_name:
        raise TwoFactorError("FIDO server exception your registration response is probly wrong.")
    challenge = _client_challenge(response)
    if challenge is None or not _take_challenge(tx, person.id, "fido_register", challenge):
        raise TwoFactorError("No preregistration before.")
    if device_name in device_names(person):
        raise TwoFactorError("A device with this name is already registered.")
    try:
        verified = verify_registration_response(credential=response, expected_challenge=base64url_to_bytes(challenge),
                                                expected_rp_id=rp.id, expected_origin=rp.origin)
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise TwoFactorError("FIDO server exception your registration response is probly wrong.") from exc
    device = {"device_name": device_name[:80], "credential_id": bytes_to_base64url(verified.credential_id),
              "public_key": bytes_to_base64url(verified.credential_public_key), "sign_count": verified.sign_count,
              "created_at": now()[:19]}
    return _after_enable(tx, state, person, "fido", {"fido_enabled": True,
                                                     "fido_credentials": [*devices(person), device]})


def unregister_fido(tx: Tx, person: Row, device_name: str) -> None:
    left = [d for d in devices(person) if d.get("device_name") != device_name]
    if len(left) == len(devices(person)):
        raise TwoFactorError("FIDO device not found.")
    if left:
        _set_factors(tx, person.id, {"fido_credentials": left})
    else:
        _after_disable(tx, person, "fido", {"fido_enabled": False, "fido_credentials": None})


def fido_authentication_options(tx: Tx, person: Row, rp: RelyingParty) -> dict[str, Any]:
    options = generate_authentication_options(rp_id=rp.id, allow_credentials=_descriptors(person))
    add_challenge(tx, person.id, "fido_login", bytes_to_base64url(options.challenge), FIDO_CHALLENGE_SECONDS)
    found: dict[str, Any] = json.loads(options_to_json(options))
    return found


def fido_ok(tx: Tx, person: Row, rp: RelyingParty, response: Any) -> bool:
    if not isinstance(response, dict) or not person.fido_enabled:
        return False
    challenge = _client_challenge(response)
    raw_id = str(response.get("rawId") or response.get("id") or "")
    device = next((d for d in devices(person) if d.get("credential_id") == raw_id.rstrip("=")), None)
    if challenge is None or device is None or not _take_challenge(tx, person.id, "fido_login", challenge):
        return False
    try:
        verified = verify_authentication_response(
            credential=response, expected_challenge=base64url_to_bytes(challenge), expected_rp_id=rp.id,
            expected_origin=rp.origin, credential_public_key=base64url_to_bytes(str(device["public_key"])),
            credential_current_sign_count=int(device.get("sign_count") or 0))
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
        return False
    updated = [{**d, "sign_count": verified.new_sign_count} if d is device else d for d in devices(person)]
    tx.update(s.person, {"fido_credentials": updated}, s.person.c.id == person.id)
    return True


# ----------------------------------------------------------------------------- checks

SECOND_FACTOR_KEYS = ("totp", "email_otp", "fido_authentication_response", "recovery_code")


def factor_given(body: dict[str, Any]) -> bool:
    return any(body.get(k) for k in SECOND_FACTOR_KEYS)


def check_second_factor(tx: Tx, state: AppState, person: Row, body: dict[str, Any], rp: RelyingParty | None) -> str | None:
    """The factor of ``body`` that proves the person (``totp``, ``email_otp``, ``fido``, ``recovery_code``),
    or None. A code is used up by a success (TOTP steps, email codes, recovery codes, WebAuthn challenges)."""
    totp, email_otp = body.get("totp"), body.get("email_otp")
    fido, recovery = body.get("fido_authentication_response"), body.get("recovery_code")
    if totp and person.totp_enabled and use_totp(tx, person, str(totp)):
        return "totp"
    if email_otp and person.email_otp_enabled and email_otp_ok(tx, state, person, str(email_otp)):
        return "email_otp"
    if fido and rp is not None and fido_ok(tx, person, rp, fido):
        return "fido"
    if recovery and has_two_factor(person) and use_recovery_code(tx, state, person, str(recovery)):
        return "recovery_code"
    return None


# ----------------------------------------------------------------------------- ENFORCE_2FA

def _exempt(state: AppState, email: str | None) -> bool:
    listed = {e.strip().lower() for e in state.settings.enforce_2fa_exempt.split(",") if e.strip()}
    return (email or "").lower() in listed


def needs_setup(state: AppState, person: Row) -> bool:
    """With ENFORCE_2FA, a person without a second factor (and not exempt) must set one up first."""
    return state.settings.enforce_2fa and not has_two_factor(person) and not _exempt(state, person.email)


# what a token marked requires_2fa_setup may reach (paths without the /api prefix)
SETUP_PATHS = ("auth/",)


def check_setup_gate(state: AppState, claims: dict[str, Any], path: str) -> None:
    """403 ``two_factor_authentication_required`` for anything but the auth routes, until the person has
    a second factor (blocking: a database read; called on the thread pool)."""
    path = path.strip("/")
    if path.startswith("api/"):
        path = path[4:]
    if path.startswith(SETUP_PATHS) or not state.settings.enforce_2fa:
        return
    with state.read() as conn:
        person = load(conn, str(claims["sub"]))
    if has_two_factor(person):
        return
    message = "Two-factor authentication setup is required. Please configure 2FA before accessing the API."
    raise Forbidden(message, body={"error": True, "message": message, "two_factor_authentication_required": True})
