"""Two-factor authentication on a live server, as Kitsu's UI and gazu send it (issue 12): TOTP with
its provisioning URI and recovery codes, one-time codes by email (read from a real SMTP server on
loopback), FIDO/WebAuthn with a software authenticator (soft-webauthn), recovery codes, Zou's answer
flags at login, ENFORCE_2FA with exempt users, an admin's reset, and the audit of it all."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import gazu
import jwt
import pyotp
import pytest
import requests
from soft_webauthn import SoftWebauthnDevice

from foxtrack.testing import ADMIN_EMAIL, RunningServer
from tests.compat.auth_helpers import (
    BROWSER,
    DATABASES,
    PASSWORD,
    Authenticator,
    Mailbox,
    bearer,
    call,
    code_in,
    live_server,
    login,
    new_person,
    token_of,
)

MAX_FAILURES = 5


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with Mailbox() as box:
        yield box


@pytest.fixture(scope="module", params=DATABASES)
def server(request: pytest.FixtureRequest, mailbox: Mailbox) -> Iterator[RunningServer]:
    with live_server(request.param, {**mailbox.server_env(), "FOXTRACK_ENFORCE_2FA": "true",
                                     "FOXTRACK_ENFORCE_2FA_EXEMPT": ADMIN_EMAIL,
                                     "FOXTRACK_LOGIN_MAX_FAILURES": str(MAX_FAILURES)}) as srv:
        yield srv


@pytest.fixture(scope="module")
def boss(server: RunningServer) -> str:
    return token_of(server.api, server.email, server.password)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _creation(options: dict[str, Any]) -> dict[str, Any]:
    """The JSON options as the browser's navigator.credentials.create gets them (bytes decoded)."""
    public = dict(options)
    public["challenge"] = _unb64(options["challenge"])
    public["user"] = {**options["user"], "id": _unb64(options["user"]["id"])}
    return {"publicKey": public}


def _as_json(credential: dict[str, Any]) -> dict[str, Any]:
    """A credential as Kitsu sends it: every binary field base64url-encoded."""
    response = {k: _b64(v) if isinstance(v, bytes) else v for k, v in credential["response"].items()}
    return {"id": _b64(credential["rawId"]), "rawId": _b64(credential["rawId"]), "response": response,
            "type": "public-key", "clientExtensionResults": {}}


def _mfa_person(server: RunningServer, boss: str) -> tuple[dict[str, Any], str]:
    person = new_person(server.api, boss)
    return person, token_of(server.api, person["email"])


def _enable_totp(server: RunningServer, token: str) -> tuple[Authenticator, list[str]]:
    app = Authenticator(call(server.api, token, "PUT", "auth/totp")["otp_secret"])
    codes = call(server.api, token, "POST", "auth/totp", json={"totp": app.code()})["otp_recovery_codes"]
    return app, codes


