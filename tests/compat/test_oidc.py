"""OpenID Connect login (issue 12 item 6) against a real provider the test starts on loopback
(django-oauth-toolkit in a throwaway Django project, ``oidc_provider.py``): the browser side is
driven with requests (redirects followed, the provider's login and consent forms submitted), on a
live foxtrack, SQLite and PostgreSQL."""

from __future__ import annotations

import json
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

CLIENT_ID = "foxtrack-test"
CLIENT_SECRET = "provider-client-secret-for-tests"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36"
USERS = [
    {"username": "ann", "password": "ann-provider-pw", "email": "Ann.Lee@idp.test", "first_name": "Ann",
     "last_name": "Lee"},
    {"username": "boss", "password": "boss-provider-pw", "email": ADMIN_EMAIL.upper(), "first_name": "Big",
     "last_name": "Boss"},
    {"username": "unverified", "password": "unverified-pw", "email": "nobody@idp.test", "first_name": "No",
     "last_name": "Body", "email_verified": False},
]


@dataclass
class Provider:
    port: int
    process: subprocess.Popen[bytes]
    folder: Path

    @property
    def discovery_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/o/.well-known/openid-configuration"

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)


def launch_provider(port: int) -> Provider:
    """Start the provider; it makes its database while the caller starts foxtrack, then waits for
    the redirect URI (``Provider.ready``)."""
    folder = Path(tempfile.mkdtemp(prefix="foxtrack-oidc-"))
    config = folder / "config.json"
    config.write_text(json.dumps({"port": port, "folder": str(folder), "client_id": CLIENT_ID,
                                  "client_secret": CLIENT_SECRET, "users": USERS}))
    log = open(folder / "provider.log", "wb")  # noqa: SIM115 - closed with the process
    script = Path(__file__).with_name("oidc_provider.py")
    process = subprocess.Popen([sys.executable, str(script), str(config)], stdout=log, stderr=subprocess.STDOUT)
    return Provider(port, process, folder)


