"""A real SAML 2.0 identity provider for the SAML tests: pysaml2's IdP (``saml2.server.Server``: it
parses the AuthnRequest, builds and signs the Response and its assertion with xmlsec1) behind the
smallest WSGI front (its metadata, a login form, the HTTP-POST answer, and an IdP-initiated login
at ``POST /idp-initiated`` with ``username``, ``password`` and ``sp``: an answer to no request), served
on loopback.

    python saml_idp.py CONFIG.json

CONFIG holds ``port``, ``folder`` (key, certificate), ``sp_metadata_url`` (read when the first
login arrives, so the SP may start after this) and ``users`` (username, password, email,
first_name, last_name).
"""

from __future__ import annotations

import datetime
import html
import json
import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from socketserver import ThreadingMixIn

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server

CONFIG: dict[str, Any] = json.loads(Path(sys.argv[1]).read_text())
FOLDER = Path(CONFIG["folder"])
BASE = f"http://127.0.0.1:{CONFIG['port']}"
USERS = {u["username"]: u for u in CONFIG["users"]}


def _key_and_certificate() -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "foxtrack test IdP")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2)).sign(key, hashes.SHA256()))
    key_file, cert_file = FOLDER / "idp.key", FOLDER / "idp.crt"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


KEY_FILE, CERT_FILE = _key_and_certificate()


def _config(with_sp: bool) -> IdPConfig:
    config = IdPConfig()
    config.load({
        "entityid": f"{BASE}/metadata",
        "xmlsec_binary": shutil.which("xmlsec1"),
        "key_file": str(KEY_FILE), "cert_file": str(CERT_FILE),
        "metadata": {"remote": [{"url": CONFIG["sp_metadata_url"]}]} if with_sp else {},
        "service": {"idp": {
            "name": "foxtrack test IdP",
            "endpoints": {"single_sign_on_service": [(f"{BASE}/sso/redirect", BINDING_HTTP_REDIRECT)]},
            "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
            "sign_response": True, "sign_assertion": True,
            "policy": {"default": {"lifetime": {"minutes": 15}, "attribute_restrictions": None,
                                   "name_form": NAME_FORMAT_URI}},
        }},
    })
    return config


METADATA: bytes = create_metadata_string(None, config=_config(with_sp=False), valid=2)
_server: Server | None = None


def idp() -> Server:
    global _server
    if _server is None:
        _server = Server(config=_config(with_sp=True))
    return _server


def _page(body: str, status: str = "200 OK") -> tuple[str, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "text/html; charset=utf-8")], f"<html><body>{body}</body></html>".encode()


def _login_form(saml_request: str, relay_state: str, error: str = "") -> str:
    return (f"<p>{html.escape(error)}</p><form method='post' action='/sso/login'>"
            f"<input type='hidden' name='SAMLRequest' value='{html.escape(saml_request, quote=True)}'>"
            f"<input type='hidden' name='RelayState' value='{html.escape(relay_state, quote=True)}'>"
            "<input name='username'><input type='password' name='password'><button>Log in</button></form>")


def _signed_post(user: dict[str, str], relay_state: str, **args: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    """The page that posts the user's signed Response (``args``: in_response_to, destination,
    sp_entity_id...) to the SP's ACS."""
    server = idp()
    identity = {"mail": [user["email"]], "givenName": [user["first_name"]], "sn": [user["last_name"]]}
    response = server.create_authn_response(
        identity, userid=user["email"], name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=user["email"]),
        authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
        sign_response=True, sign_assertion=True, **args)
    http = server.apply_binding(BINDING_HTTP_POST, str(response), args["destination"], relay_state, response=True)
    return "200 OK", [("Content-Type", "text/html; charset=utf-8")], str(http["data"]).encode()


def _answer(fields: dict[str, str]) -> tuple[str, list[tuple[str, str]], bytes]:
    server = idp()
    request = server.parse_authn_request(fields["SAMLRequest"], BINDING_HTTP_REDIRECT)
    user = USERS.get(fields.get("username", ""))
    if user is None or user["password"] != fields.get("password"):
        return _page(_login_form(fields["SAMLRequest"], fields.get("RelayState", ""), "Wrong credentials"), "401 Unauthorized")
    return _signed_post(user, fields.get("RelayState", ""), **server.response_args(request.message, [BINDING_HTTP_POST]))


def _unsolicited(fields: dict[str, str]) -> tuple[str, list[tuple[str, str]], bytes]:
    """An IdP-initiated login: a Response to no request, for the SP ``sp`` (its entity id)."""
    user = USERS.get(fields.get("username", ""))
    if user is None or user["password"] != fields.get("password"):
        return _page("Wrong credentials", "401 Unauthorized")
    acs = idp().metadata.assertion_consumer_service(fields["sp"], BINDING_HTTP_POST)[0]["location"]
    return _signed_post(user, "", in_response_to=None, destination=acs, sp_entity_id=fields["sp"])


def _form(environ: dict[str, Any]) -> dict[str, str]:
    size = int(environ.get("CONTENT_LENGTH") or 0)
    return {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(size).decode()).items()}


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    if path == "/metadata":
        status, headers, body = "200 OK", [("Content-Type", "application/samlmetadata+xml")], METADATA
    elif path == "/sso/redirect" and method == "GET":
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        idp().parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)  # refuses a bad request
        status, headers, body = _page(_login_form(query["SAMLRequest"], query.get("RelayState", "")))
    elif path == "/sso/login" and method == "POST":
        status, headers, body = _answer(_form(environ))
    elif path == "/idp-initiated" and method == "POST":
        status, headers, body = _unsolicited(_form(environ))
    else:
        status, headers, body = "404 Not Found", [("Content-Type", "text/plain")], b"not found"
    start_response(status, headers)
    return [body]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


class _Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


print("ready", flush=True)
make_server("127.0.0.1", int(CONFIG["port"]), app, server_class=_Threading, handler_class=_Quiet).serve_forever()
