"""SAML 2.0 login (issue 12 item 6) against a real identity provider the test starts on loopback
(pysaml2's IdP behind a small WSGI front, ``saml_idp.py``; signatures by xmlsec1): the browser side is
driven with requests (the redirect, the IdP's login form, its auto-posting answer), on a live
foxtrack, SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from foxtrack.testing import ADMIN_EMAIL, RunningServer, drop_postgres, free_port, postgres_url, start_server, stop_process

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36"
USERS = [
    {"username": "carol", "password": "carol-idp-pw", "email": "Carol.King@idp.test", "first_name": "Carol",
     "last_name": "King"},
    {"username": "boss", "password": "boss-idp-pw", "email": ADMIN_EMAIL, "first_name": "Big", "last_name": "Boss"},
]

pytestmark = pytest.mark.skipif(shutil.which("xmlsec1") is None,
                                reason="xmlsec1 is not installed (Debian package xmlsec1; scripts/test.sh installs it as root)")


@dataclass
class IdP:
    port: int
    process: subprocess.Popen[bytes]
    folder: Path

    @property
    def metadata_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/metadata"

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_idp(port: int, sp_metadata_url: str, timeout: float = 60.0) -> IdP:
    folder = Path(tempfile.mkdtemp(prefix="foxtrack-saml-"))
    config = folder / "config.json"
    config.write_text(json.dumps({"port": port, "folder": str(folder), "sp_metadata_url": sp_metadata_url,
                                  "users": USERS}))
    log = open(folder / "idp.log", "wb")  # noqa: SIM115 - closed with the process
    script = Path(__file__).with_name("saml_idp.py")
    process = subprocess.Popen([sys.executable, str(script), str(config)], stdout=log, stderr=subprocess.STDOUT)
    idp = IdP(port, process, folder)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = (folder / "idp.log").read_text(errors="replace")
            idp.stop()
            raise RuntimeError(f"the SAML IdP exited: {text}")
        try:
            if requests.get(idp.metadata_url, timeout=1).status_code == 200:
                return idp
        except requests.RequestException:
            pass
        time.sleep(0.05)
    idp.stop()
    raise RuntimeError("the SAML IdP did not start")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def saml(request: pytest.FixtureRequest) -> Iterator[tuple[RunningServer, IdP]]:
    url = None
    if request.param == "postgresql":
        url = postgres_url()
        if url is None:
            pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    port = free_port()
    server = start_server(database_url=url, env={
        "FOXTRACK_SAML_ENABLED": "true", "FOXTRACK_SAML_IDP_NAME": "Studio SAML",
        "FOXTRACK_SAML_METADATA_URL": f"http://127.0.0.1:{port}/metadata"})
    idp = None
    try:
        idp = start_idp(port, f"{server.api}/auth/saml/metadata")
        yield server, idp
    finally:
        if idp is not None:
            idp.stop()
        server.stop()
        if url:
            drop_postgres(url)


class Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((found.get("action", ""), {}))
        elif tag == "input" and self.forms and found.get("name"):
            self.forms[-1][1][found["name"]] = found.get("value", "")


def form_of(page: requests.Response) -> tuple[str, dict[str, str]]:
    parser = Forms()
    parser.feed(page.text)
    assert parser.forms, page.text[:500]
    action, fields = parser.forms[0]
    return urljoin(page.url, action), fields


def idp_answer(server: RunningServer, username: str, password: str) -> tuple[requests.Session, str, dict[str, str]]:
    """Start at foxtrack and log in at the IdP; the ACS URL and the fields its page would post."""
    browser = requests.Session()
    browser.headers["User-Agent"] = BROWSER
    start = browser.get(f"{server.api}/auth/saml/login", timeout=10, allow_redirects=False)
    assert start.status_code == 302, start.text
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["SAMLRequest"] and len(query["RelayState"][0]) <= 80  # SAML's limit for RelayState
    login_page = browser.get(start.headers["location"], timeout=10)
    assert login_page.status_code == 200, login_page.text[:500]
    action, fields = form_of(login_page)
    answer = browser.post(action, data={**fields, "username": username, "password": password}, timeout=10)
    assert answer.status_code == 200, answer.text[:500]
    acs, posted = form_of(answer)
    assert acs == f"{server.api}/auth/saml/sso" and set(posted) == {"SAMLResponse", "RelayState"}, (acs, posted)
    return browser, acs, posted


def test_config_and_metadata(saml: tuple[RunningServer, IdP]) -> None:
    server, _ = saml
    config = requests.get(f"{server.api}/config", timeout=10).json()
    assert config["saml_enabled"] is True and config["saml_idp_name"] == "Studio SAML"
    metadata = requests.get(f"{server.api}/auth/saml/metadata", timeout=10)
    assert metadata.status_code == 200
    assert f'Location="{server.api}/auth/saml/sso"' in metadata.text and 'WantAssertionsSigned="true"' in metadata.text


def test_first_login_creates_the_account_then_logs_in(saml: tuple[RunningServer, IdP]) -> None:
    server, _ = saml
    browser, acs, posted = idp_answer(server, "carol", "carol-idp-pw")
    done = browser.post(acs, data=posted, timeout=10, allow_redirects=False)
    assert done.status_code == 302 and done.headers["location"] == "/", done.text
    assert "access_token_cookie" in done.cookies
    user = browser.get(f"{server.api}/auth/authenticated", timeout=10).json()["user"]
    assert (user["email"], user["first_name"], user["last_name"], user["role"]) == (
        "Carol.King@idp.test", "Carol", "King", "user")
    # the same answer again is refused (each request is answered once)
    again = requests.post(acs, data=posted, timeout=10, allow_redirects=False)
    assert again.status_code == 400 and "already used" in again.json()["message"], again.text
    # a second login finds the same person
    browser2, acs2, posted2 = idp_answer(server, "carol", "carol-idp-pw")
    assert browser2.post(acs2, data=posted2, timeout=10, allow_redirects=False).status_code == 302
    assert browser2.get(f"{server.api}/auth/authenticated", timeout=10).json()["user"]["id"] == user["id"]


def test_existing_account_by_email(saml: tuple[RunningServer, IdP]) -> None:
    server, _ = saml
    browser, acs, posted = idp_answer(server, "boss", "boss-idp-pw")
    assert browser.post(acs, data=posted, timeout=10, allow_redirects=False).status_code == 302
    user = browser.get(f"{server.api}/auth/authenticated", timeout=10).json()["user"]
    assert user["email"] == ADMIN_EMAIL and user["role"] == "admin"


def test_refusals(saml: tuple[RunningServer, IdP]) -> None:
    server, _ = saml
    _, acs, posted = idp_answer(server, "carol", "carol-idp-pw")
    # an answer edited after the IdP signed it (another email) is refused
    xml = base64.b64decode(posted["SAMLResponse"]).decode()
    assert "Carol.King@idp.test" in xml
    forged = base64.b64encode(xml.replace("Carol.King@idp.test", "mallory@idp.test").encode()).decode()
    answer = requests.post(acs, data={**posted, "SAMLResponse": forged}, timeout=10, allow_redirects=False)
    assert answer.status_code == 400 and "not valid" in answer.json()["message"], answer.text
    assert "access_token_cookie" not in answer.cookies
    # the same with the IdP's signatures taken out: an unsigned assertion is refused
    unsigned = re.sub(r"<(\w+:)?Signature\b.*?</(\w+:)?Signature>", "", xml, flags=re.S)
    assert unsigned != xml and "Signature" not in unsigned
    answer = requests.post(acs, data={**posted, "SAMLResponse": base64.b64encode(unsigned.encode()).decode()},
                           timeout=10, allow_redirects=False)
    assert answer.status_code == 400 and "Signature missing" in answer.json()["message"], answer.text
    # a RelayState that this foxtrack did not make (so no request of ours) is refused
    relay = posted["RelayState"]
    answer = requests.post(acs, data={**posted, "RelayState": relay[:-1] + ("0" if relay[-1] != "0" else "1")},
                           timeout=10, allow_redirects=False)
    assert answer.status_code == 400 and "not started here" in answer.json()["message"]
    # the untouched answer still logs in (the refusals above did not use it up)
    assert requests.post(acs, data=posted, timeout=10, allow_redirects=False).status_code == 302
    # nothing posted
    assert requests.post(acs, data={}, timeout=10, allow_redirects=False).status_code == 400
