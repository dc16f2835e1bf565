"""Helpers of the account tests (sessions, 2FA, mail, LDAP, OIDC, SAML): a live server on SQLite or
PostgreSQL, logins over HTTP as gazu and Kitsu's UI send them, people made by the admin, an
authenticator app, a real SMTP server on loopback (aiosmtpd) whose mail is read back, and the
throwaway identity providers the SSO tests run as subprocesses."""

from __future__ import annotations

import contextlib
import email
import json
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin

import pyotp
import pytest
import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from foxtrack.testing import RunningServer, drop_postgres, free_port, postgres_url, start_server, stop_process

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
PASSWORD = "a-good-password-1"
DATABASES = ["sqlite", "postgresql"]  # the params of every module's ``server`` fixture


@contextlib.contextmanager
def live_server(database: str, env: dict[str, str]) -> Iterator[RunningServer]:
    """A foxtrack with ``env`` on SQLite or on a fresh PostgreSQL database (the test is skipped when
    PostgreSQL is not reachable), stopped and its database dropped after the block."""
    url = None
    if database == "postgresql":
        url = postgres_url()
        if url is None:
            pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    server = start_server(database_url=url, env={"FOXTRACK_MEDIA_WORKERS": "0", **env})
    try:
        yield server
    finally:
        server.stop()
        if url:
            drop_postgres(url)


def login(api: str, email_: str, password: str = PASSWORD, browser: bool = False, **extra: Any) -> requests.Response:
    headers = {"User-Agent": BROWSER} if browser else {}
    return requests.post(f"{api}/auth/login", json={"email": email_, "password": password, **extra},
                         headers=headers, timeout=30)


def token_of(api: str, email_: str, password: str = PASSWORD, **extra: Any) -> str:
    answer = login(api, email_, password, **extra)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def call(api: str, token: str, method: str, path: str, status: int | tuple[int, ...] = (200, 201),
         **kwargs: Any) -> Any:
    answer = requests.request(method, f"{api}/{path}", headers=bearer(token), timeout=30, **kwargs)
    wanted = status if isinstance(status, tuple) else (status,)
    assert answer.status_code in wanted, (method, path, answer.status_code, answer.text)
    return answer.json() if answer.content else None


def new_person(api: str, admin_token: str, role: str = "user", password: str | None = PASSWORD) -> dict[str, Any]:
    """A person made by the admin (``POST data/persons``, as gazu.person.new_person), with a password."""
    tag = uuid.uuid4().hex[:10]
    person = call(api, admin_token, "POST", "data/persons", json={
        "first_name": "Ann", "last_name": tag, "email": f"ann.{tag}@example.com", "role": role, "active": True})
    if password:
        call(api, admin_token, "POST", f"actions/persons/{person['id']}/change-password",
             json={"password": password, "password_2": password})
    return dict(person)


class Authenticator:
    """An authenticator app for a TOTP secret whose codes the server takes: each of a later time step
    than the one before (a code proves once), within the server's window of one step either side of
    now (the step before only while it has five seconds left), waiting for the next step if need be."""

    def __init__(self, secret: str):
        self.totp = pyotp.TOTP(secret)
        self.last_step: int | None = None

    def code(self) -> str:
        while True:
            now = time.time()
            current = self.totp.timecode(now)
            earliest = current - 1 if now % self.totp.interval < self.totp.interval - 5 else current
            step = earliest if self.last_step is None else max(self.last_step + 1, earliest)
            if step <= current + 1:
                self.last_step = step
                return self.totp.generate_otp(step)
            time.sleep(0.25)


