"""Browser login for scripts (PKCE): ``POST auth/app-login/code`` and ``POST auth/app-login/token``.

A logged-in person mints a one-time code bound to a PKCE challenge; the script that holds the
verifier trades it, once, for a token pair. The code is a short-lived token signed with the app's
key (so any process can check it) whose id is burnt on the first exchange, right or wrong.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from datetime import UTC, datetime
from typing import Any

import jwt
import sqlalchemy as sa
from fastapi import APIRouter, Request
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from foxtrack.auth import service, tokens
from foxtrack.core import permissions as perm
from foxtrack.core.context import Ctx, RequestContext, app_state
from foxtrack.core.errors import BadRequest, validation_error
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import created, new_id, ok
from foxtrack.db import schema as s

router = APIRouter(tags=["auth"])

APP_LOGIN_CODE_TTL = 120  # seconds
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url SHA-256, unpadded
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
INVALID_CODE = "Invalid, expired or already used code."


def _refused() -> BadRequest:
    return BadRequest(INVALID_CODE, body={"error": True, "message": INVALID_CODE})


def mint_code(ctx: RequestContext, body: dict[str, Any]) -> dict[str, str]:
    perm.require_person(ctx)
    challenge = body.get("code_challenge")
    if not isinstance(challenge, str) or not _CHALLENGE.match(challenge):
        raise validation_error({"code_challenge": "A base64url SHA-256 PKCE challenge is expected."},
                               "Validation error.")
    stamp = int(time.time())
    claims = {"sub": ctx.person_id, "jti": new_id(), "type": "app-login", "challenge": challenge,
              "iat": stamp, "exp": stamp + APP_LOGIN_CODE_TTL}
    return {"code": jwt.encode(claims, ctx.state.secret, algorithm="HS256")}


def exchange(request: Request, body: dict[str, Any]) -> Response:
    state = app_state(request)
    code, verifier = body.get("code"), body.get("code_verifier")
    if not isinstance(code, str) or not code or not isinstance(verifier, str) or not verifier:
        raise validation_error({k: "Field required" for k in ("code", "code_verifier") if not body.get(k)},
                               "Validation error.")
    try:
        claims = jwt.decode(code, state.secret, algorithms=["HS256"], options={"require": ["sub", "jti", "exp"]})
    except jwt.InvalidTokenError as exc:
        raise _refused() from exc
    if claims.get("type") != "app-login":
        raise _refused()
    try:
        with state.write() as tx:  # burnt on the first try, whatever its outcome
            expires = datetime.fromtimestamp(int(claims["exp"]), UTC).strftime("%Y-%m-%dT%H:%M:%S")
            tx.insert(s.revoked_token, {"jti": claims["jti"], "expires_at": expires})
    except IntegrityError as exc:
        raise _refused() from exc
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    if not _VERIFIER.match(verifier) or digest != claims.get("challenge"):
        raise _refused()
    person_id = str(claims["sub"])
    p = s.person.c
    with state.read() as conn:
        person = conn.execute(sa.select(p.active, p.is_bot).where(p.id == person_id)).first()
    if person is None or not person.active or person.is_bot:
        raise _refused()
    access, refresh = tokens.issue_pair(state, person_id)
    ip = request.client.host if request.client else None
    service.record_login(state, person_id, ip, "script")
    with state.read() as conn:
        user = service.person_with_departments(conn, person_id)
        organisation = service.organisation(conn)
    # the same answer as a login, never with cookies
    return ok({"login": True, "user": user, "organisation": organisation, "access_token": access,
               "refresh_token": refresh})


@router.post("/auth/app-login/code")
def app_login_code(payload: JsonBody, ctx: Ctx) -> Response:
    """Mint a one-time login code for a script (``code_challenge``: the PKCE S256 challenge)."""
    return created(mint_code(ctx, payload))


@router.post("/auth/app-login/token")
def app_login_token(payload: JsonBody, request: Request) -> Response:
    """Trade a one-time code and its PKCE ``code_verifier`` for a token pair."""
    return exchange(request, payload)
