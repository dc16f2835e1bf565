"""OpenID Connect login (Zou's ``OIDC_*`` settings): the authorization-code flow with state, nonce and
PKCE (S256) through Authlib, the ID token checked with joserfc against the provider's keys, and the
account found by its email or created on the first login, as Zou does. Blocking (the provider's HTTP
and the database): routes call it on the thread pool.

The state, nonce and code verifier travel in a short-lived cookie signed with the app's key (Zou keeps
them in Flask's session cookie); nothing is stored server-side between the two requests.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import jwt as pyjwt
import sqlalchemy as sa
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from foxtrack.core.context import AppState
from foxtrack.core.models import PERSON
from foxtrack.crud import service as crud
from foxtrack.db import schema as s

if TYPE_CHECKING:  # authlib is imported when OIDC is used (at import it warns about its httpx module)
    from authlib.integrations.httpx_client import OAuth2Client

__all__ = ["FLOW_COOKIE", "SsoRefused", "begin", "find_or_create", "finish", "person_for"]

FLOW_COOKIE = "oidc_flow"
FLOW_SECONDS = 600
METADATA_SECONDS = 3600
HTTP_SECONDS = 10.0


class SsoRefused(Exception):
    """The login cannot go on; ``message`` is safe to show."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Provider:
    metadata: dict[str, Any]
    keys: KeySet
    fetched_at: float


def _provider(state: AppState, refresh: bool = False) -> Provider:
    """The provider's discovery document and signing keys, kept for METADATA_SECONDS."""
    found = state.extras.get("oidc_provider")
    if isinstance(found, Provider) and not refresh and time.monotonic() - found.fetched_at < METADATA_SECONDS:
        return found
    url = state.settings.oidc_discovery_url
    if not url:
        raise SsoRefused("OIDC_DISCOVERY_URL is not set.", 500)
    try:
        metadata = httpx.get(url, timeout=HTTP_SECONDS).raise_for_status().json()
        keys = httpx.get(metadata["jwks_uri"], timeout=HTTP_SECONDS).raise_for_status().json()
        provider = Provider(metadata, KeySet.import_key_set(keys), time.monotonic())
    except (httpx.HTTPError, KeyError, ValueError, JoseError) as exc:
        raise SsoRefused(f"The identity provider cannot be reached: {exc}", 502) from None
    state.extras["oidc_provider"] = provider
    return provider


def _client(state: AppState, redirect_uri: str) -> OAuth2Client:
    from authlib.integrations.httpx_client import OAuth2Client

    settings = state.settings
    return OAuth2Client(settings.oidc_client_id, settings.oidc_client_secret, scope=settings.oidc_scopes,
                        redirect_uri=redirect_uri, code_challenge_method="S256", timeout=HTTP_SECONDS)


def begin(state: AppState, redirect_uri: str) -> tuple[str, str]:
    """The provider's authorization URL and the signed flow cookie that the callback checks."""
    provider = _provider(state)
    flow = {"state": secrets.token_urlsafe(24), "nonce": secrets.token_urlsafe(24),
            "verifier": secrets.token_urlsafe(48), "redirect_uri": redirect_uri,
            "exp": int(time.time()) + FLOW_SECONDS, "typ": "oidc-flow"}
    with _client(state, redirect_uri) as client:
        url, _ = client.create_authorization_url(provider.metadata["authorization_endpoint"], state=flow["state"],
                                                 nonce=flow["nonce"], code_verifier=flow["verifier"])
    return str(url), pyjwt.encode(flow, state.secret, algorithm="HS256")


def _flow(state: AppState, cookie: str | None, returned_state: str | None) -> dict[str, Any]:
    if not cookie:
        raise SsoRefused("The login was not started here or took too long: start it again.")
    try:
        flow: dict[str, Any] = pyjwt.decode(cookie, state.secret, algorithms=["HS256"])
    except pyjwt.PyJWTError:
        raise SsoRefused("The login was not started here or took too long: start it again.") from None
    if flow.get("typ") != "oidc-flow" or not returned_state or not secrets.compare_digest(
            str(flow.get("state")), returned_state):
        raise SsoRefused("The login's state does not match: start it again.")
    return flow


