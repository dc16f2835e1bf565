"""JWT issuing: HS256 tokens with flask-jwt-extended's claims, so Kitsu clients see the same."""

from __future__ import annotations

import time
from typing import Any

import jwt

from foxtrack.core.context import AppState
from foxtrack.core.jsonutil import new_id


def _encode(state: AppState, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, state.secret, algorithm="HS256")


def issue_pair(state: AppState, person_id: str) -> tuple[str, str]:
    """A fresh (access, refresh) pair for a person; the access token links its refresh jti."""
    now = int(time.time())
    refresh_jti = new_id()
    refresh = _encode(
        state,
        {"sub": person_id, "jti": refresh_jti, "type": "refresh", "iat": now, "nbf": now,
         "exp": now + state.settings.refresh_token_days * 86400, "identity_type": "person"},
    )
    return issue_access(state, person_id, refresh_jti, fresh=True), refresh


def issue_access(state: AppState, person_id: str, refresh_jti: str | None, fresh: bool = False) -> str:
    now = int(time.time())
    return _encode(
        state,
        {"sub": person_id, "jti": new_id(), "type": "access", "fresh": fresh, "iat": now, "nbf": now,
         "exp": now + state.settings.access_token_days * 86400, "identity_type": "person",
         "refresh_jti": refresh_jti},
    )


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
