"""A production's preview account: one read-only client login a manager hands to an outside viewer.

The account is a person with ``preview_project_id`` set, on the production's team as a client. It
works only while its access window is open (``PUT ... {"is_open": true}`` opens it for an hour, or
extends an open one), only with tokens issued after the window opened, and only for reads:
``window_open`` and ``session_refused`` are what login and token checks consult. Creating it again
replaces its password and closes the window, which ends every session."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import BadRequest, NotFound, validation_error
from foxtrack.core.models import PERSON, PROJECT
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.db.seed import hash_password
from foxtrack.projects.service import check_id, load_project

Row = dict[str, Any]
OPEN_FOR = timedelta(hours=1)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NO_ACCOUNT = "No preview account for this project"
LOCAL_ONLY = "Preview accounts require the local authentication strategy"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _parse(stamp: str | None) -> datetime | None:
    return None if not stamp else datetime.fromisoformat(stamp)


def _shape(row: Row) -> Row:
    return {"id": row["id"], "email": row["email"], "full_name": row.get("full_name") or "",
            "preview_open_until": row.get("preview_open_until")}


def _account(conn: Connection, project_id: str) -> Row | None:
    p = s.person
    found = conn.execute(sa.select(p.c.id).where(p.c.preview_project_id == project_id).limit(1)).first()
    return None if found is None else PERSON.get(conn, found[0])


def _managed(ctx: RequestContext, conn: Connection, project_id: str) -> Row:
    check_id(project_id)
    project = load_project(conn, project_id)
    perm.check_manager_project_access(ctx, conn, project_id)
    return project


def get_account(ctx: RequestContext, project_id: str) -> Row | None:
    """The production's preview account (id, email, full name, end of its window), or None."""
    with ctx.read() as conn:
        _managed(ctx, conn, project_id)
        account = _account(conn, project_id)
        return None if account is None else _shape(account)


def create_or_reset(ctx: RequestContext, project_id: str) -> Row:
    """Create the account, or give it a new password; either way its window is closed. The answer
    carries the clear password, the only time it is shown."""
    # preview accounts log in with a password: only the local strategy can check it
    if ctx.state.settings.auth_strategy != "auth_local_classic":
        raise BadRequest(LOCAL_ONLY)
    password = secrets.token_urlsafe(12)
    hashed = hash_password(password, ctx.state.settings.bcrypt_rounds)
    with ctx.write() as tx:
        project = _managed(ctx, tx.conn, project_id)
        account = _account(tx.conn, project_id)
        if account is None:
            last_name = str(project.get("name") or "")
            account = crud.insert(tx, PERSON, {
                "email": f"preview-{secrets.token_hex(6)}@preview.kitsu.invalid", "password": hashed,
                "first_name": "Preview", "last_name": last_name, "role": "client", "active": True, "preview_project_id": project_id,
            })
            tx.insert(s.project_person_link, {"project_id": project_id, "person_id": account["id"], "role": None})
            crud.update_row(tx, PROJECT, project_id, {})
            tx.emit("project:update", {"project_id": project_id}, project_id=project_id)
        else:
            crud.update_row(tx, PERSON, account["id"], {"password": hashed, "preview_opened_at": None,
                                                        "preview_open_until": None})
            account = {**account, "preview_open_until": None}
        tx.after_commit(ctx.state.invalidate_auth)
        return {**_shape(account), "password": password}


def set_open(ctx: RequestContext, project_id: str, body: Any) -> Row:
    """``{"is_open": true}`` opens the window for an hour (an open window is extended, its start
    kept); ``false`` closes it."""
    is_open = body.get("is_open") if isinstance(body, dict) else None
    if not isinstance(is_open, bool):
        raise validation_error({"is_open": "Input should be a valid boolean"}, "Validation error.")
    with ctx.write() as tx:
        _managed(ctx, tx.conn, project_id)
        account = _account(tx.conn, project_id)
        if account is None:
            raise NotFound(NO_ACCOUNT)
        values: Row = {"preview_opened_at": None, "preview_open_until": None}
        if is_open:
            moment = _utc_now()
            until = _parse(account.get("preview_open_until"))
            opened = account.get("preview_opened_at")
            values = {"preview_opened_at": _stamp(moment) if until is None or until < moment or not opened else opened,
                      "preview_open_until": _stamp(moment + OPEN_FOR)}
        crud.update_row(tx, PERSON, account["id"], values)
        tx.after_commit(ctx.state.invalidate_auth)
        return _shape({**account, **values})


def delete_account(ctx: RequestContext, project_id: str) -> None:
    """Remove the production's preview account and what it left (team link, logs, notifications)."""
    from foxtrack.persons.service import remove_person_rows

    with ctx.write() as tx:
        _managed(ctx, tx.conn, project_id)
        account = _account(tx.conn, project_id)
        if account is None:
            return
        remove_person_rows(tx, account["id"])
        tx.emit("person:delete", {"person_id": account["id"]})
        tx.after_commit(ctx.state.invalidate_auth)


# ----------------------------------------------------------------------------- sessions

def window_open(opened_at: str | None, open_until: str | None, issued_at: Any = None) -> bool:
    """Whether a preview account may act now: its window is open and, for a token, the token was
    issued (``iat``, epoch seconds) after the window opened."""
    until = _parse(open_until)
    if until is None or until < _utc_now():
        return False
    opened = _parse(opened_at)
    if isinstance(issued_at, (int, float)) and opened is not None:
        return issued_at >= int(opened.replace(tzinfo=UTC).timestamp())
    return True


def session_refused(row: Row, claims: dict[str, Any] | None, method: str | None = None) -> str | None:
    """Why a preview account's request or login is refused (``None``: it is not refused, or the
    person is no preview account): ``"inactive"`` outside its window, ``"read-only"`` for a write."""
    if not row.get("preview_project_id"):
        return None
    issued = None if claims is None else claims.get("iat")
    if not window_open(row.get("preview_opened_at"), row.get("preview_open_until"), issued):
        return "inactive"
    if method is not None and method.upper() not in READ_METHODS:
        return "read-only"
    return None
