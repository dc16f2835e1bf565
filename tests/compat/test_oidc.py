"""OpenID Connect login (issue 12 item 6) against a real provider the test starts on loopback
(django-oauth-toolkit in a throwaway Django project, ``oidc_provider.py``): the browser side is
driven with requests (redirects followed, the provider's login and consent forms submitted), on a
live foxtrack, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from foxtrack.testing import ADMIN_EMAIL, RunningServer, free_port
from tests.compat.auth_helpers import BROWSER, DATABASES, Service, form_of, live_server

CLIENT_ID = "foxtrack-test"
CLIENT_SECRET = "provider-client-secret-for-tests"
DISCOVERY = "/o/.well-known/openid-configuration"
USERS = [
    {"username": "ann", "password": "ann-provider-pw", "email": "Ann.Lee@idp.test", "first_name": "Ann",
     "last_name": "Lee"},
    {"username": "boss", "password": "boss-provider-pw", "email": ADMIN_EMAIL.upper(), "first_name": "Big",
     "last_name": "Boss"},
    {"username": "unverified", "password": "unverified-pw", "email": "nobody@idp.test", "first_name": "No",
     "last_name": "Body", "email_verified": False},
]


@pytest.fixture(scope="module", params=DATABASES)
def sso(request: pytest.FixtureRequest) -> Iterator[tuple[RunningServer, Service]]:
    # the provider makes its database while foxtrack starts, then waits for the redirect URI
    with Service.launch("oidc_provider.py", free_port(), {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                                          "users": USERS}) as provider:
        with live_server(request.param, {
                "FOXTRACK_OIDC_ENABLED": "true", "FOXTRACK_OIDC_IDP_NAME": "Studio SSO",
                "FOXTRACK_OIDC_DISCOVERY_URL": f"{provider.url}{DISCOVERY}",
                "FOXTRACK_OIDC_CLIENT_ID": CLIENT_ID, "FOXTRACK_OIDC_CLIENT_SECRET": CLIENT_SECRET}) as server:
            (provider.folder / "redirect_uri.tmp").write_text(f"{server.api}/auth/oidc/callback")
            (provider.folder / "redirect_uri.tmp").rename(provider.folder / "redirect_uri")
            provider.wait_until_serving(DISCOVERY)
            yield server, provider


def submit(browser: requests.Session, page: requests.Response, fields: dict[str, str]) -> requests.Response:
    action, values = form_of(page)
    return browser.post(action, data={**values, **fields}, timeout=10, allow_redirects=False)


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


def test_config_names_the_provider(sso: tuple[RunningServer, Service]) -> None:
    server, _ = sso
    config = requests.get(f"{server.api}/config", timeout=10).json()
    assert config["oidc_enabled"] is True and config["oidc_idp_name"] == "Studio SSO"
    # the flow cookie: Lax (the provider sends the browser back with a top-level GET), Secure over HTTPS
    tls = requests.get(f"{server.api}/auth/oidc/login", headers={"X-Forwarded-Proto": "https"}, timeout=10,
                       allow_redirects=False).headers["set-cookie"].lower()
    assert tls.startswith("oidc_flow=") and "samesite=lax" in tls and "; secure" in tls and "httponly" in tls, tls


def test_first_login_creates_the_account_then_logs_in(sso: tuple[RunningServer, Service]) -> None:
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


def test_existing_account_by_email(sso: tuple[RunningServer, Service]) -> None:
    server, _ = sso
    browser, callback = to_callback(server, "boss", "boss-provider-pw")
    assert browser.get(callback, timeout=10, allow_redirects=False).status_code == 302
    user = browser.get(f"{server.api}/auth/authenticated", timeout=10).json()["user"]
    assert user["email"] == ADMIN_EMAIL and user["role"] == "admin"


def test_refusals(sso: tuple[RunningServer, Service]) -> None:
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


def test_a_callback_logs_in_only_the_browser_that_started_it(sso: tuple[RunningServer, Service]) -> None:
    """Login CSRF: the attacker's own callback (their code and state) opened in the victim's browser,
    which has a login of its own going on, is refused; so is the attacker's code with the victim's
    state (the code was issued for the attacker's PKCE challenge and nonce)."""
    server, _ = sso
    _, attacker_callback = to_callback(server, "ann", "ann-provider-pw")
    victim, victim_callback = to_callback(server, "boss", "boss-provider-pw")
    victim_flow = str(victim.cookies.get("oidc_flow"))
    answer = victim.get(attacker_callback, timeout=10, allow_redirects=False)
    assert answer.status_code == 400 and "state does not match" in answer.json()["message"], answer.text
    assert "access_token_cookie" not in answer.cookies
    code = parse_qs(urlsplit(attacker_callback).query)["code"][0]
    state = parse_qs(urlsplit(victim_callback).query)["state"][0]
    swapped = requests.get(f"{server.api}/auth/oidc/callback", params={"code": code, "state": state},
                           cookies={"oidc_flow": victim_flow}, timeout=10, allow_redirects=False)
    assert swapped.status_code == 400 and "invalid_grant" in swapped.json()["message"], swapped.text  # PKCE
    assert "access_token_cookie" not in swapped.cookies
    # the victim's own callback still logs the victim in
    done = requests.get(victim_callback, cookies={"oidc_flow": victim_flow}, headers={"User-Agent": BROWSER},
                        timeout=10, allow_redirects=False)
    assert done.status_code == 302 and "access_token_cookie" in done.cookies, done.text
