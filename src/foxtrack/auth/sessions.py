"""Sessions: a login opens one (``auth_session``, keyed by its refresh token's jti); a logout ends it,
a password change ends every session of that person.

Ending a session revokes its refresh jti. Every access token carries the refresh jti it was issued
or refreshed from (``refresh_jti``), and ``core.context.load_identity`` refuses an access token whose
own jti or refresh jti is revoked: the tokens refreshed before a logout die with it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from foxtrack.core.context import AppState, Tx
from foxtrack.core.jsonutil import now
from foxtrack.db import schema as s

__all__ = ["end_session", "revoke_jtis", "revoke_person_sessions", "stamp_in"]


def stamp_in(seconds: float) -> str:
    """A timestamp ``seconds`` from now, in the format of ``jsonutil.now`` (sorts as text)."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _stamp_of(exp: Any) -> str:
    if isinstance(exp, int | float):
        return datetime.fromtimestamp(exp, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return stamp_in(86400)


def revoke_jtis(tx: Tx, jtis: dict[str, str]) -> None:
    """Revoke each jti (``{jti: expires_at}``, the moment past which the row is no longer needed)."""
    wanted = {j: e for j, e in jtis.items() if j}
    if not wanted:
        return
    known = set(tx.execute(sa.select(s.revoked_token.c.jti).where(s.revoked_token.c.jti.in_(list(wanted)))).scalars())
    rows = [{"jti": j, "expires_at": e} for j, e in wanted.items() if j not in known]
    if rows:
        tx.insert(s.revoked_token, rows)


def end_session(state: AppState, claims: dict[str, Any]) -> None:
    """Logout: the caller's access token, its refresh token and so every access token refreshed from it."""
    refresh_jti = str(claims.get("refresh_jti") or "")
    with state.write(str(claims.get("sub") or "") or None) as tx:
        revoke_jtis(tx, {str(claims.get("jti") or ""): _stamp_of(claims.get("exp")),
                         refresh_jti: stamp_in(state.settings.refresh_token_days * 86400)})
        if refresh_jti:
            tx.update(s.auth_session, {"revoked_at": now(), "updated_at": now()},
                      s.auth_session.c.id == refresh_jti, s.auth_session.c.revoked_at.is_(None))
        tx.after_commit(lambda: _forget(state, claims))


def revoke_person_sessions(tx: Tx, state: AppState, person_id: str, keep: str | None = None) -> int:
    """End every open session of a person (a password change), but ``keep`` (a refresh jti); how many."""
    a = s.auth_session.c
    stamp = now()
    rows = tx.execute(sa.select(a.id, a.expires_at).where(
        a.person_id == person_id, a.revoked_at.is_(None), sa.or_(a.expires_at.is_(None), a.expires_at > stamp))).all()
    ended = {r.id: r.expires_at or stamp_in(state.settings.refresh_token_days * 86400) for r in rows if r.id != keep}
    if not ended:
        return 0
    revoke_jtis(tx, ended)
    tx.update(s.auth_session, {"revoked_at": stamp, "updated_at": stamp}, a.id.in_(list(ended)))
    tx.after_commit(lambda: _forget(state, None))
    return len(ended)


def _forget(state: AppState, claims: dict[str, Any] | None) -> None:
    """Drop what this process trusts of the revoked tokens. The auth cache is keyed by access jti and
    the access tokens of a session are not all known here: the whole cache goes (it refills in one
    read per token)."""
    if claims is not None:
        state.invalidate_auth(str(claims.get("jti") or ""))
        state.invalidate_auth(str(claims.get("refresh_jti") or ""))
    state.invalidate_auth()


def password_changed(tx: Tx, state: AppState, person_id: str, *, by: str | None = None, reason: str = "changed",
                     ip: str | None = None) -> None:
    """What follows any new password of a person, in the unit of work that sets it: every session of
    theirs ends, the audit trail notes it (``by`` another person: an admin), and they get a notice by
    mail after commit."""
    from foxtrack import mail
    from foxtrack.auth import audit

    revoke_person_sessions(tx, state, person_id)
    audit.write(tx, person_id, event="password", reason=reason if by in (None, person_id) else f"{reason}_by_admin",
                ip=ip)
    p = s.person.c
    person = tx.execute(sa.select(p.email, p.first_name).where(p.id == person_id)).first()
    if person is None or not person.email:
        return
    text = (f"Hello {person.first_name},\n\nThe password of your Kitsu account was {reason} on {now()[:16]} UTC"
            f"{f' from {ip}' if ip else ''}.\nIf you did not do it, reset your password or tell your studio's "
            "administrator at once.\n")
    mail.queue(tx, state, person.email, "Kitsu: password changed", text)
