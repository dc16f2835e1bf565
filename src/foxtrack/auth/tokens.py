"""JWT issuing: HS256 tokens with flask-jwt-extended's claims, so Kitsu clients see the same."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import jwt

from foxtrack.core.context import AppState
from foxtrack.core.jsonutil import new_id
from foxtrack.db import schema as s
from foxtrack.db.seed import insert_row


def _encode(state: AppState, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, state.secret, algorithm="HS256")


def issue_pair(state: AppState, person_id: str, *, origin: str = "script", ip: str | None = None,
               requires_2fa_setup: bool = False) -> tuple[str, str]:
    """A fresh (access, refresh) pair for a person: a new session, recorded (``auth_session``, keyed by
    the refresh jti) so that a logout or a password change can end it; the access token links its
    refresh jti. ``requires_2fa_setup`` marks the tokens of a login that must set up 2FA first."""
    now = int(time.time())
    refresh_jti = new_id()
    expires = now + state.settings.refresh_token_days * 86400
    claims: dict[str, Any] = {"sub": person_id, "jti": refresh_jti, "type": "refresh", "iat": now, "nbf": now,
                              "exp": expires, "identity_type": "person"}
    if requires_2fa_setup:
        claims["requires_2fa_setup"] = True
    refresh = _encode(state, claims)
    stamp = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    with state.write(person_id) as tx:
        insert_row(tx, s.auth_session, id=refresh_jti, person_id=person_id, expires_at=stamp, origin=origin,
                   ip_address=(ip or "")[:60] or None)
    return issue_access(state, person_id, refresh_jti, fresh=True, requires_2fa_setup=requires_2fa_setup), refresh


def issue_access(state: AppState, person_id: str, refresh_jti: str | None, fresh: bool = False,
                 requires_2fa_setup: bool = False) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {"sub": person_id, "jti": new_id(), "type": "access", "fresh": fresh, "iat": now,
                              "nbf": now, "exp": now + state.settings.access_token_days * 86400,
                              "identity_type": "person", "refresh_jti": refresh_jti}
    if requires_2fa_setup:
        claims["requires_2fa_setup"] = True
    return _encode(state, claims)


def issue_bot_token(state: AppState, person_id: str, jti: str, expiration_date: str | None = None) -> str:
    """A long-lived bot token; revoked by giving the bot a new jti."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": person_id, "jti": jti, "type": "access", "fresh": False, "iat": now,
                              "nbf": now, "identity_type": "bot"}
    if expiration_date:
        import datetime as dt

        end = dt.datetime.strptime(expiration_date[:10], "%Y-%m-%d").replace(tzinfo=dt.UTC)
        claims["exp"] = int(end.timestamp()) + 86400
    return _encode(state, claims)
