"""Password reset by mail and invitations.

``POST auth/reset-password {email}`` always answers that the mail was sent (whether the email has an
account or not); an active account gets a link to ``/reset-change-password?email=&token=`` on the
Kitsu UI (Zou's ``DOMAIN_PROTOCOL://DOMAIN_NAME``: ``FOXTRACK_DOMAIN_*``). The token is kept hashed,
expires after ``FOXTRACK_RESET_TOKEN_MINUTES`` and works once; ``PUT auth/reset-password {email,
token, password, password2}`` sets the new password, which ends every session of the person.

An invitation (``GET actions/persons/{id}/invite``, admins) mails the same kind of link, valid three days;
``POST actions/persons/{id}/reset-password-link`` (admins) answers one (Zou's ``reset_password_link``).
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from foxtrack import mail
from foxtrack.auth import sessions
from foxtrack.auth.sessions import stamp_in
from foxtrack.core import permissions as perm
from foxtrack.core.context import AppState, Ctx, RequestContext, Tx, app_state
from foxtrack.core.errors import BadRequest, Forbidden, NotFound, validation_error
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import is_uuid, now, ok
from foxtrack.db import schema as s
from foxtrack.db.seed import hash_password

router = APIRouter(tags=["auth"])

KIND = "reset_password"
INVITATION_MINUTES = 3 * 24 * 60
RESEND_SECONDS = 60
MIN_PASSWORD_LENGTH = 8
SENT = {"success": "Reset token sent"}


def _refused(message: str) -> BadRequest:
    return BadRequest(message, body={"error": True, "message": message})


def _digest(state: AppState, person_id: str, token: str) -> str:
    import hashlib
    import hmac

    return hmac.new(state.secret.encode(), f"reset\x1f{person_id}\x1f{token}".encode(), hashlib.sha256).hexdigest()


def _person(conn: Any, email: str) -> Any:
    p = s.person.c
    return conn.execute(sa.select(p.id, p.email, p.first_name, p.active).where(
        sa.func.lower(p.email) == email.strip().lower(), p.is_bot.is_not(True)).order_by(p.active.desc()).limit(1)).first()


def link(state: AppState, email: str, token: str) -> str:
    settings = state.settings
    query = urlencode({"email": email, "token": token})
    return f"{settings.domain_protocol}://{settings.domain_name}/reset-change-password?{query}"


def queue_link(tx: Tx, state: AppState, person: Any, minutes: float, invitation: bool = False) -> bool:
    """Store a new reset token for ``person`` and queue the mail with its link (after commit)."""
    url = link(state, person.email, new_token(tx, state, person, minutes))
    if invitation:
        org = tx.execute(sa.select(s.organisation.c.name).order_by(s.organisation.c.created_at).limit(1)).scalar()
        subject = f"{org or 'Kitsu'} - Kitsu: you are invited"
        text = (f"Hello {person.first_name},\n\nYou are invited to join {org or 'Kitsu'} on Kitsu.\n"
                f"Choose your password here: {url}\n\nThis link expires in {minutes / 60:g} hours.\n")
    else:
        subject = "Kitsu: password recovery"
        text = (f"Hello {person.first_name},\n\nYou asked to reset your password. Follow this link to choose a "
                f"new one:\n{url}\n\nIt expires in {minutes:g} minutes. If you did not ask for it, ignore this mail.\n")
    return mail.queue(tx, state, person.email, subject, text)


def new_token(tx: Tx, state: AppState, person: Any, minutes: float) -> str:
    """Store a new reset token for ``person`` (kept hashed) and return it."""
    from foxtrack.auth.twofactor import add_challenge

    token = secrets.token_urlsafe(32)
    add_challenge(tx, person.id, KIND, _digest(state, person.id, token), minutes * 60)
    return token


def admin_link(ctx: RequestContext, person_id: str) -> dict[str, str]:
    """Zou's ``reset_password_link`` an admin hands to a person (nothing is mailed)."""
    from foxtrack.auth import audit

    perm.require_admin(ctx)
    if not is_uuid(person_id):
        raise NotFound()
    p = s.person.c
    with ctx.write() as tx:
        person = tx.execute(sa.select(p.id, p.email, p.first_name, p.active, p.is_bot).where(p.id == person_id)).first()
        if person is None:
            raise NotFound()
        if person.is_bot or not person.email:
            raise Forbidden()
        token = new_token(tx, ctx.state, person, ctx.state.settings.reset_token_minutes)
        audit.write(tx, person.id, event="password", reason="reset_link_by_admin")
    return {"reset_password_link": link(ctx.state, person.email, token)}