class Mailbox:
    """What a real SMTP server (aiosmtpd on 127.0.0.1) received; optionally STARTTLS (with a
    certificate made in ``tls_folder``) and AUTH LOGIN. ``server_env()`` points a foxtrack at it."""

    def __init__(self, port: int | None = None, tls_folder: Path | None = None, user: str = "",
                 password: str = ""):
        self.messages: list[EmailMessage] = []
        self._cond = threading.Condition()
        self.user, self.password = user, password
        self.cert_file: Path | None = None
        kwargs: dict[str, Any] = {}
        if tls_folder is not None:
            cert_dir = self_signed(tls_folder)
            self.cert_file = cert_dir / "cert.pem"
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert_dir / "cert.pem", cert_dir / "key.pem")
            kwargs.update(tls_context=context, require_starttls=True)
        if user:
            def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
                good = isinstance(data, LoginPassword) and data.login.decode() == user \
                    and data.password.decode() == password
                return AuthResult(success=good)

            kwargs.update(authenticator=check, auth_required=True)
        self.controller = Controller(self, hostname="127.0.0.1", port=port or free_port(), **kwargs)

    def server_env(self) -> dict[str, str]:
        """The settings of a foxtrack that sends its mail here."""
        env = {"FOXTRACK_SMTP_HOST": "127.0.0.1", "FOXTRACK_SMTP_PORT": str(self.controller.port),
               "FOXTRACK_SMTP_TLS": "none", "FOXTRACK_SMTP_FROM": "kitsu@studio.test"}
        if self.cert_file is not None:
            env.update(FOXTRACK_SMTP_TLS="starttls", FOXTRACK_SMTP_CA_FILE=str(self.cert_file))
        if self.user:
            env.update(FOXTRACK_SMTP_USER=self.user, FOXTRACK_SMTP_PASSWORD=self.password)
        return env

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        with self._cond:
            self.messages.append(message)
            self._cond.notify_all()
        return "250 Message accepted for delivery"

    def start(self) -> Mailbox:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> Mailbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, to: str, subject_part: str = "", timeout: float = 15.0) -> EmailMessage:
        """The first message to ``to`` whose subject holds ``subject_part`` (taken out of the box)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for message in self.messages:
                    if to.lower() in str(message["To"]).lower() and subject_part in str(message["Subject"]):
                        self.messages.remove(message)
                        return message
                left = deadline - time.monotonic()
                assert left > 0, f"no mail to {to} ({subject_part!r}) within {timeout}s: {self.subjects()}"
                self._cond.wait(left)

    def none_for(self, to: str, subject_part: str = "", within: float = 1.0) -> bool:
        """True when no message to ``to`` (whose subject holds ``subject_part``) arrives within ``within`` s."""
        def found() -> bool:
            return any(to.lower() in str(m["To"]).lower() and subject_part in str(m["Subject"])
                       for m in self.messages)

        deadline = time.monotonic() + within
        with self._cond:
            while time.monotonic() < deadline:
                if found():
                    return False
                self._cond.wait(max(deadline - time.monotonic(), 0.01))
        return not found()

    def subjects(self) -> list[str]:
        return [f"{m['To']}: {m['Subject']}" for m in self.messages]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def code_in(message: EmailMessage) -> str:
    found = re.search(r"\b(\d{6})\b", text_of(message))
    assert found, text_of(message)
    return found.group(1)


def self_signed(folder: Path) -> Path:
    """A certificate for 127.0.0.1 and its key, written to ``folder`` (cert.pem, key.pem)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder


# ----------------------------------------------------------------------------- identity providers

@dataclass
class Service:
    """A throwaway identity provider (``oidc_provider.py``, ``saml_idp.py``) run as ``python SCRIPT
    CONFIG.json`` on a loopback port, with a folder of its own (its config, its log)."""

    port: int
    process: subprocess.Popen[bytes]
    folder: Path
    log: IO[bytes]

    @classmethod
    def launch(cls, script: str, port: int, config: dict[str, Any]) -> Service:
        folder = Path(tempfile.mkdtemp(prefix=f"foxtrack-{Path(script).stem}-"))
        (folder / "config.json").write_text(json.dumps({"port": port, "folder": str(folder), **config}))
        log = open(folder / "service.log", "wb")  # noqa: SIM115 - closed by stop()
        process = subprocess.Popen([sys.executable, str(Path(__file__).with_name(script)), str(folder / "config.json")],
                                   stdout=log, stderr=subprocess.STDOUT)
        return cls(port, process, folder, log)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_until_serving(self, path: str, timeout: float = 60.0) -> None:
        """Until ``GET path`` answers 200 (the service's log in the error if it exits or never does)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(f"{self.url}{path}", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        text = (self.folder / "service.log").read_text(errors="replace")
        self.stop()
        raise RuntimeError(f"{self.folder.name} is not serving {path}: {text}")

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Forms(HTMLParser):
    """The forms of a page: action and fields (hidden fields and named submit buttons included)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((found.get("action", ""), {}))
        elif tag in ("input", "button") and self.forms and found.get("name"):
            self.forms[-1][1][found["name"]] = found.get("value", "")


def form_of(page: requests.Response) -> tuple[str, dict[str, str]]:
    """The first form of a page: the URL it posts to and the fields it would send."""
    parser = Forms()
    parser.feed(page.text)
    assert parser.forms, page.text[:500]
    action, fields = parser.forms[0]
    return urljoin(page.url, action or page.url), fields
