"""SAML 2.0 login (issue 12 item 6) against a real identity provider the test starts on loopback
(pysaml2's IdP behind a small WSGI front, ``saml_idp.py``; signatures by xmlsec1): the browser side is
driven with requests (the redirect, the IdP's login form, its auto-posting answer), on a live
foxtrack, SQLite and PostgreSQL. An answer logs in only the browser whose request it answers (login
CSRF), once (replays); IdP-initiated answers are refused, and taken only with the setting that allows
them (checked in process against the same IdP)."""

from __future__ import annotations

import base64
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from foxtrack.app import build_state
from foxtrack.auth import sso_saml
from foxtrack.auth.sso import SsoRefused
from foxtrack.config import Settings
from foxtrack.core.context import AppState
from foxtrack.db.engine import migrate
from foxtrack.testing import ADMIN_EMAIL, RunningServer, free_port, start_server
from tests.compat.auth_helpers import BROWSER, DATABASES, Service, form_of, live_server

USERS = [
    {"username": "carol", "password": "carol-idp-pw", "email": "Carol.King@idp.test", "first_name": "Carol",
     "last_name": "King"},
    {"username": "boss", "password": "boss-idp-pw", "email": ADMIN_EMAIL, "first_name": "Big", "last_name": "Boss"},
]
FLOW = sso_saml.FLOW_COOKIE

pytestmark = pytest.mark.skipif(shutil.which("xmlsec1") is None,
                                reason="xmlsec1 is not installed (Debian package xmlsec1; scripts/test.sh installs it as root)")


def saml_env(idp_port: int) -> dict[str, str]:
    return {"FOXTRACK_SAML_ENABLED": "true", "FOXTRACK_SAML_IDP_NAME": "Studio SAML",
            "FOXTRACK_SAML_METADATA_URL": f"http://127.0.0.1:{idp_port}/metadata"}


@pytest.fixture(scope="module", params=DATABASES)
def saml(request: pytest.FixtureRequest) -> Iterator[tuple[RunningServer, Service]]:
    port = free_port()
    with (live_server(request.param, saml_env(port)) as server,
          Service.launch("saml_idp.py", port, {"sp_metadata_url": f"{server.api}/auth/saml/metadata",
                                               "users": USERS}) as idp):
        idp.wait_until_serving("/metadata")
        yield server, idp


def idp_answer(server: RunningServer, username: str, password: str) -> tuple[requests.Session, str, dict[str, str]]:
    """Start at foxtrack and log in at the IdP; the browser (holding its flow cookie), the ACS URL and
    the fields the IdP's page would post."""
    browser = requests.Session()
    browser.headers["User-Agent"] = BROWSER
    start = browser.get(f"{server.api}/auth/saml/login", timeout=10, allow_redirects=False)
    assert start.status_code == 302, start.text
    assert browser.cookies.get(FLOW)
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


def post(acs: str, fields: dict[str, str], flow: str | None) -> requests.Response:
    """What a browser holding the flow cookie ``flow`` (or none) posts to the ACS."""
    return requests.post(acs, data=fields, cookies={FLOW: flow} if flow else {}, headers={"User-Agent": BROWSER},
                         timeout=10, allow_redirects=False)


def unsolicited(server: RunningServer, idp: Service, username: str, password: str) -> tuple[str, dict[str, str]]:
    """An IdP-initiated login at the IdP: the ACS URL and the fields of its answer to no request."""
    page = requests.post(f"{idp.url}/idp-initiated", timeout=10, data={
        "username": username, "password": password, "sp": f"{server.api}/auth/saml/metadata"})
    assert page.status_code == 200, page.text[:500]
    return form_of(page)


def refused(answer: requests.Response, words: str) -> bool:
    return (answer.status_code == 400 and words in answer.json()["message"]
            and "access_token_cookie" not in answer.cookies)


def test_config_and_metadata(saml: tuple[RunningServer, Service]) -> None:
    server, _ = saml
    config = requests.get(f"{server.api}/config", timeout=10).json()
    assert config["saml_enabled"] is True and config["saml_idp_name"] == "Studio SAML"
    metadata = requests.get(f"{server.api}/auth/saml/metadata", timeout=10)
    assert metadata.status_code == 200
    assert f'Location="{server.api}/auth/saml/sso"' in metadata.text and 'WantAssertionsSigned="true"' in metadata.text


