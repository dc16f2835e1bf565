"""``POST auth/change-password``: a person changes their own password, giving the current one (no
second factor asked, as Zou). Every session of the person ends and a notice is mailed
(``auth.sessions.password_changed``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter
from starlette.responses import Response

from foxtrack.auth.service import LoginAttempt, LoginRefused, authenticate
from foxtrack.core import permissions as perm
from foxtrack.core.context import Ctx, RequestContext
from foxtrack.core.errors import BadRequest, validation_error
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import ok
from foxtrack.db import schema as s
from foxtrack.db.seed import hash_password
from foxtrack.persons import service as persons

router = APIRouter(tags=["auth"])
MIN_PASSWORD_LENGTH = 8


def _refused(message: str, **flags: Any) -> BadRequest:
    return BadRequest(message, body={"error": True, "message": message, **flags})


def change_password(ctx: RequestContext, body: dict[str, Any]) -> dict[str, bool]:
    perm.require_person(ctx)
    fields = ("old_password", "password", "password_2")
    missing = {k: "Field required" for k in fields if not isinstance(body.get(k), str) or not body.get(k)}
    if missing:
        raise validation_error(missing, message="Validation error.")
    old, password, confirmation = (str(body[k]) for k in fields)
    with ctx.read() as conn:
        email = conn.execute(sa.select(s.person.c.email).where(s.person.c.id == ctx.person_id)).scalar()
    try:
        authenticate(ctx.state, email or "", old, attempt=LoginAttempt(origin="change-password", skip_2fa=True))
    except LoginRefused as refused:
        if refused.body.get("too_many_failed_login_attemps"):
            raise _refused("Too many failed login attempts.", too_many_failed_login_attemps=True) from refused
        if refused.body.get("message") == "User is inactive.":
            raise _refused("User is unactive.") from refused
        raise _refused("Old password is wrong.") from refused
    if len(password) < MIN_PASSWORD_LENGTH:
        raise _refused("Password is too short.")
    if password != confirmation:
        raise _refused("Confirmation password doesn't match.")
    persons.set_password(ctx, ctx.person_id, hash_password(password, ctx.state.settings.bcrypt_rounds))
    return {"success": True}


@router.post("/auth/change-password")
def post_change_password(payload: JsonBody, ctx: Ctx) -> Response:
    """Change the caller's password (``old_password``, ``password``, ``password_2``)."""
    return ok(change_password(ctx, payload))