def test_totp_login_flags_and_recovery_codes(server: RunningServer, boss: str) -> None:
    person, token = _mfa_person(server, boss)
    setup = call(server.api, token, "PUT", "auth/totp")
    assert setup["totp_provisionning_uri"].startswith("otpauth://totp/")
    assert f"secret={setup['otp_secret']}" in setup["totp_provisionning_uri"]
    wrong = requests.post(f"{server.api}/auth/totp", json={"totp": "000000"}, headers=bearer(token), timeout=30)
    if pyotp.TOTP(setup["otp_secret"]).verify("000000", valid_window=1):
        pytest.skip("the clock made 000000 a right code")
    assert wrong.status_code == 400 and wrong.json()["wrong_OTP"] is True
    app = Authenticator(setup["otp_secret"])
    enabled = call(server.api, token, "POST", "auth/totp", json={"totp": app.code()})
    codes = enabled["otp_recovery_codes"]
    assert len(codes) == 16 and len(set(codes)) == 16
    again = requests.put(f"{server.api}/auth/totp", headers=bearer(token), timeout=30)
    assert again.status_code == 400 and again.json()["message"] == "TOTP already enabled."

    missing = login(server.api, person["email"])
    assert missing.status_code == 400
    assert missing.json() == {"error": True, "login": False, "missing_OTP": True,
                              "message": "A two-factor authentication code is required.",
                              "preferred_two_factor_authentication": "totp",
                              "two_factor_authentication_enabled": ["recovery_code", "totp"]}
    bad = login(server.api, person["email"], totp="123456" if pyotp.TOTP(setup["otp_secret"]).now() != "123456"
                else "654321")
    assert bad.status_code == 400 and bad.json()["wrong_OTP"] is True and "access_token" not in bad.json()
    assert bad.json()["message"] == "Wrong two-factor authentication code."
    # gazu sends the code with the password
    client = gazu.client.create_client(server.api)
    gazu.log_in(person["email"], PASSWORD, totp=app.code(), client=client)
    assert gazu.client.get_current_user(client=client)["id"] == person["id"]

    # a recovery code logs in once
    assert login(server.api, person["email"], recovery_code=codes[0].lower()).status_code == 200
    reused = login(server.api, person["email"], recovery_code=codes[0])
    assert reused.status_code == 400 and reused.json()["wrong_OTP"] is True

    # new codes need a second factor; the old ones stop working
    refused = requests.put(f"{server.api}/auth/recovery-codes", json={}, headers=bearer(token), timeout=30)
    assert refused.status_code == 400 and refused.json()["wrong_OTP"] is True
    fresh = call(server.api, token, "PUT", "auth/recovery-codes",
                 json={"totp": app.code()})["otp_recovery_codes"]
    assert len(fresh) == 16 and not set(fresh) & set(codes)
    assert login(server.api, person["email"], recovery_code=codes[1]).status_code == 400
    assert login(server.api, person["email"], recovery_code=fresh[0]).status_code == 200

    # turning TOTP off takes a valid second factor
    off = requests.delete(f"{server.api}/auth/totp", json={"totp": "nope"}, headers=bearer(token), timeout=30)
    assert off.status_code == 400 and off.json()["wrong_OTP"] is True
    call(server.api, token, "DELETE", "auth/totp", json={"recovery_code": fresh[1]})
    assert login(server.api, person["email"]).status_code == 200

    trail = call(server.api, boss, "GET", f"data/persons/{person['id']}/login-logs")
    seen = [(e["event"], e["success"], e["reason"]) for e in trail]
    for entry in (("2fa", True, "totp_enabled"), ("2fa", True, "totp_disabled"), ("2fa", True, "recovery_codes_renewed"),
                  ("login", False, "missing_otp"), ("login", False, "wrong_otp"), ("2fa", False, "wrong_otp")):
        assert entry in seen, (entry, seen)


def test_wrong_codes_are_throttled_like_passwords(server: RunningServer, boss: str) -> None:
    person, token = _mfa_person(server, boss)
    app, _codes = _enable_totp(server, token)
    guesses = [f"{n:06d}" for n in range(1, 40) if not app.totp.verify(f"{n:06d}", valid_window=1)][:MAX_FAILURES]
    for guess in guesses:
        assert login(server.api, person["email"], totp=guess).json().get("wrong_OTP") is True
    locked = login(server.api, person["email"], totp=app.code())
    assert locked.status_code == 400 and locked.json().get("too_many_failed_login_attemps") is True


def test_a_totp_code_proves_once(server: RunningServer, boss: str) -> None:
    """The code that turned TOTP on, or logged in, is refused for the rest of its validity window (to
    log in, or to turn TOTP off), with Zou's wrong_OTP; a code of a later step works."""
    person, token = _mfa_person(server, boss)
    app = Authenticator(call(server.api, token, "PUT", "auth/totp")["otp_secret"])
    enabling = app.code()
    call(server.api, token, "POST", "auth/totp", json={"totp": enabling})
    replayed = login(server.api, person["email"], totp=enabling)
    assert replayed.status_code == 400 and replayed.json()["wrong_OTP"] is True, replayed.text
    assert "access_token" not in replayed.json()
    first = app.code()
    assert login(server.api, person["email"], totp=first).status_code == 200
    again = login(server.api, person["email"], totp=first)
    assert again.status_code == 400 and again.json()["wrong_OTP"] is True
    off = requests.delete(f"{server.api}/auth/totp", json={"totp": first}, headers=bearer(token), timeout=30)
    assert off.status_code == 400 and off.json()["wrong_OTP"] is True
    call(server.api, token, "DELETE", "auth/totp", json={"totp": app.code()})
    assert login(server.api, person["email"]).status_code == 200