def test_the_flow_cookie_comes_back_with_the_idps_post(saml: tuple[RunningServer, Service]) -> None:
    """The IdP's answer is a cross-site POST: no SameSite=Lax on the flow cookie. Over HTTPS (here: a
    trusted proxy, loopback by default, saying so) it is SameSite=None and Secure."""
    server, _ = saml
    plain = requests.get(f"{server.api}/auth/saml/login", timeout=10, allow_redirects=False).headers["set-cookie"]
    assert plain.startswith(f"{FLOW}=") and "httponly" in plain.lower(), plain
    assert "samesite" not in plain.lower() and "secure" not in plain.lower(), plain
    tls = requests.get(f"{server.api}/auth/saml/login", headers={"X-Forwarded-Proto": "https"}, timeout=10,
                       allow_redirects=False).headers["set-cookie"].lower()
    assert "samesite=none" in tls and "; secure" in tls, tls


def test_first_login_creates_the_account_then_logs_in(saml: tuple[RunningServer, Service]) -> None:
    server, _ = saml
    browser, acs, posted = idp_answer(server, "carol", "carol-idp-pw")
    flow = browser.cookies.get(FLOW)
    done = browser.post(acs, data=posted, timeout=10, allow_redirects=False)
    assert done.status_code == 302 and done.headers["location"] == "/", done.text
    assert "access_token_cookie" in done.cookies and browser.cookies.get(FLOW) is None  # the flow is over
    user = browser.get(f"{server.api}/auth/authenticated", timeout=10).json()["user"]
    assert (user["email"], user["first_name"], user["last_name"], user["role"]) == (
        "Carol.King@idp.test", "Carol", "King", "user")
    # the same answer again, even with the flow cookie kept, is refused (each is taken once)
    assert refused(post(acs, posted, flow), "already used")
    # a second login finds the same person
    browser2, acs2, posted2 = idp_answer(server, "carol", "carol-idp-pw")
    assert browser2.post(acs2, data=posted2, timeout=10, allow_redirects=False).status_code == 302
    assert browser2.get(f"{server.api}/auth/authenticated", timeout=10).json()["user"]["id"] == user["id"]


def test_existing_account_by_email(saml: tuple[RunningServer, Service]) -> None:
    server, _ = saml
    browser, acs, posted = idp_answer(server, "boss", "boss-idp-pw")
    assert browser.post(acs, data=posted, timeout=10, allow_redirects=False).status_code == 302
    user = browser.get(f"{server.api}/auth/authenticated", timeout=10).json()["user"]
    assert user["email"] == ADMIN_EMAIL and user["role"] == "admin"


def test_a_replay_is_refused_by_another_process(saml: tuple[RunningServer, Service]) -> None:
    """The used ids are in the database: a second foxtrack on it (another worker, or the same after a
    restart) refuses the replay too."""
    server, idp = saml
    browser, acs, posted = idp_answer(server, "carol", "carol-idp-pw")
    flow = str(browser.cookies.get(FLOW))
    assert post(acs, posted, flow).status_code == 302
    other = start_server(database_url=server.database_url, data_dir=server.data_dir, env=saml_env(idp.port))
    try:  # posted as the browser would post it: to the address the IdP names (the Host header)
        answer = requests.post(f"{other.api}/auth/saml/sso", data=posted, cookies={FLOW: flow}, timeout=10,
                               allow_redirects=False, headers={"User-Agent": BROWSER, "Host": f"127.0.0.1:{server.port}"})
        assert refused(answer, "already used"), answer.text
    finally:
        other.stop()


