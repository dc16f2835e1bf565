"""Outgoing mail: messages queued with the change that asks for them, sent by the job worker over SMTP.

``queue(tx, state, to, subject, text)`` adds a ``mail`` job in the caller's unit of work, so a message
leaves only once its change is committed (and is retried, with backoff, when the server refuses it or
cannot be reached). With no ``FOXTRACK_SMTP_HOST`` configured nothing is queued and nothing is sent.

Settings (``foxtrack.config``): ``smtp_host``, ``smtp_port``, ``smtp_tls`` (``starttls``, ``ssl`` or
``none``), ``smtp_user`` and ``smtp_password`` (login only when a user is set), ``smtp_from``, and
``smtp_ca_file`` (a CA bundle trusted instead of the system's, for a studio's own certificates).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from foxtrack.config import Settings
from foxtrack.core.context import AppState, Tx
from foxtrack.jobs import GiveUp, Job, Kind, Queue, Worker, notify

__all__ = ["KIND", "configured", "kind", "queue", "send"]

KIND = "mail"
MAX_ATTEMPTS = 5
log = logging.getLogger(__name__)


def configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def queue(tx: Tx, state: AppState, to: str, subject: str, text: str, html: str | None = None) -> bool:
    """Queue a message to ``to`` in ``tx``; False (nothing queued) when no SMTP server is configured
    or there is no address."""
    if not configured(state.settings) or not to:
        if to:
            log.info("mail to %s not sent: no SMTP server is configured", to)
        return False
    payload: dict[str, Any] = {"to": to, "subject": subject, "text": text}
    if html:
        payload["html"] = html
    Queue().enqueue(tx, KIND, None, payload, max_attempts=MAX_ATTEMPTS)
    tx.after_commit(lambda: notify(state))
    return True


def message(settings: Settings, payload: dict[str, Any]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = str(payload["to"])
    msg["Subject"] = str(payload["subject"])
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    msg.set_content(str(payload["text"]))
    if payload.get("html"):
        msg.add_alternative(str(payload["html"]), subtype="html")
    return msg


def send(settings: Settings, payload: dict[str, Any]) -> None:
    """Deliver one message now (blocking: the worker calls it on a thread)."""
    mode = settings.smtp_tls.lower()
    timeout = settings.smtp_timeout_seconds
    context = ssl.create_default_context(cafile=settings.smtp_ca_file or None)
    smtp: smtplib.SMTP
    if mode == "ssl":
        smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with smtp:
        if mode == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message(settings, payload))


async def _run(worker: Worker, job: Job) -> None:
    if not job.payload.get("to"):
        raise GiveUp("a message without an address")
    await asyncio.to_thread(send, worker.state.settings, job.payload)


def kind() -> Kind:
    # a refused recipient or a bad login does not get better by waiting
    return Kind(KIND, _run, lane="mail", max_attempts=MAX_ATTEMPTS, base_delay=5.0,
                permanent=(smtplib.SMTPRecipientsRefused, smtplib.SMTPAuthenticationError))
