"""SAML 2.0 login (Zou's ``SAML_*`` settings) with pysaml2 as the service provider: an AuthnRequest
sent by HTTP-Redirect to the IdP named by its metadata, the signed Response posted back to the ACS
(``.../auth/saml/sso``), the person found by email or created on the first login. Blocking (the
IdP's metadata, xmlsec1): routes call it on the thread pool.

Only an answer to a request this server made for this browser is taken: the request's id (which
proves itself with the app's key and expires after REQUEST_SECONDS) is kept in a short-lived cookie of
the browser that started the login, and the signed assertion must answer that id (``InResponseTo``),
so an answer obtained elsewhere cannot be posted into someone else's browser (login CSRF).
IdP-initiated (unsolicited) answers are refused unless ``saml_allow_idp_initiated``. Each request id
and each assertion id is taken once, in the database (``revoked_token``, so every process and a
restart agree): a replayed answer is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import shutil
import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from foxtrack.auth.sessions import stamp_in
from foxtrack.auth.sso import SsoRefused
from foxtrack.core.context import AppState
from foxtrack.db import schema as s

# pysaml2 is imported where SAML is used: importing it (its XML schemas) takes about a second, which
# every server start and every command paid while SAML is off
if TYPE_CHECKING:
    from saml2.client import Saml2Client
    from saml2.config import SPConfig

__all__ = ["FLOW_COOKIE", "REQUEST_SECONDS", "begin", "finish", "metadata"]

FLOW_COOKIE = "saml_flow"
REQUEST_SECONDS = 600
USED_SECONDS = 86400  # how long a used id is remembered: longer than any assertion is valid
CLIENT_SECONDS = 3600
EMAIL_ATTRIBUTES = ("mail", "email", "emailAddress", "Email")
FIRST_NAME_ATTRIBUTES = ("givenName", "first_name", "FirstName", "firstName")
LAST_NAME_ATTRIBUTES = ("sn", "surname", "last_name", "LastName", "lastName")


def _config(state: AppState, base: str, with_idp: bool) -> SPConfig:
    from saml2 import BINDING_HTTP_POST
    from saml2.config import SPConfig
    from saml2.saml import NAMEID_FORMAT_EMAILADDRESS

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
            # which request an answer may answer (this browser's, or none when IdP-initiated
            # answers are allowed) is checked by ``_check_answers``, with messages that say why
            "allow_unsolicited": True,
            "authn_requests_signed": False,
            "want_assertions_signed": True,
            "want_response_signed": False,
            "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
        }},
    })
    return config


def _client(state: AppState, base: str) -> Saml2Client:
    """The SP for this base URL, its IdP metadata read at most every CLIENT_SECONDS."""
    from saml2.client import Saml2Client

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
    from saml2.metadata import create_metadata_string

    made = create_metadata_string(None, config=_config(state, base, with_idp=False), valid=24 * 365)
    return made.decode() if isinstance(made, bytes) else str(made)


def _mac(state: AppState, text: str) -> str:
    return hmac.new(state.secret.encode(), f"saml-request:{text}".encode(), hashlib.sha256).hexdigest()[:24]


def _request_id(state: AppState, lifetime: int = REQUEST_SECONDS) -> str:
    """A request id that proves itself and when it expires (it is also the RelayState, which must stay
    under 80 bytes: no JWT)."""
    body = f"id{int(time.time()) + lifetime}_{secrets.token_hex(8)}"
    return f"{body}_{_mac(state, body)}"


def _checked_request_id(state: AppState, flow_cookie: str) -> str:
    body, _, mac = flow_cookie.rpartition("_")
    expires = body[2:].split("_", 1)[0]
    if not body.startswith("id") or not expires.isdigit() or not hmac.compare_digest(mac, _mac(state, body)):
        raise SsoRefused("The login was not started here: start it again.")
    if int(expires) < time.time():
        raise SsoRefused("The login took too long: start it again.")
    return flow_cookie


def _take_once(state: AppState, ids: list[str]) -> None:
    """Mark the request and assertion ids used (a row each in ``revoked_token``, whose key makes a
    second use fail even when two processes race); refuse an id used before."""
    rows = {f"saml:{hashlib.sha256(i.encode()).hexdigest()[:59]}": stamp_in(USED_SECONDS) for i in ids if i}
    t = s.revoked_token.c
    try:
        with state.write() as tx:
            if tx.execute(sa.select(t.jti).where(t.jti.in_(list(rows))).limit(1)).first() is None:
                tx.insert(s.revoked_token, [{"jti": j, "expires_at": e} for j, e in rows.items()])
                return
    except IntegrityError:
        pass
    raise SsoRefused("This login answer was already used: start again.")


def begin(state: AppState, base: str) -> tuple[str, str]:
    """The IdP's URL carrying a new AuthnRequest (HTTP-Redirect binding), and the request's id for
    the browser's flow cookie."""
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.saml import NAMEID_FORMAT_EMAILADDRESS

    client = _client(state, base)
    idps = list(client.metadata.identity_providers())
    if len(idps) != 1:
        raise SsoRefused(f"SAML_METADATA_URL names {len(idps)} identity providers, not one.", 500)
    destination = client.sso_location(idps[0], BINDING_HTTP_REDIRECT)
    request_id, request = client.create_authn_request(destination, binding=BINDING_HTTP_POST,
                                                      message_id=_request_id(state),
                                                      nameid_format=NAMEID_FORMAT_EMAILADDRESS)
    info = client.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination, relay_state=request_id)
    return str(dict(info["headers"])["Location"]), str(request_id)


