"""``/auth/oidc/*`` and ``/auth/saml/*``: single sign-on through an OpenID Connect provider
(``auth.sso``) or a SAML identity provider (``auth.sso_saml``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from foxtrack.auth import sso, sso_saml
from foxtrack.auth.routes import log_in_response
from foxtrack.auth.web import request_is_https
from foxtrack.core.context import app_state
from foxtrack.core.jsonutil import JSON
from foxtrack.openapi import PREFIX_KEY

router = APIRouter(tags=["auth"])


def _refused(exc: sso.SsoRefused, flow_cookie: str) -> Response:
    response = JSON({"error": True, "login": False, "message": exc.message}, status_code=exc.status)
    response.delete_cookie(flow_cookie, path="/")
    return response


def _set_flow_cookie(request: Request, response: Response, name: str, value: str, max_age: int,
                     cross_site_post: bool = False) -> None:
    """The flow's cookie, HttpOnly and Secure over HTTPS. The SAML answer is a POST from the IdP's
    site: a Lax cookie would not come with it, so over HTTPS it is ``SameSite=None`` and over plain
    HTTP it names no SameSite (Chromium then sends it with a top-level POST within two minutes)."""
    secure = request_is_https(request, app_state(request).settings)
    samesite: Literal["lax", "none"] | None = "lax"
    if cross_site_post:
        samesite = "none" if secure else None
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite=samesite, path="/", secure=secure)


def _base(request: Request) -> str:
    """The API's URL as the browser used it: under /api behind Kitsu's proxy layout."""
    return f"{str(request.base_url).rstrip('/')}{request.scope.get(PREFIX_KEY, '')}"


def _callback_url(request: Request) -> str:
    configured = app_state(request).settings.oidc_redirect_uri
    return configured or f"{_base(request)}/auth/oidc/callback"


@router.get("/auth/oidc/login")
def oidc_login(request: Request) -> Response:
    """Send the browser to the OpenID Connect provider (state, nonce and PKCE kept in a signed cookie)."""
    state = app_state(request)
    if not state.settings.oidc_enabled:
        return JSON({"error": True, "message": "OIDC login is not enabled."}, status_code=400)
    try:
        url, flow = sso.begin(state, _callback_url(request))
    except sso.SsoRefused as exc:
        return _refused(exc, sso.FLOW_COOKIE)
    response = RedirectResponse(url, status_code=302)
    _set_flow_cookie(request, response, sso.FLOW_COOKIE, flow, sso.FLOW_SECONDS)
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
        return _refused(exc, sso.FLOW_COOKIE)
    response = _to_ui(request, person_id, state.settings.oidc_skip_2fa)
    response.delete_cookie(sso.FLOW_COOKIE, path="/")
    return response


def _to_ui(request: Request, person_id: str, skip_2fa: bool) -> Response:
    """Log the person in (tokens as cookies) and send the browser to the UI."""
    logged_in = log_in_response(request, person_id, browser=True, skip_2fa=skip_2fa)
    response = RedirectResponse(app_state(request).settings.sso_redirect_url, status_code=302)
    for name, value in logged_in.raw_headers:
        if name == b"set-cookie":
            response.raw_headers.append((name, value))
    return response


SAML_OFF = {"error": True, "message": "SAML login is not enabled."}


@router.get("/auth/saml/login")
def saml_login(request: Request) -> Response:
    """Send the browser to the SAML identity provider with an AuthnRequest (its id kept in a cookie
    of this browser, which the answer must come back with)."""
    state = app_state(request)
    if not state.settings.saml_enabled:
        return JSON(SAML_OFF, status_code=400)
    try:
        url, request_id = sso_saml.begin(state, _base(request))
    except sso.SsoRefused as exc:
        return _refused(exc, sso_saml.FLOW_COOKIE)
    response = RedirectResponse(url, status_code=302)
    _set_flow_cookie(request, response, sso_saml.FLOW_COOKIE, request_id, sso_saml.REQUEST_SECONDS,
                     cross_site_post=True)
    return response


@router.post("/auth/saml/sso")
def saml_sso(request: Request, SAMLResponse: Annotated[str, Form()] = "") -> Response:  # noqa: N803 - SAML's name
    """The identity provider's signed answer (HTTP-POST) to this browser's request: find or create the
    person, log in with cookies and go to the UI."""
    state = app_state(request)
    if not state.settings.saml_enabled:
        return JSON(SAML_OFF, status_code=400)
    try:
        email, first_name, last_name = sso_saml.finish(state, _base(request), SAMLResponse,
                                                       request.cookies.get(sso_saml.FLOW_COOKIE))
        person_id = sso.find_or_create(state, email, first_name, last_name, state.settings.saml_skip_2fa)
    except sso.SsoRefused as exc:
        return _refused(exc, sso_saml.FLOW_COOKIE)
    response = _to_ui(request, person_id, state.settings.saml_skip_2fa)
    response.delete_cookie(sso_saml.FLOW_COOKIE, path="/")
    return response


@router.get("/auth/saml/metadata")
def saml_metadata(request: Request) -> Response:
    """This service provider's SAML metadata (entity id, assertion consumer service), for the IdP."""
    state = app_state(request)
    if not state.settings.saml_enabled:
        return JSON(SAML_OFF, status_code=400)
    try:
        return Response(sso_saml.metadata(state, _base(request)), media_type="application/samlmetadata+xml")
    except sso.SsoRefused as exc:
        return _refused(exc, sso_saml.FLOW_COOKIE)
