"""Helpers of the account tests (sessions, 2FA, mail): logins over HTTP as gazu and Kitsu's UI send
them, people made by the admin, and a real SMTP server on loopback (aiosmtpd) whose mail is read back."""

from __future__ import annotations

import email
import re
import ssl
import threading
import time
import uuid
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
PASSWORD = "a-good-password-1"


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


class Mailbox:
    """What a real SMTP server (aiosmtpd on 127.0.0.1) received; optionally STARTTLS and AUTH LOGIN."""

    def __init__(self, port: int, cert_dir: Path | None = None, user: str = "", password: str = ""):
        self.messages: list[EmailMessage] = []
        self._cond = threading.Condition()
        kwargs: dict[str, Any] = {}
        if cert_dir is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert_dir / "cert.pem", cert_dir / "key.pem")
            kwargs.update(tls_context=context, require_starttls=True)
        if user:
            def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
                good = isinstance(data, LoginPassword) and data.login.decode() == user \
                    and data.password.decode() == password
                return AuthResult(success=good)

            kwargs.update(authenticator=check, auth_required=True)
        self.controller = Controller(self, hostname="127.0.0.1", port=port, **kwargs)

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