def request_reset(state: AppState, email: str) -> None:
    with state.read() as conn:
        person = _person(conn, email)
    if person is None or not person.active:
        return
    c = s.auth_challenge.c
    with state.write(person.id) as tx:
        recent = tx.execute(sa.select(c.id).where(c.person_id == person.id, c.kind == KIND, c.used_at.is_(None),
                                                  c.created_at > stamp_in(-RESEND_SECONDS)).limit(1)).first()
        if recent is None:  # one mail a minute at most: the route is public
            queue_link(tx, state, person, state.settings.reset_token_minutes)


def reset(state: AppState, body: dict[str, Any], ip: str | None) -> None:
    fields = ("email", "token", "password", "password2")
    missing = {k: "Field required" for k in fields if not isinstance(body.get(k), str) or not body.get(k)}
    if missing:
        raise validation_error(missing, "Validation error.")
    email, token, password, confirmation = (str(body[k]) for k in fields)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise _refused("Password is too short.")
    if password != confirmation:
        raise _refused("Confirmation password doesn't match.")
    with state.read() as conn:
        person = _person(conn, email)
    if person is None:
        raise _refused("Wrong or expired token.")
    if not person.active:
        raise _refused("User is inactive.")
    c = s.auth_challenge.c
    digest = _digest(state, person.id, token)
    with state.read() as conn:  # no bcrypt for a token that cannot be right
        live = conn.execute(sa.select(c.id).where(c.person_id == person.id, c.kind == KIND, c.secret == digest,
                                                  c.used_at.is_(None), c.expires_at > now())).first()
    if live is None:
        raise _refused("Wrong or expired token.")
    hashed = hash_password(password, state.settings.bcrypt_rounds)
    stamp = now()
    with state.write(person.id) as tx:
        taken = tx.update(s.auth_challenge, {"used_at": stamp, "updated_at": stamp}, c.person_id == person.id,
                          c.kind == KIND, c.secret == digest, c.used_at.is_(None),
                          c.expires_at > stamp)
        if not taken:
            raise _refused("Wrong or expired token.")
        # the other links sent to this person stop working too
        tx.update(s.auth_challenge, {"used_at": stamp, "updated_at": stamp}, c.person_id == person.id,
                  c.kind == KIND, c.used_at.is_(None))
        tx.update(s.person, {"password": hashed, "updated_at": stamp, "login_failed_attemps": 0},
                  s.person.c.id == person.id)
        tx.emit("person:update", {"person_id": person.id})
        sessions.password_changed(tx, state, person.id, reason="reset", ip=ip)


@router.post("/auth/reset-password")
def post_reset_password(payload: JsonBody, request: Request) -> Response:
    """Mail a password reset link to the account of ``email``; the answer is the same for any email."""
    email = payload.get("email")
    if not isinstance(email, str) or not email.strip():
        raise validation_error({"email": "Field required"}, "Validation error.")
    request_reset(app_state(request), email)
    return ok(SENT)


@router.put("/auth/reset-password")
async def put_reset_password(payload: JsonBody, request: Request) -> Response:
    """Set a new password with the token of a reset link (``email``, ``token``, ``password``, ``password2``)."""
    ip = request.client.host if request.client else None
    await run_in_threadpool(reset, app_state(request), payload, ip)
    return ok({"success": True})


@router.post("/actions/persons/{person_id}/reset-password-link")
def post_reset_password_link(person_id: str, ctx: Ctx) -> Response:
    """A password reset link for a person, for an admin to hand over (valid
    ``FOXTRACK_RESET_TOKEN_MINUTES``; not mailed)."""
    return ok(admin_link(ctx, person_id))