def _id_claims(state: AppState, provider: Provider, id_token: str, nonce: str) -> dict[str, Any]:
    settings = state.settings
    algorithms = provider.metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in algorithms if a != "none" and not a.startswith("HS")] or ["RS256"]
    try:
        try:
            token = jose_jwt.decode(id_token, provider.keys, algorithms=algorithms)
        except JoseError:  # the provider may have rotated its keys since they were read
            token = jose_jwt.decode(id_token, _provider(state, refresh=True).keys, algorithms=algorithms)
        jose_jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "value": provider.metadata["issuer"]},
            aud={"essential": True, "value": settings.oidc_client_id},
            nonce={"essential": True, "value": nonce},
            exp={"essential": True}, sub={"essential": True},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise SsoRefused(f"The identity provider's ID token is not valid: {exc}") from None
    return dict(token.claims)


def finish(state: AppState, cookie: str | None, params: dict[str, str]) -> dict[str, Any]:
    """Check the callback against the flow cookie, exchange the code and check the ID token; the
    provider's claims (ID token, completed by the userinfo endpoint)."""
    flow = _flow(state, cookie, params.get("state"))
    if params.get("error"):
        raise SsoRefused(f"The identity provider refused the login: {params.get('error_description') or params['error']}")
    code = params.get("code")
    if not code:
        raise SsoRefused("The identity provider sent no authorization code.")
    provider = _provider(state)
    try:
        with _client(state, str(flow["redirect_uri"])) as client:
            token = client.fetch_token(provider.metadata["token_endpoint"], code=code,
                                       code_verifier=flow["verifier"])
            id_token = token.get("id_token")
            if not id_token:
                raise SsoRefused("The identity provider sent no ID token (is the openid scope asked?).")
            claims = _id_claims(state, provider, str(id_token), str(flow["nonce"]))
            wanted = (state.settings.oidc_email_claim, state.settings.oidc_given_name_claim,
                      state.settings.oidc_family_name_claim)
            userinfo_url = provider.metadata.get("userinfo_endpoint")
            if userinfo_url and any(k not in claims for k in wanted):
                info = client.get(userinfo_url).raise_for_status().json()
                if str(info.get("sub")) == str(claims["sub"]):  # OIDC core 5.3.2
                    claims = {**info, **claims}
    except SsoRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - Authlib and httpx raise many kinds: all are a refused exchange
        raise SsoRefused(f"The identity provider refused the code: {exc}") from None
    return claims


def _two_factor_on(row: Any) -> bool:
    return bool(row.totp_enabled or row.email_otp_enabled or row.fido_enabled)


def person_for(state: AppState, claims: dict[str, Any]) -> str:
    """The id of the person the OIDC claims name (by email), created on a first login."""
    settings = state.settings
    email = claims.get(settings.oidc_email_claim)
    if not isinstance(email, str) or "@" not in email:
        raise SsoRefused(f"The identity provider sent no email ({settings.oidc_email_claim} claim).")
    if settings.oidc_require_email_verified and claims.get("email_verified") is not True:
        raise SsoRefused("The identity provider has not verified this email address.", 403)
    return find_or_create(state, email, str(claims.get(settings.oidc_given_name_claim) or ""),
                          str(claims.get(settings.oidc_family_name_claim) or ""), settings.oidc_skip_2fa)


def find_or_create(state: AppState, email: str, first_name: str, last_name: str, skip_2fa: bool) -> str:
    """The id of the person with this email, created as an active user on a first login (as Zou does);
    an inactive person, or one with a second factor unless ``skip_2fa``, is refused."""
    p = s.person.c
    with state.write() as tx:
        row = tx.execute(
            sa.select(p.id, p.active, p.totp_enabled, p.email_otp_enabled, p.fido_enabled)
            .where(sa.func.lower(p.email) == email.lower(), p.is_bot.is_not(True))
            .order_by(p.active.desc()).limit(1)
        ).first()
        if row is None:
            person = crud.insert(tx, PERSON, {"email": email, "first_name": (first_name or email.split("@")[0])[:80],
                                              "last_name": last_name[:80], "role": "user", "active": True})
            tx.emit("person:new", {"person_id": person["id"]})
            return str(person["id"])
    if not row.active:
        raise SsoRefused("User is inactive.", 401)
    if _two_factor_on(row) and not skip_2fa:
        raise SsoRefused("Two-factor authentication is on for this account: log in with its password "
                         "and second factor (or set the provider's SKIP_2FA setting).", 403)
    return str(row.id)
