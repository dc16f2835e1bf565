"""Sessions on a live server (issue 12): a logout ends every token of its session, refreshed ones
included; a password change (own or an admin's) ends every session of that person; cookies carry
Secure behind TLS and a refresh cookie that works under /api; cookie-authenticated writes from another
site are refused; the audit trail records logins, failures with their reason and logouts."""

from __future__ import annotations

import uuid

import requests

from foxtrack.testing import RunningServer
from tests.compat.auth_helpers import BROWSER, PASSWORD, bearer, call, login, new_person, token_of


def admin(server: RunningServer) -> str:
    return token_of(server.api, server.email, server.password)


def status(server: RunningServer, token: str, path: str = "auth/authenticated") -> int:
    return requests.get(f"{server.api}/{path}", headers=bearer(token), timeout=30).status_code


def refreshed(server: RunningServer, refresh: str) -> requests.Response:
    return requests.get(f"{server.api}/auth/refresh-token", headers=bearer(refresh), timeout=30)


def test_logout_ends_tokens_refreshed_before_it(server: RunningServer) -> None:
    person = new_person(server.api, admin(server))
    answer = login(server.api, person["email"]).json()
    access, refresh = answer["access_token"], answer["refresh_token"]
    later = refreshed(server, refresh).json()["access_token"]
    assert status(server, later) == 200  # used (and remembered by the auth cache) before the logout
    other = login(server.api, person["email"]).json()["access_token"]  # another session of the person

    assert requests.get(f"{server.api}/auth/logout", headers=bearer(access), timeout=30).json() == {"logout": True}

    assert status(server, access) == 401
    assert status(server, later) == 401
    assert refreshed(server, refresh).status_code == 401
    assert status(server, other) == 200  # the other session goes on


def test_own_password_change_ends_every_session(server: RunningServer) -> None:
    person = new_person(server.api, admin(server))
    first = login(server.api, person["email"]).json()
    second = token_of(server.api, person["email"])
    later = refreshed(server, first["refresh_token"]).json()["access_token"]
    call(server.api, second, "POST", "auth/change-password",
         json={"old_password": PASSWORD, "password": "another-password-2", "password_2": "another-password-2"})
    for token in (first["access_token"], second, later):
        assert status(server, token) == 401
    assert refreshed(server, first["refresh_token"]).status_code == 401
    assert login(server.api, person["email"]).status_code == 400
    assert status(server, token_of(server.api, person["email"], "another-password-2")) == 200


def test_admin_password_change_ends_every_session(server: RunningServer) -> None:
    boss = admin(server)
    person = new_person(server.api, boss)
    pair = login(server.api, person["email"]).json()
    assert status(server, pair["access_token"]) == 200
    call(server.api, boss, "POST", f"actions/persons/{person['id']}/change-password",
         json={"password": "set-by-admin-3", "password_2": "set-by-admin-3"})
    assert status(server, pair["access_token"]) == 401
    assert refreshed(server, pair["refresh_token"]).status_code == 401
    assert status(server, boss) == 200  # the admin's own session is untouched
    logs = call(server.api, boss, "GET", f"data/persons/{person['id']}/login-logs")
    assert any(e["event"] == "password" and e["reason"] == "changed_by_admin" for e in logs), logs


def _cookies(answer: requests.Response) -> list[str]:
    return [v for k, v in answer.raw.headers.items() if k.lower() == "set-cookie"]


def test_cookie_flags_behind_tls_and_refresh_path_under_api(server: RunningServer) -> None:
    person = new_person(server.api, admin(server))
    plain = login(server.api, person["email"], browser=True)
    assert plain.status_code == 200
    cookies = _cookies(plain)
    assert any(c.startswith("access_token_cookie=") and "Path=/;" in c for c in cookies), cookies
    refresh_paths = {c.split("Path=")[1].split(";")[0] for c in cookies if c.startswith("refresh_token_cookie=")}
    assert refresh_paths == {"/auth/refresh-token", "/api/auth/refresh-token"}
    assert not any("Secure" in c for c in cookies), cookies  # plain HTTP: a Secure cookie would be lost
    assert all("HttpOnly" in c and "SameSite=lax" in c for c in cookies), cookies

    # a proxy on this machine (trusted) terminating TLS
    tls = requests.post(f"{server.api}/auth/login", json={"email": person["email"], "password": PASSWORD},
                        headers={"User-Agent": BROWSER, "X-Forwarded-Proto": "https"}, timeout=30)
    assert tls.status_code == 200
    assert len(_cookies(tls)) == 3 and all("Secure" in c for c in _cookies(tls)), _cookies(tls)

    # the browser's jar sends the refresh cookie to /api/auth/refresh-token (the UI's path)
    browser = requests.Session()
    browser.headers["User-Agent"] = BROWSER
    assert browser.post(f"{server.api}/auth/login", json={"email": person["email"], "password": PASSWORD},
                        timeout=30).status_code == 200
    again = browser.get(f"{server.api}/auth/refresh-token", timeout=30)
    assert again.status_code == 200, again.text
    assert "access_token_cookie=" in again.headers.get("set-cookie", "")
    out = browser.get(f"{server.api}/auth/logout", timeout=30)
    assert out.status_code == 200
    assert browser.get(f"{server.api}/auth/refresh-token", timeout=30).status_code == 401


