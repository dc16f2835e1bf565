"""SAML 2.0 login (Zou's ``SAML_*`` settings) with pysaml2 as the service provider: an AuthnRequest
sent by HTTP-Redirect to the IdP named by its metadata, the signed Response posted back to the ACS
(``.../auth/saml/sso``), the person found by email or created on the first login. Blocking (the
IdP's metadata, xmlsec1): routes call it on the thread pool.

Only answers to a request made here are taken (no unsolicited responses): the request's id travels
as the RelayState, authenticated with the app's key, and each id is taken once per process.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import shutil
import threading
import time
from typing import Any

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS

from foxtrack.auth.sso import SsoRefused
from foxtrack.core.context import AppState

__all__ = ["begin", "finish", "metadata"]

REQUEST_SECONDS = 600
CLIENT_SECONDS = 3600
EMAIL_ATTRIBUTES = ("mail", "email", "emailAddress", "Email")
FIRST_NAME_ATTRIBUTES = ("givenName", "first_name", "FirstName", "firstName")
LAST_NAME_ATTRIBUTES = ("sn", "surname", "last_name", "LastName", "lastName")
_USED_LOCK = threading.Lock()


def _config(state: AppState, base: str, with_idp: bool) -> SPConfig:
    settings = state.settings
    xmlsec = settings.saml_xmlsec_binary or shutil.which("xmlsec1")
    if not xmlsec:
        raise SsoRefused("SAML needs the xmlsec1 program (Debian package xmlsec1) to check signatures.", 500)
    if with_idp and not settings.saml_metadata_url:
        raise SsoRefused("SAML_METADATA_URL is not set.", 500)
    config = SPConfig()
    config.load({
        "entityid": settings.saml_entity_id or f"{base}/auth/saml/metadata",
        "xmlsec_binary": xmlsec,
        "metadata": {"remote": [{"url": settings.saml_metadata_url}]} if with_idp else {},
        "allow_unknown_attributes": True,
        "service": {"sp": {
            "name": "foxtrack",
            "endpoints": {"assertion_consumer_service": [(f"{base}/auth/saml/sso", BINDING_HTTP_POST)]},
            "allow_unsolicited": False,
            "authn_requests_signed": False,
            "want_assertions_signed": True,
            "want_response_signed": False,
            "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
        }},
    })
    return config


def _client(state: AppState, base: str) -> Saml2Client:
    """The SP for this base URL, its IdP metadata read at most every CLIENT_SECONDS."""
    clients: dict[str, tuple[float, Saml2Client]] = state.extras.setdefault("saml_clients", {})
    found = clients.get(base)
    if found is not None and time.monotonic() - found[0] < CLIENT_SECONDS:
        return found[1]
    try:
        client = Saml2Client(config=_config(state, base, with_idp=True))
    except SsoRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - pysaml2 raises many kinds while it reads metadata
        raise SsoRefused(f"The identity provider's metadata cannot be read: {exc}", 502) from None
    clients[base] = (time.monotonic(), client)
    return client


def metadata(state: AppState, base: str) -> str:
    """This service provider's metadata (for the IdP's administrator)."""
    made = create_metadata_string(None, config=_config(state, base, with_idp=False), valid=24 * 365)
    return made.decode() if isinstance(made, bytes) else str(made)


def _mac(state: AppState, text: str) -> str:
    return hmac.new(state.secret.encode(), f"saml-request:{text}".encode(), hashlib.sha256).hexdigest()[:24]


def _request_id(state: AppState) -> str:
    """A request id that proves itself (RelayState must stay under 80 bytes, so no JWT)."""
    body = f"id{int(time.time()) + REQUEST_SECONDS}_{secrets.token_hex(8)}"
    return f"{body}_{_mac(state, body)}"


def _checked_request_id(state: AppState, relay_state: str) -> str:
    body, _, mac = relay_state.rpartition("_")
    expires = body[2:].split("_", 1)[0]
    if not body.startswith("id") or not expires.isdigit() or not hmac.compare_digest(mac, _mac(state, body)):
        raise SsoRefused("The login was not started here: start it again.")
    if int(expires) < time.time():
        raise SsoRefused("The login took too long: start it again.")
    return relay_state


def _take(state: AppState, request_id: str) -> None:
    """Each request is answered once (in this process): a replayed answer is refused."""
    used: dict[str, float] = state.extras.setdefault("saml_used_requests", {})
    now = time.time()
    with _USED_LOCK:
        for old in [k for k, until in used.items() if until < now]:
            del used[old]
        if request_id in used:
            raise SsoRefused("This login answer was already used: start again.")
        used[request_id] = now + REQUEST_SECONDS


def begin(state: AppState, base: str) -> str:
    """The IdP's URL carrying a new AuthnRequest (HTTP-Redirect binding)."""
    client = _client(state, base)
    idps = list(client.metadata.identity_providers())
    if len(idps) != 1:
        raise SsoRefused(f"SAML_METADATA_URL names {len(idps)} identity providers, not one.", 500)
    destination = client.sso_location(idps[0], BINDING_HTTP_REDIRECT)
    request_id, request = client.create_authn_request(destination, binding=BINDING_HTTP_POST,
                                                      message_id=_request_id(state),
                                                      nameid_format=NAMEID_FORMAT_EMAILADDRESS)
    info = client.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination, relay_state=request_id)
    return str(dict(info["headers"])["Location"])


def _first(identity: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        values = identity.get(name)
        if values:
            return str(values[0] if isinstance(values, list) else values)
    return ""


def finish(state: AppState, base: str, saml_response: str, relay_state: str) -> tuple[str, str, str]:
    """Check the IdP's signed answer to a request of ours; the person's email, first and last names."""
    if not saml_response:
        raise SsoRefused("The identity provider sent no SAMLResponse.")
    request_id = _checked_request_id(state, relay_state)
    client = _client(state, base)
    try:
        answer = client.parse_authn_request_response(saml_response, BINDING_HTTP_POST,
                                                     outstanding={request_id: "/"})
    except Exception as exc:  # noqa: BLE001 - pysaml2 raises many kinds for a bad answer
        raise SsoRefused(f"The identity provider's answer is not valid: {type(exc).__name__}: {exc}") from None
    if answer is None:
        raise SsoRefused("The identity provider's answer is not valid.")
    _take(state, request_id)
    identity = answer.get_identity() or {}
    subject = answer.get_subject()
    email = _first(identity, EMAIL_ATTRIBUTES) or str(getattr(subject, "text", "") or "")
    if "@" not in email:
        raise SsoRefused("The identity provider sent no email (mail attribute or email NameID).")
    return email.strip(), _first(identity, FIRST_NAME_ATTRIBUTES), _first(identity, LAST_NAME_ATTRIBUTES)