def wait_ready(provider: Provider, redirect_uri: str, timeout: float = 60.0) -> None:
    (provider.folder / "redirect_uri.tmp").write_text(redirect_uri)
    (provider.folder / "redirect_uri.tmp").rename(provider.folder / "redirect_uri")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if provider.process.poll() is not None:
            raise RuntimeError(f"the OIDC provider exited: {(provider.folder / 'provider.log').read_text()}")
        try:
            if requests.get(provider.discovery_url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError("the OIDC provider did not start")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sso(request: pytest.FixtureRequest) -> Iterator[tuple[RunningServer, Provider]]:
    url = None
    if request.param == "postgresql":
        url = postgres_url()
        if url is None:
            pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    provider = launch_provider(free_port())
    server = None
    try:
        server = start_server(database_url=url, env={
            "FOXTRACK_OIDC_ENABLED": "true", "FOXTRACK_OIDC_IDP_NAME": "Studio SSO",
            "FOXTRACK_OIDC_DISCOVERY_URL": provider.discovery_url,
            "FOXTRACK_OIDC_CLIENT_ID": CLIENT_ID, "FOXTRACK_OIDC_CLIENT_SECRET": CLIENT_SECRET})
        wait_ready(provider, f"{server.api}/auth/oidc/callback")
        yield server, provider
    finally:
        provider.stop()
        if server is not None:
            server.stop()
        if url:
            drop_postgres(url)


class Forms(HTMLParser):
    """The forms of a page: action and fields (hidden and named submit buttons included)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((found.get("action", ""), {}))
        elif tag in ("input", "button") and self.forms and found.get("name"):
            self.forms[-1][1][found["name"]] = found.get("value", "")


def submit(browser: requests.Session, page: requests.Response, fields: dict[str, str]) -> requests.Response:
    parser = Forms()
    parser.feed(page.text)
    assert parser.forms, page.text[:500]
    action, values = parser.forms[0]
    return browser.post(urljoin(page.url, action or page.url), data={**values, **fields}, timeout=10,
                        allow_redirects=False)


def follow(browser: requests.Session, answer: requests.Response) -> requests.Response:
    for _ in range(10):
        if answer.status_code not in (301, 302, 303) or "/auth/oidc/callback" in answer.headers["location"]:
            return answer
        answer = browser.get(urljoin(answer.url, answer.headers["location"]), timeout=10, allow_redirects=False)
    raise AssertionError("too many redirects")


def to_callback(server: RunningServer, username: str, password: str,
                browser: requests.Session | None = None) -> tuple[requests.Session, str]:
    """Start at foxtrack, log in at the provider and consent; the callback URL it sends us to."""
    browser = browser or requests.Session()
    browser.headers["User-Agent"] = BROWSER
    start = browser.get(f"{server.api}/auth/oidc/login", timeout=10, allow_redirects=False)
    assert start.status_code == 302, start.text
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"] and query["nonce"], query
    page = follow(browser, start)
    if "password" in page.text and "username" in page.text:  # the provider's login form
        page = follow(browser, submit(browser, page, {"username": username, "password": password}))
    assert page.status_code == 200 and "Authorize" in page.text, page.text[:500]  # the consent page
    answer = submit(browser, page, {"allow": "Authorize"})
    assert answer.status_code == 302, answer.text[:500]
    callback = answer.headers["location"]
    assert callback.startswith(f"{server.api}/auth/oidc/callback?"), callback
    return browser, callback


def test_config_names_the_provider(sso: tuple[RunningServer, Provider]) -> None:
    server, _ = sso
    config = requests.get(f"{server.api}/config", timeout=10).json()
    assert config["oidc_enabled"] is True and config["oidc_idp_name"] == "Studio SSO"


def test_first_login_creates_the_account_then_logs_in(sso: tuple[RunningServer, Provider]) -> None:
    server, _ = sso
    browser, callback = to_callback(server, "ann", "ann-provider-pw")
    flow = browser.cookies.get("oidc_flow")
    assert flow
    done = browser.get(callback, timeout=10, allow_redirects=False)
    assert done.status_code == 302 and done.headers["location"] == "/", done.text
    assert "access_token_cookie" in done.cookies and "refresh_token_cookie" in done.cookies
    me = browser.get(f"{server.api}/auth/authenticated", timeout=10)
    assert me.status_code == 200, me.text
    user = me.json()["user"]
    assert (user["email"], user["first_name"], user["last_name"], user["role"], user["active"]) == (
        "Ann.Lee@idp.test", "Ann", "Lee", "user", True)
    assert browser.cookies.get("oidc_flow") is None  # the flow is over
    # the code was used: the same callback again (with the flow cookie) is refused by the provider
    again = requests.get(callback, cookies={"oidc_flow": flow}, timeout=10, allow_redirects=False)
    assert again.status_code == 400 and "refused the code" in again.json()["message"], again.text

    # a second login finds the same person
    browser2, callback2 = to_callback(server, "ann", "ann-provider-pw")
    assert browser2.get(callback2, timeout=10, allow_redirects=False).status_code == 302
    me2 = browser2.get(f"{server.api}/auth/authenticated", timeout=10).json()["user"]
    assert me2["id"] == user["id"]
    admin = requests.post(f"{server.api}/auth/login", json={"email": server.email, "password": server.password},
                          timeout=10).json()["access_token"]
    persons = requests.get(f"{server.api}/data/persons", headers={"Authorization": f"Bearer {admin}"},
                           timeout=10).json()
    assert [p["email"].lower() for p in persons].count("ann.lee@idp.test") == 1


def test_existing_account_by_email(sso: tuple[RunningServer, Provider]) -> None:
    server, _ = sso
    browser, callback = to_callback(server, "boss", "boss-provider-pw")
    assert browser.get(callback, timeout=10, allow_redirects=False).status_code == 302
    user = browser.get(f"{server.api}/auth/authenticated", timeout=10).json()["user"]
    assert user["email"] == ADMIN_EMAIL and user["role"] == "admin"


def test_refusals(sso: tuple[RunningServer, Provider]) -> None:
    server, _ = sso
    # the state must be the one this browser's flow cookie signs
    browser, callback = to_callback(server, "ann", "ann-provider-pw")
    cookie = browser.cookies.get("oidc_flow")
    forged = callback.replace("state=", "state=x")
    answer = browser.get(forged, timeout=10, allow_redirects=False)
    assert answer.status_code == 400 and "state" in answer.json()["message"], answer.text
    # another browser (no flow cookie) cannot use this browser's code
    stranger = requests.get(callback, headers={"User-Agent": BROWSER}, timeout=10, allow_redirects=False)
    assert stranger.status_code == 400 and "access_token_cookie" not in stranger.cookies
    # the provider's refusal is passed on
    state = parse_qs(urlsplit(callback).query)["state"][0]
    refused = requests.get(f"{server.api}/auth/oidc/callback", params={"state": state, "error": "access_denied"},
                           cookies={"oidc_flow": cookie or ""}, timeout=10, allow_redirects=False)
    assert refused.status_code == 400 and "access_denied" in refused.json()["message"]
    # an email the provider has not verified makes no account
    browser3, callback3 = to_callback(server, "unverified", "unverified-pw")
    answer = browser3.get(callback3, timeout=10, allow_redirects=False)
    assert answer.status_code == 403 and "verified" in answer.json()["message"]
    assert "access_token_cookie" not in answer.cookies