def test_cookie_writes_from_another_site_refused(server: RunningServer) -> None:
    boss = admin(server)
    browser = requests.Session()
    browser.headers["User-Agent"] = BROWSER
    assert browser.post(f"{server.api}/auth/login", json={"email": server.email, "password": server.password},
                        timeout=30).status_code == 200
    name = f"csrf {uuid.uuid4().hex[:8]}"
    body = '{"name": "%s"}' % name
    # what a page elsewhere can send with the session cookie: a text/plain form POST
    forged = browser.post(f"{server.api}/data/projects", data=body, timeout=30,
                          headers={"Content-Type": "text/plain", "Origin": "http://evil.example"})
    assert forged.status_code == 403, forged.text
    assert forged.json()["error"] is True and "Cross-site" in forged.json()["message"]
    by_referer = browser.delete(f"{server.api}/data/projects/{uuid.uuid4()}", timeout=30,
                                headers={"Referer": "https://evil.example/page"})
    assert by_referer.status_code == 403
    null_origin = browser.post(f"{server.api}/data/projects", json={"name": name}, headers={"Origin": "null"},
                               timeout=30)
    assert null_origin.status_code == 403
    projects = call(server.api, boss, "GET", "data/projects")
    assert name not in [p["name"] for p in projects]

    # the UI's own origin is allowed, and reads are never refused
    own = browser.post(f"{server.api}/data/projects", json={"name": name}, headers={"Origin": server.url},
                       timeout=30)
    assert own.status_code in (200, 201), own.text
    assert browser.get(f"{server.api}/data/projects", headers={"Origin": "http://evil.example"},
                       timeout=30).status_code == 200
    # a Bearer header is not a cookie: scripts are unaffected whatever Origin they send
    scripted = requests.post(f"{server.api}/data/projects", json={"name": name + " b"}, timeout=30,
                             headers={**bearer(boss), "Origin": "http://evil.example"})
    assert scripted.status_code in (200, 201), scripted.text


def test_audit_of_logins_failures_and_logouts(server: RunningServer) -> None:
    boss = admin(server)
    person = new_person(server.api, boss)
    assert login(server.api, person["email"], "wrong-password").status_code == 400
    token = token_of(server.api, person["email"])
    requests.get(f"{server.api}/auth/logout", headers=bearer(token), timeout=30)
    call(server.api, boss, "PUT", f"data/persons/{person['id']}", json={"active": False})
    assert login(server.api, person["email"]).status_code == 401

    logs = call(server.api, boss, "GET", f"data/persons/{person['id']}/login-logs")
    seen = [(e["event"], e["success"], e["reason"]) for e in reversed(logs)]
    assert ("login", False, "wrong_password") in seen
    assert ("login", True, None) in seen
    assert ("logout", True, None) in seen
    assert seen[-1] == ("login", False, "inactive"), seen
    assert seen.index(("login", False, "wrong_password")) < seen.index(("login", True, None))
    # Zou's read lists the successful logins only
    last = call(server.api, boss, "GET", "data/events/login-logs/last", params={"person_ids": person["id"]})
    assert len(last) == 1 and last[0]["person_id"] == person["id"] and last[0]["origin"] == "script"
    # a person reads their own trail, nobody else's
    other = new_person(server.api, boss)
    other_token = token_of(server.api, other["email"])
    assert status(server, other_token, f"data/persons/{person['id']}/login-logs") == 403
    assert call(server.api, other_token, "GET", f"data/persons/{other['id']}/login-logs")[0]["event"] == "login"