def test_one_code_sent_at_once_logs_in_once(server: RunningServer, boss: str) -> None:
    """Four logins with the same right code at the same moment: one gets in."""
    person, token = _mfa_person(server, boss)
    app, _codes = _enable_totp(server, token)
    code = app.code()
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: login(server.api, person["email"], totp=code), range(4)))
    assert sorted(a.status_code for a in answers) == [200, 400, 400, 400], [a.text for a in answers]
    assert all(a.json().get("wrong_OTP") is True for a in answers if a.status_code == 400)


def test_email_otp_through_a_real_mail_server(server: RunningServer, boss: str, mailbox: Mailbox) -> None:
    person, token = _mfa_person(server, boss)
    assert call(server.api, token, "PUT", "auth/email-otp") == {"success": True}
    code = code_in(mailbox.wait_for(person["email"], "one-time code"))
    wrong = requests.post(f"{server.api}/auth/email-otp", json={"email_otp": "999999" if code != "999999" else "111111"},
                          headers=bearer(token), timeout=30)
    assert wrong.status_code == 400 and wrong.json()["wrong_OTP"] is True
    codes = call(server.api, token, "POST", "auth/email-otp", json={"email_otp": code})["otp_recovery_codes"]
    assert len(codes) == 16

    missing = login(server.api, person["email"]).json()
    assert missing["missing_OTP"] is True and missing["preferred_two_factor_authentication"] == "email_otp"
    # the login form asks for a code (public route; gazu has the call)
    gazu.send_email_otp(person["email"], client=gazu.client.create_client(server.api))
    sent = code_in(mailbox.wait_for(person["email"], "one-time code"))
    assert login(server.api, person["email"], email_otp=sent).status_code == 200
    assert login(server.api, person["email"], email_otp=sent).json().get("wrong_OTP") is True  # used once
    # the same answer for an email without an account, and nothing is sent
    unknown = requests.get(f"{server.api}/auth/email-otp", params={"email": "nobody@example.com"}, timeout=30)
    assert unknown.status_code == 200 and unknown.json() == {"success": True}
    assert mailbox.none_for("nobody@example.com", within=0.5)

    for _ in range(2):
        assert requests.get(f"{server.api}/auth/email-otp", params={"email": person["email"]}, timeout=30).ok
    mailbox.wait_for(person["email"], "one-time code")
    assert mailbox.none_for(person["email"], "one-time code", within=0.5)  # one unused code at a time (30 seconds)
    call(server.api, token, "DELETE", "auth/email-otp", json={"recovery_code": codes[0]})
    assert login(server.api, person["email"]).status_code == 200


def test_fido_with_a_software_authenticator(server: RunningServer, boss: str) -> None:
    person, token = _mfa_person(server, boss)
    device = SoftWebauthnDevice()
    options = call(server.api, token, "PUT", "auth/fido")
    assert options["rp"]["id"] == "127.0.0.1" and options["user"]["name"] == person["email"]
    created = _as_json(device.create(_creation(options), server.url))
    no_name = requests.post(f"{server.api}/auth/fido", json={"registration_response": created}, headers=bearer(token),
                            timeout=30)
    assert no_name.status_code == 400
    codes = call(server.api, token, "POST", "auth/fido",
                 json={"registration_response": created, "device_name": "yubi"})["otp_recovery_codes"]
    assert len(codes) == 16
    replay = requests.post(f"{server.api}/auth/fido", json={"registration_response": created, "device_name": "other"},
                           headers=bearer(token), timeout=30)
    assert replay.status_code == 400  # the challenge was used
    me = call(server.api, token, "GET", "auth/authenticated")
    assert me["user"]["fido_devices"] == ["yubi"]

    missing = login(server.api, person["email"]).json()
    assert missing["missing_OTP"] is True and missing["two_factor_authentication_enabled"] == ["recovery_code", "fido"]
    def fido_options() -> dict[str, Any]:
        return dict(requests.get(f"{server.api}/auth/fido", params={"email": person["email"]}, timeout=30).json())

    # the public route keeps five live challenges per person: an older one no longer logs in
    first = fido_options()
    for _ in range(5):
        fido_options()
    stale = _as_json(device.get({"publicKey": {**first, "challenge": _unb64(first["challenge"])}}, server.url))
    assert login(server.api, person["email"], fido_authentication_response=stale).json().get("wrong_OTP") is True
    challenge = fido_options()
    assert [c["id"] for c in challenge["allowCredentials"]] == [created["rawId"]]
    request_options = {"publicKey": {**challenge, "challenge": _unb64(challenge["challenge"])}}
    assertion = _as_json(device.get(request_options, server.url))
    answer = requests.post(f"{server.api}/auth/login", timeout=30, headers={"User-Agent": BROWSER},
                           json={"email": person["email"], "password": PASSWORD,
                                 "fido_authentication_response": assertion})
    assert answer.status_code == 200, answer.text
    again = login(server.api, person["email"], fido_authentication_response=assertion)
    assert again.json().get("wrong_OTP") is True  # an assertion works once
    # a device from elsewhere is refused
    stranger = _as_json(SoftWebauthnDevice().create(_creation(options), server.url))
    assert login(server.api, person["email"], fido_authentication_response=stranger).json().get("wrong_OTP") is True

    call(server.api, token, "DELETE", "auth/fido", json={"device_name": "yubi", "recovery_code": codes[0]})
    assert call(server.api, token, "GET", "auth/authenticated")["user"]["fido_devices"] == []
    assert login(server.api, person["email"]).status_code == 200
    unknown = requests.get(f"{server.api}/auth/fido", params={"email": person["email"]}, timeout=30)
    assert unknown.status_code == 400 and unknown.json()["message"] == "FIDO not enabled."


