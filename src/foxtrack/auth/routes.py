"""``/auth/*``: login (with a second factor), authenticated, refresh-token, logout; the 2FA, password
reset and audit routes are included from their modules."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from foxtrack.auth import audit, reset_password, service, sessions, tokens, twofactor, twofactor_routes, web
from foxtrack.core.context import AppState, Ctx, app_state, decode_token, load_identity
from foxtrack.core.errors import Unauthorized, validation_error
from foxtrack.core.http import json_body
from foxtrack.core.jsonutil import JSON, ok

router = APIRouter(tags=["auth"])

BROWSER_MARKERS = ("Mozilla/", "Chrome/", "Safari/", "Firefox/", "Edg/")

__all__ = ["client_address", "is_browser", "log_in_response", "router"]


def is_browser(request: Request) -> bool:
    ua = request.headers.get("user-agent", "")
    return any(m in ua for m in BROWSER_MARKERS) and "Gazu" not in ua


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def log_in_response(request: Request, person_id: str, *, browser: bool | None = None,
                    skip_2fa: bool = False) -> Response:
    """Log this (already authenticated) person in: a new session, its tokens, the login log, the
    user and organisation; a browser also gets the tokens as cookies (blocking: call it on the thread
    pool). SSO logins call it too; with ENFORCE_2FA a person without a second factor gets tokens that
    only reach the 2FA set-up, unless ``skip_2fa`` (Zou's ``*_SKIP_2FA`` settings)."""
    state = app_state(request)
    browser = is_browser(request) if browser is None else browser
    ip = client_address(request)
    origin = "web" if browser else "script"
    with state.read() as conn:
        setup = not skip_2fa and twofactor.needs_setup(state, twofactor.load(conn, person_id))
    access, refresh = tokens.issue_pair(state, person_id, origin=origin, ip=ip, requires_2fa_setup=setup)
    service.record_login(state, person_id, ip, origin)
    with state.read() as conn:
        user = service.person_with_departments(conn, person_id)
        org = service.organisation(conn)
    body = {"login": True, "user": user, "organisation": org, "access_token": access, "refresh_token": refresh}
    if setup:
        body["two_factor_authentication_required"] = True
    response = ok(body)
    if browser:
        web.set_login_cookies(request, response, state.settings, access, refresh)
    return response


_logged_in = log_in_response  # the name the SSO modules were told about


@router.post("/auth/login")
async def login(request: Request) -> Response:
    """Log in with email (or desktop login) and password, and a second factor when the person has one
    (``totp``, ``email_otp``, ``fido_authentication_response`` or ``recovery_code``); answers the tokens
    and the user."""
    state = app_state(request)
    body = await json_body(request)
    email = body.get("email")
    if not isinstance(email, str) or not email:
        raise validation_error({"email": "Field required"})
    password = body.get("password") or "default"
    attempt = service.LoginAttempt(
        second_factor={k: body.get(k) for k in twofactor.SECOND_FACTOR_KEYS if body.get(k)},
        address=client_address(request) or "", origin="web" if is_browser(request) else "script",
        rp=twofactor.RelyingParty.of(request, state))
    try:
        person_id = await run_in_threadpool(service.authenticate, state, email, str(password), attempt.address,
                                            attempt)
    except service.LoginRefused as refused:
        return JSON(refused.body, status_code=refused.status)
    return await run_in_threadpool(log_in_response, request, person_id)


@router.get("/auth/authenticated")
def authenticated(ctx: Ctx) -> Response:
    """Who the token belongs to (with the names of their FIDO devices, as Zou answers)."""
    with ctx.read() as conn:
        user = service.person_with_departments(conn, ctx.person_id)
        org = service.organisation(conn, include_secrets=ctx.is_admin)
        # the devices are read only for a person with FIDO on (turning it off drops them): one
        # statement less on the call the Kitsu UI makes at every page load
        factors = twofactor.load(conn, ctx.person_id) if user is not None and user.get("fido_enabled") else None
    if user is not None:
        user["fido_devices"] = twofactor.device_names(factors) if factors is not None else []
    return ok({"authenticated": True, "user": user, "organisation": org})


def _refresh(state: AppState, request: Request) -> Response:
    header = request.headers.get("authorization", "")
    token = header.split(None, 1)[1].strip() if header.lower().startswith("bearer ") else None
    token = token or request.cookies.get(web.REFRESH_COOKIE)
    if not token:
        raise Unauthorized('Missing JWT in headers or cookies (Missing Authorization Header; Missing cookie "refresh_token_cookie")')
    claims = decode_token(state, token, expected_type="refresh")
    with state.read() as conn:
        load_identity(state, conn, claims)
    access = tokens.issue_access(state, claims["sub"], claims.get("jti"),
                                 requires_2fa_setup=bool(claims.get("requires_2fa_setup")))
    response = ok({"access_token": access})
    if is_browser(request):
        web.set_access_cookie(request, response, state.settings, access)
    return response


@router.get("/auth/refresh-token")
def refresh_token(request: Request) -> Response:
    """A new access token from a refresh token (Bearer header or refresh cookie), in the same session."""
    return _refresh(app_state(request), request)


@router.get("/auth/logout")
def logout(request: Request, ctx: Ctx) -> Response:
    """End this session: the access token, its refresh token and every access token refreshed from it."""
    sessions.end_session(ctx.state, ctx.claims)
    audit.record(ctx.state, ctx.person_id, event="logout", ip=client_address(request),
                 origin="web" if is_browser(request) else "script")
    response = ok({"logout": True})
    web.clear_cookies(response)
    return response


# the 2FA, password reset and audit routes, as plain routes of this router (what the app flattens)
for _module in (twofactor_routes, reset_password, audit):
    router.routes.extend(_module.router.routes)
