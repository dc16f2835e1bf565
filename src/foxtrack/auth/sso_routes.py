"""``/auth/oidc/*``: single sign-on through an OpenID Connect provider (``auth.sso``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from foxtrack.auth import sso
from foxtrack.auth.routes import log_in_response
from foxtrack.core.context import app_state
from foxtrack.core.jsonutil import JSON
from foxtrack.openapi import PREFIX_KEY

router = APIRouter(tags=["auth"])


def _refused(exc: sso.SsoRefused) -> Response:
    response = JSON({"error": True, "login": False, "message": exc.message}, status_code=exc.status)
    response.delete_cookie(sso.FLOW_COOKIE, path="/")
    return response


def _callback_url(request: Request) -> str:
    configured = app_state(request).settings.oidc_redirect_uri
    if configured:
        return configured
    # the path the browser used: under /api behind Kitsu's proxy layout
    prefix = str(request.scope.get(PREFIX_KEY, ""))
    return f"{str(request.base_url).rstrip('/')}{prefix}/auth/oidc/callback"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/auth/oidc/login")
def oidc_login(request: Request) -> Response:
    """Send the browser to the OpenID Connect provider (state, nonce and PKCE kept in a signed cookie)."""
    state = app_state(request)
    if not state.settings.oidc_enabled:
        return JSON({"error": True, "message": "OIDC login is not enabled."}, status_code=400)
    try:
        url, flow = sso.begin(state, _callback_url(request))
    except sso.SsoRefused as exc:
        return _refused(exc)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(sso.FLOW_COOKIE, flow, max_age=sso.FLOW_SECONDS, httponly=True, samesite="lax",
                        path="/", secure=_secure(request))
    return response


@router.get("/auth/oidc/callback")
def oidc_callback(request: Request) -> Response:
    """The provider's answer: exchange the code, find or create the person, log in with cookies and
    go to the UI."""
    state = app_state(request)
    if not state.settings.oidc_enabled:
        return JSON({"error": True, "message": "OIDC login is not enabled."}, status_code=400)
    try:
        claims = sso.finish(state, request.cookies.get(sso.FLOW_COOKIE), dict(request.query_params))
        person_id = sso.person_for(state, claims)
    except sso.SsoRefused as exc:
        return _refused(exc)
    logged_in = log_in_response(request, person_id, browser=True, skip_2fa=state.settings.oidc_skip_2fa)
    response = RedirectResponse(state.settings.sso_redirect_url, status_code=302)
    for name, value in logged_in.raw_headers:
        if name == b"set-cookie":
            response.raw_headers.append((name, value))
    response.delete_cookie(sso.FLOW_COOKIE, path="/")
    return response