def test_enforce_2fa_until_set_up(server: RunningServer, boss: str) -> None:
    assert requests.get(f"{server.api}/config", timeout=30).json()["enforce_2fa"] is True  # the UI reads it
    person = new_person(server.api, boss)
    answer = login(server.api, person["email"], browser=True)
    assert answer.status_code == 200
    body = answer.json()
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["requires_2fa_setup"] is True
    token = body["access_token"]
    blocked = requests.get(f"{server.api}/data/projects", headers=bearer(token), timeout=30)
    assert blocked.status_code == 403 and blocked.json()["two_factor_authentication_required"] is True
    assert blocked.json()["message"].startswith("Two-factor authentication setup is required.")  # Zou's
    assert requests.get(f"{server.api}/data/user/context", headers=bearer(token), timeout=30).status_code == 403
    assert call(server.api, token, "GET", "auth/authenticated")["user"]["id"] == person["id"]
    # the refreshed token keeps the mark
    refreshed = requests.get(f"{server.api}/auth/refresh-token", headers=bearer(body["refresh_token"]), timeout=30)
    later = refreshed.json()["access_token"]
    assert requests.get(f"{server.api}/data/projects", headers=bearer(later), timeout=30).status_code == 403

    # set up through the UI's calls: cookies, the UI's own origin
    ui = requests.Session()
    ui.headers.update({"User-Agent": BROWSER, "Origin": server.url})
    ui.cookies.update(answer.cookies)
    setup = ui.put(f"{server.api}/auth/totp", timeout=30).json()
    assert ui.post(f"{server.api}/auth/totp", json={"totp": pyotp.TOTP(setup["otp_secret"]).now()},
                   timeout=30).status_code == 200
    assert requests.get(f"{server.api}/data/projects", headers=bearer(token), timeout=30).status_code == 200
    # the exempt admin never was held back
    assert requests.get(f"{server.api}/data/projects", headers=bearer(boss), timeout=30).status_code == 200
    assert "requires_2fa_setup" not in jwt.decode(boss, options={"verify_signature": False})


def test_admin_turns_a_persons_2fa_off(server: RunningServer, boss: str) -> None:
    person, token = _mfa_person(server, boss)
    _enable_totp(server, token)
    assert login(server.api, person["email"]).json().get("missing_OTP") is True
    other, other_token = _mfa_person(server, boss)
    path = f"actions/persons/{person['id']}/disable-two-factor-authentication"
    assert requests.delete(f"{server.api}/{path}", headers=bearer(other_token), timeout=30).status_code == 403
    gazu_client = gazu.client.create_client(server.api)
    gazu.log_in(server.email, server.password, client=gazu_client)
    gazu.person.disable_two_factor_authentication(person["id"], client=gazu_client)
    assert login(server.api, person["email"]).status_code == 200
    again = requests.delete(f"{server.api}/{path}", headers=bearer(boss), timeout=30)
    assert again.status_code == 400 and again.json()["message"] == "Two factor authentication not enabled for this user."
    trail = call(server.api, boss, "GET", f"data/persons/{person['id']}/login-logs")
    assert ("2fa", "disabled_by_admin") in [(e["event"], e["reason"]) for e in trail]
    assert json.dumps(trail).count("totp_enabled") == 1
