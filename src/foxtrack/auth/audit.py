"""The account's audit trail, in Zou's ``login_log`` table: successful logins (``event`` login, as Zou
writes them), failed ones with their ``reason`` (and the ``email`` tried when no account has it), and
the account's other events: second factors turned on or off, recovery codes renewed, password changes
and resets, logouts.

Zou's read, ``GET data/events/login-logs/last``, lists the successful logins; foxtrack's
``GET data/persons/{id}/login-logs`` lists a person's whole trail (admins, or the person).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core import permissions as perm
from foxtrack.core.context import AppState, Ctx, RequestContext, Tx
from foxtrack.core.errors import Forbidden, MalformedId
from foxtrack.core.jsonutil import is_uuid, ok
from foxtrack.db import schema as s
from foxtrack.db.seed import insert_row

__all__ = ["LOGIN", "person_logs", "record", "write"]

router = APIRouter(tags=["auth"])
LOGIN = "login"
MAX_LIMIT = 1000


def write(tx: Tx, person_id: str | None, *, event: str = LOGIN, success: bool = True, reason: str | None = None,
          ip: str | None = None, origin: str | None = None, email: str | None = None) -> None:
    """One audit row in ``tx`` (the unit of work of the change it records)."""
    insert_row(tx, s.login_log, person_id=person_id, event=event, success=success, reason=reason,
               ip_address=(ip or "")[:60] or None, origin=origin, email=(email or "")[:255] or None)


def record(state: AppState, person_id: str | None, **values: Any) -> None:
    """One audit row in a unit of work of its own (a refused login changes nothing else)."""
    with state.write(person_id) as tx:
        write(tx, person_id, **values)


def person_logs(ctx: RequestContext, person_id: str, limit: int = 100) -> list[dict[str, Any]]:
    if not is_uuid(person_id):
        raise MalformedId()
    if not ctx.is_admin and ctx.person_id != person_id:
        raise Forbidden()
    perm.require_person(ctx)
    log = s.login_log.c
    with ctx.read() as conn:
        rows = conn.execute(sa.select(log.id, log.created_at, log.person_id, log.event, log.success, log.reason,
                                      log.ip_address, log.origin)
                            .where(log.person_id == person_id)
                            .order_by(log.created_at.desc(), log.id).limit(max(1, min(limit, MAX_LIMIT))))
        return [{"id": r.id, "created_at": r.created_at[:19], "person_id": r.person_id, "event": r.event or LOGIN,
                 "success": bool(r.success), "reason": r.reason, "ip_address": r.ip_address, "origin": r.origin}
                for r in rows]


@router.get("/data/persons/{person_id}/login-logs")
def get_person_login_logs(person_id: str, request: Request, ctx: Ctx) -> Response:
    """A person's audit trail, newest first (``limit``, 100 by default): logins, failed logins with their
    reason, 2FA changes, password changes and resets, logouts. Admins, or the person."""
    raw = request.query_params.get("limit", "100")
    limit = int(raw) if raw.isdigit() else 100
    return ok(person_logs(ctx, person_id, limit))
