"""``/auth/*``: login, authenticated, refresh-token, logout, change-password."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from foxtrack.auth import service, tokens
from foxtrack.core.context import AppState, Ctx, app_state, decode_token
from foxtrack.core.errors import Unauthorized, validation_error
from foxtrack.core.http import json_body
from foxtrack.core.jsonutil import JSON, ok

router = APIRouter(tags=["auth"])

BROWSER_MARKERS = ("Mozilla/", "Chrome/", "Safari/", "Firefox/", "Edg/")


def is_browser(request: Request) -> bool:
    ua = request.headers.get("user-agent", "")
    return any(m in ua for m in BROWSER_MARKERS) and "Gazu" not in ua


def _logged_in(state: AppState, person_id: str, ip: str | None, browser: bool) -> Response:
    """The login's writes and reads (tokens, login log, the user and organisation), on the thread pool;
    a browser also gets the tokens as cookies."""
    access, refresh = tokens.issue_pair(state, person_id)
    service.record_login(state, person_id, ip, "web" if browser else "script")
    with state.read() as conn:
        user = service.person_with_departments(conn, person_id)
        org = service.organisation(conn)
    response = ok({"login": True, "user": user, "organisation": org, "access_token": access,
                   "refresh_token": refresh})
    if browser:
        response.set_cookie("access_token_cookie", access, httponly=True, samesite="lax", path="/")
        response.set_cookie("refresh_token_cookie", refresh, httponly=True, samesite="lax",
                            path="/auth/refresh-token")
    return response


@router.post("/auth/login")
async def login(request: Request) -> Response:
    """Log in with email (or desktop login) and password; answers the tokens and the user."""
    state = app_state(request)
    body = await json_body(request)
    email = body.get("email")
    if not isinstance(email, str) or not email:
        raise validation_error({"email": "Field required"})
    password = body.get("password") or "default"
    ip = request.client.host if request.client else None
    try:
        person_id = await run_in_threadpool(service.authenticate, state, email, str(password), ip or "")
    except service.LoginRefused as refused:
        return JSON(refused.body, status_code=refused.status)
    return await run_in_threadpool(_logged_in, state, person_id, ip, is_browser(request))


@router.get("/auth/authenticated")
def authenticated(ctx: Ctx) -> Response:
    """Who the token belongs to."""
    with ctx.read() as conn:
        user = service.person_with_departments(conn, ctx.person_id)
        org = service.organisation(conn, include_secrets=ctx.is_admin)
    if user is not None:
        user["fido_devices"] = []
    return ok({"authenticated": True, "user": user, "organisation": org})


@router.get("/auth/refresh-token")
def refresh_token(request: Request) -> Response:
    """A new access token from a refresh token (Bearer header or refresh cookie)."""
    state = app_state(request)
    header = request.headers.get("authorization", "")
    token = header.split(None, 1)[1].strip() if header.lower().startswith("bearer ") else None
    token = token or request.cookies.get("refresh_token_cookie")
    if not token:
        raise Unauthorized('Missing JWT in headers or cookies (Missing Authorization Header; Missing cookie "refresh_token_cookie")')
    claims = decode_token(state, token, expected_type="refresh")
    with state.read() as conn:
        from foxtrack.core.context import load_identity

        load_identity(state, conn, claims)
    access = tokens.issue_access(state, claims["sub"], claims.get("jti"))
    response = ok({"access_token": access})
    if is_browser(request):
        response.set_cookie("access_token_cookie", access, httponly=True, samesite="lax", path="/")
    return response


@router.get("/auth/logout")
def logout(ctx: Ctx) -> Response:
    """Revoke the token of this request and its refresh token."""
    service.revoke(ctx.state, [ctx.claims.get("jti", ""), ctx.claims.get("refresh_jti") or ""])
    response = ok({"logout": True})
    response.delete_cookie("access_token_cookie", path="/")
    response.delete_cookie("refresh_token_cookie", path="/auth/refresh-token")
    return response