def _answered(answer: Any) -> set[str]:
    """The request ids the answer says it answers: the Response's and, in the signed assertion, each
    subject confirmation's (the Response itself may be unsigned, so its own id alone proves nothing)."""
    ids = {str(answer.in_response_to or "")}
    subject = getattr(answer.assertion, "subject", None)
    for confirmation in getattr(subject, "subject_confirmation", None) or []:
        data = getattr(confirmation, "subject_confirmation_data", None)
        ids.add(str(getattr(data, "in_response_to", "") or ""))
    ids.discard("")
    return ids


def _check_answers(state: AppState, answer: Any, request_id: str | None) -> None:
    answered = _answered(answer)
    if request_id is not None and answered == {request_id}:
        return
    if not answered and state.settings.saml_allow_idp_initiated:
        return
    if not answered:
        raise SsoRefused("Logins started at the identity provider are not allowed here (SAML_ALLOW_IDP_INITIATED).")
    raise SsoRefused("This answer is to a login this browser did not start here: start it again.")


def _first(identity: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        values = identity.get(name)
        if values:
            return str(values[0] if isinstance(values, list) else values)
    return ""


def finish(state: AppState, base: str, saml_response: str, flow_cookie: str | None) -> tuple[str, str, str]:
    """Check the IdP's signed answer to the request of this browser's ``flow_cookie`` (or, when they
    are allowed, an IdP-initiated one); the person's email, first and last names."""
    from saml2 import BINDING_HTTP_POST

    if not saml_response:
        raise SsoRefused("The identity provider sent no SAMLResponse.")
    request_id = _checked_request_id(state, flow_cookie) if flow_cookie else None
    if request_id is None and not state.settings.saml_allow_idp_initiated:
        raise SsoRefused("The login was not started here, or in another browser: start it again.")
    client = _client(state, base)
    try:
        answer = client.parse_authn_request_response(saml_response, BINDING_HTTP_POST,
                                                     outstanding={request_id: "/"} if request_id else {})
    except Exception as exc:  # noqa: BLE001 - pysaml2 raises many kinds for a bad answer
        raise SsoRefused(f"The identity provider's answer is not valid: {type(exc).__name__}: {exc}") from None
    if answer is None or answer.assertion is None:
        raise SsoRefused("The identity provider's answer is not valid.")
    _check_answers(state, answer, request_id)
    _take_once(state, [*_answered(answer), str(answer.assertion.id or "")])
    identity = answer.get_identity() or {}
    subject = answer.get_subject()
    email = _first(identity, EMAIL_ATTRIBUTES) or str(getattr(subject, "text", "") or "")
    if "@" not in email:
        raise SsoRefused("The identity provider sent no email (mail attribute or email NameID).")
    return email.strip(), _first(identity, FIRST_NAME_ATTRIBUTES), _first(identity, LAST_NAME_ATTRIBUTES)
