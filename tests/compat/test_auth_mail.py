"""Mail on a live server (issue 12): a real SMTP server on loopback (aiosmtpd, STARTTLS with a
certificate made here and AUTH LOGIN) receives the password reset link, the password-changed notice
and invitations, sent by the job worker after commit; a reset token works once and expires; nothing is
queued when no SMTP server is configured."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import gazu
import pytest
import requests
import sqlalchemy as sa

from foxtrack.testing import RunningServer
from tests.compat.auth_helpers import (
    DATABASES,
    PASSWORD,
    Mailbox,
    bearer,
    call,
    live_server,
    login,
    new_person,
    text_of,
    token_of,
)

RESET_SECONDS = 3.0


@pytest.fixture(scope="module")
def mailbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mailbox]:
    with Mailbox(tls_folder=tmp_path_factory.mktemp("smtp-tls"), user="foxtrack", password="smtp-secret") as box:
        yield box


@pytest.fixture(scope="module", params=DATABASES)
def server(request: pytest.FixtureRequest, mailbox: Mailbox) -> Iterator[RunningServer]:
    with live_server(request.param, {**mailbox.server_env(), "FOXTRACK_DOMAIN_NAME": "kitsu.studio.test",
                                     "FOXTRACK_DOMAIN_PROTOCOL": "https",
                                     "FOXTRACK_RESET_TOKEN_MINUTES": str(RESET_SECONDS / 60)}) as srv:
        yield srv


@pytest.fixture(scope="module")
def boss(server: RunningServer) -> str:
    return token_of(server.api, server.email, server.password)


def _link(text: str) -> dict[str, str]:
    url = next(word for word in text.split() if word.startswith("https://kitsu.studio.test/reset-change-password?"))
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _reset(server: RunningServer, email: str, token: str, password: str, password2: str | None = None) -> requests.Response:
    return requests.put(f"{server.api}/auth/reset-password", timeout=30, json={
        "email": email, "token": token, "password": password, "password2": password2 or password})


def test_password_reset_by_mail(server: RunningServer, boss: str, mailbox: Mailbox) -> None:
    person = new_person(server.api, boss)
    mailbox.wait_for(person["email"], "password changed")  # the admin set the first password
    session = login(server.api, person["email"]).json()

    sent = requests.post(f"{server.api}/auth/reset-password", json={"email": person["email"]}, timeout=30)
    assert sent.status_code == 200 and sent.json() == {"success": "Reset token sent"}
    message = mailbox.wait_for(person["email"], "password recovery")
    assert message["From"] == "kitsu@studio.test"
    link = _link(text_of(message))
    assert link["email"] == person["email"] and len(link["token"]) >= 40

    assert _reset(server, person["email"], "not-the-token", "new-password-9").json()["message"] == "Wrong or expired token."
    assert _reset(server, person["email"], link["token"], "short").json()["message"] == "Password is too short."
    assert _reset(server, person["email"], link["token"], "new-password-9", "other-password-9").status_code == 400
    done = _reset(server, person["email"], link["token"], "new-password-9")
    assert done.status_code == 200 and done.json() == {"success": True}

    assert login(server.api, person["email"]).status_code == 400
    assert login(server.api, person["email"], "new-password-9").status_code == 200
    assert requests.get(f"{server.api}/auth/authenticated", headers=bearer(session["access_token"]),
                        timeout=30).status_code == 401  # the sessions of before the reset ended
    assert _reset(server, person["email"], link["token"], "third-password-9").status_code == 400  # used once
    assert "reset" in text_of(mailbox.wait_for(person["email"], "password changed"))
    trail = call(server.api, boss, "GET", f"data/persons/{person['id']}/login-logs")
    assert ("password", "reset") in [(e["event"], e["reason"]) for e in trail]


def test_reset_answers_the_same_for_anyone_and_tokens_expire(server: RunningServer, boss: str,
                                                             mailbox: Mailbox) -> None:
    nobody = requests.post(f"{server.api}/auth/reset-password", json={"email": "nobody@studio.test"}, timeout=30)
    assert nobody.status_code == 200 and nobody.json() == {"success": "Reset token sent"}
    assert mailbox.none_for("nobody@studio.test", within=0.5)
    missing = requests.post(f"{server.api}/auth/reset-password", json={}, timeout=30)
    assert missing.status_code == 400

    person = new_person(server.api, boss)
    requests.post(f"{server.api}/auth/reset-password", json={"email": person["email"]}, timeout=30)
    link = _link(text_of(mailbox.wait_for(person["email"], "password recovery")))
    requests.post(f"{server.api}/auth/reset-password", json={"email": person["email"]}, timeout=30)
    assert mailbox.none_for(person["email"], "password recovery", within=0.5)  # one mail a minute
    time.sleep(RESET_SECONDS + 0.5)  # the token's life, set short on this server
    late = _reset(server, person["email"], link["token"], "new-password-9")
    assert late.status_code == 400 and late.json()["message"] == "Wrong or expired token."
    assert login(server.api, person["email"]).status_code == 200


def test_change_password_notice_and_invitation(server: RunningServer, boss: str, mailbox: Mailbox) -> None:
    person = new_person(server.api, boss)
    mailbox.wait_for(person["email"], "password changed")
    token = token_of(server.api, person["email"])
    call(server.api, token, "POST", "auth/change-password",
         json={"old_password": PASSWORD, "password": "changed-password-4", "password_2": "changed-password-4"})
    notice = text_of(mailbox.wait_for(person["email"], "password changed"))
    assert "was changed" in notice and person["first_name"] in notice

    invited = call(server.api, boss, "POST", "data/persons", json={
        "first_name": "Ivy", "last_name": "Invited", "email": f"ivy.{person['last_name']}@example.com"})
    client = gazu.client.create_client(server.api)
    gazu.log_in(server.email, server.password, client=client)
    assert gazu.person.invite_person(invited, client=client) == {"success": True, "message": "Email sent"}
    message = mailbox.wait_for(invited["email"], "invited")
    link = _link(text_of(message))
    assert _reset(server, invited["email"], link["token"], "my-first-password").status_code == 200
    assert login(server.api, invited["email"], "my-first-password").status_code == 200
    user = token_of(server.api, person["email"], "changed-password-4")  # the change ended the older session
    not_admin = requests.get(f"{server.api}/actions/persons/{invited['id']}/invite", headers=bearer(user), timeout=30)
    assert not_admin.status_code == 403


def test_nothing_queued_without_an_smtp_server(tmp_path: Path) -> None:
    """The sender's own check on a real database: no host, no job."""
    from foxtrack import mail
    from foxtrack.app import build_state
    from foxtrack.config import Settings
    from foxtrack.db import schema as s
    from foxtrack.db.engine import migrate

    state = build_state(Settings(data_dir=tmp_path))
    migrate(state.engine)
    with state.write() as tx:
        assert mail.queue(tx, state, "someone@studio.test", "subject", "text") is False
    configured = build_state(Settings(data_dir=tmp_path, smtp_host="127.0.0.1"))
    with configured.write() as tx:
        assert mail.queue(tx, configured, "someone@studio.test", "subject", "text") is True
    with state.read() as conn:
        kinds = list(conn.execute(sa.select(s.job.c.kind, s.job.c.payload)))
    assert [(k, p["to"]) for k, p in kinds] == [("mail", "someone@studio.test")]
    state.engine.dispose()
    configured.engine.dispose()


def test_admin_reset_password_link(server: RunningServer, boss: str) -> None:
    person = new_person(server.api, boss)
    session = token_of(server.api, person["email"])
    path = f"actions/persons/{person['id']}/reset-password-link"
    assert requests.post(f"{server.api}/{path}", headers=bearer(session), timeout=30).status_code == 403
    assert requests.post(f"{server.api}/actions/persons/{'0' * 8}-0000-4000-8000-{'0' * 12}/reset-password-link",
                         headers=bearer(boss), timeout=30).status_code == 404
    answer = call(server.api, boss, "POST", path)
    link = {k: v[0] for k, v in parse_qs(urlsplit(answer["reset_password_link"]).query).items()}
    assert answer["reset_password_link"].startswith("https://kitsu.studio.test/reset-change-password?")
    assert _reset(server, person["email"], link["token"], "handed-over-5").status_code == 200
    assert login(server.api, person["email"], "handed-over-5").status_code == 200
    assert requests.get(f"{server.api}/auth/authenticated", headers=bearer(session), timeout=30).status_code == 401