def test_an_answer_logs_in_only_the_browser_that_asked(saml: tuple[RunningServer, Service]) -> None:
    """Login CSRF: an answer the attacker got for their own account, posted from the victim's browser."""
    server, _ = saml
    attacker, acs, posted = idp_answer(server, "carol", "carol-idp-pw")
    victim = requests.Session()
    victim.get(f"{server.api}/auth/saml/login", timeout=10, allow_redirects=False)  # a login of its own going on
    assert refused(post(acs, posted, victim.cookies.get(FLOW)), "did not start")
    assert refused(post(acs, posted, None), "not started here")  # a browser that started no login
    flow = str(attacker.cookies.get(FLOW))
    assert refused(post(acs, posted, flow[:-1] + ("0" if flow[-1] != "0" else "1")), "not started here")
    # none of that used the answer up: it still logs in the browser that asked for it
    assert post(acs, posted, flow).status_code == 302


def test_refusals(saml: tuple[RunningServer, Service]) -> None:
    server, _ = saml
    browser, acs, posted = idp_answer(server, "carol", "carol-idp-pw")
    flow = browser.cookies.get(FLOW)
    # an answer edited after the IdP signed it (another email) is refused
    xml = base64.b64decode(posted["SAMLResponse"]).decode()
    assert "Carol.King@idp.test" in xml
    forged = base64.b64encode(xml.replace("Carol.King@idp.test", "mallory@idp.test").encode()).decode()
    assert refused(post(acs, {**posted, "SAMLResponse": forged}, flow), "not valid")
    # the same with the IdP's signatures taken out: an unsigned assertion is refused
    unsigned = re.sub(r"<(\w+:)?Signature\b.*?</(\w+:)?Signature>", "", xml, flags=re.S)
    assert unsigned != xml and "Signature" not in unsigned
    answer = post(acs, {**posted, "SAMLResponse": base64.b64encode(unsigned.encode()).decode()}, flow)
    assert refused(answer, "Signature missing"), answer.text
    # the untouched answer still logs in (the refusals above did not use it up)
    assert post(acs, posted, flow).status_code == 302
    # nothing posted
    assert post(acs, {}, flow).status_code == 400


def test_idp_initiated_answers_are_refused(saml: tuple[RunningServer, Service]) -> None:
    server, idp = saml
    acs, posted = unsolicited(server, idp, "carol", "carol-idp-pw")
    assert acs == f"{server.api}/auth/saml/sso"
    assert refused(post(acs, posted, None), "not started here")
    # with a login of this browser going on, the answer to no request is refused all the same
    browser = requests.Session()
    browser.get(f"{server.api}/auth/saml/login", timeout=10, allow_redirects=False)
    assert refused(post(acs, posted, browser.cookies.get(FLOW)), "SAML_ALLOW_IDP_INITIATED")


@pytest.fixture()
def permissive(saml: tuple[RunningServer, Service], tmp_path: Path) -> Iterator[AppState]:
    """In process: a foxtrack of the same entity id as the live one, that takes IdP-initiated answers."""
    _, idp = saml
    state = build_state(Settings(data_dir=tmp_path, saml_enabled=True, saml_metadata_url=f"{idp.url}/metadata",
                                 saml_allow_idp_initiated=True))
    migrate(state.engine)
    try:
        yield state
    finally:
        state.engine.dispose()


def test_idp_initiated_answers_with_the_setting(saml: tuple[RunningServer, Service], permissive: AppState) -> None:
    server, idp = saml
    _, posted = unsolicited(server, idp, "carol", "carol-idp-pw")
    assert sso_saml.finish(permissive, server.api, posted["SAMLResponse"], None) == ("Carol.King@idp.test", "Carol",
                                                                                      "King")
    with pytest.raises(SsoRefused, match="already used"):  # once
        sso_saml.finish(permissive, server.api, posted["SAMLResponse"], None)
    # an answer to a request (another browser's) is still not taken without that request's cookie
    _, _, solicited = idp_answer(server, "carol", "carol-idp-pw")
    with pytest.raises(SsoRefused, match="did not start"):
        sso_saml.finish(permissive, server.api, solicited["SAMLResponse"], None)
    # a flow cookie past its time
    with pytest.raises(SsoRefused, match="took too long"):
        sso_saml.finish(permissive, server.api, solicited["SAMLResponse"], sso_saml._request_id(permissive, -1))
