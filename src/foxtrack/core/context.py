"""The request context: who is calling (from the JWT), and the one way to read and write.

Every route gets a ``RequestContext`` through the ``Ctx`` dependency. Writes happen in
``ctx.write()``: one transaction per request; events are inserted in that transaction and
published on the bus only after commit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import jwt
import sqlalchemy as sa
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from sqlalchemy.engine import Connection, Engine

from foxtrack.config import Settings
from foxtrack.core.errors import ApiError, Unauthorized
from foxtrack.core.events import Event, EventBus
from foxtrack.core.http import refuse_nul_query
from foxtrack.core.jsonutil import new_id, now
from foxtrack.core.models import check_values
from foxtrack.db import schema as s
from foxtrack.db.engine import read_engine
from foxtrack.ops.catalog import check as check_event


@dataclass
class AppState:
    """What hangs off the app: settings, engine, bus, storage and small caches."""

    settings: Settings
    engine: Engine
    bus: EventBus
    secret: str
    extras: dict[str, Any] = field(default_factory=dict)
    entity_type_names: dict[str, str] = field(default_factory=dict)
    # jti -> (checked at, role, is_bot): a verified token is trusted for AUTH_CACHE_SECONDS before
    # its revocation and person are checked again; local revocations drop it at once.
    auth_cache: dict[str, tuple[float, str, bool]] = field(default_factory=dict)
    # token -> claims of tokens whose signature was already verified (expiry is still checked)
    verified_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    # ``id`` of the routes whose plain-``def`` handler runs ``RequestContext.settle()`` first, on its
    # own thread (``foxtrack._routing``): the request's database checks ride on the handler's hop
    handler_checked_routes: set[int] = field(default_factory=set)
    # (method, path) -> the route policy's rule for it (``policy.rule_for`` walks every rule)
    route_rules: dict[tuple[str, str], Any] = field(default_factory=dict)
    # the engine ``read`` checks out from: the same pool, autocommit on PostgreSQL (``read_engine``)
    reader: Engine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.reader = read_engine(self.engine)

    def invalidate_auth(self, jti: str | None = None) -> None:
        if jti is None:
            self.auth_cache.clear()
        else:
            self.auth_cache.pop(jti, None)
        for hook in self.extras.get("invalidate_auth", ()):  # the other processes (foxtrack.cluster)
            hook(jti)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads (writes go through ``write``)."""
        with self.reader.connect() as conn:
            yield conn

    @contextmanager
    def write(self, user_id: str | None = None) -> Iterator[Tx]:
        """One unit of work (``unit_of_work``) whose events are published on this app's bus."""
        with unit_of_work(self.engine, user_id, self.bus) as tx:
            yield tx

    def entity_type_name(self, conn: Connection, entity_type_id: str) -> str:
        name = self.entity_type_names.get(entity_type_id)
        if name is None:
            self.entity_type_names.update(
                {i: n for i, n in conn.execute(sa.select(s.entity_type.c.id, s.entity_type.c.name))}
            )
            name = self.entity_type_names.get(entity_type_id, "Asset")
        return name


@contextmanager
def unit_of_work(engine: Engine, user_id: str | None = None, bus: EventBus | None = None) -> Iterator[Tx]:
    """One unit of work: its writes and event rows commit together; then its events are published and
    its after-commit work runs. A rollback runs the undo work of what could not roll back."""
    tx: Tx | None = None
    try:
        with engine.begin() as conn:
            tx = Tx(conn, user_id)
            yield tx
            tx.flush_events()
    except BaseException:
        if tx is not None:
            tx.undo()
        raise
    if tx.events and bus is not None:
        bus.publish(tx.events)
    tx.committed()


class Tx:
    """A unit of work of the operations engine: the connection, the validated writes, the events they
    record (checked against the catalog) and the side effects to run after commit or to undo on rollback.

    Every SQL write goes through ``insert``/``update``/``delete`` (a test refuses any other): values are
    checked against their columns first (``core.models.check_values``), so SQLite and PostgreSQL store
    and refuse the same things.
    """

    def __init__(self, conn: Connection, user_id: str | None):
        self.conn = conn
        self.user_id = user_id
        self.events: list[Event] = []
        # event rows not inserted yet: ``flush_events`` writes them in one statement, before the
        # commit and before any delete (which could remove rows they are about)
        self._event_rows: list[dict[str, Any]] = []
        self._after_commit: list[Callable[[], None]] = []
        self._on_rollback: list[Callable[[], None]] = []

    def execute(self, stmt: Any, params: Any = None) -> Any:
        """A read in this transaction (writes: ``insert``, ``update``, ``delete``)."""
        return self.conn.execute(stmt, params) if params is not None else self.conn.execute(stmt)

    def insert(self, table: sa.Table, rows: dict[str, Any] | list[dict[str, Any]]) -> None:
        """Insert one row or many (parameters bound at execution: one compiled INSERT per column set)."""
        many = rows if isinstance(rows, list) else [rows]
        if not many:
            return
        for row in many:
            check_values(table, row)
        self.conn.execute(table.insert(), many if isinstance(rows, list) else rows)

    def update(self, table: sa.Table, values: dict[str, Any], *where: Any) -> int:
        """Set ``values`` on the rows matching ``where``; the number of rows changed."""
        check_values(table, values)
        done = self.conn.execute(table.update().where(*where).values(**values))
        return int(done.rowcount)

    def update_many(self, table: sa.Table, key: str, rows: list[dict[str, Any]]) -> None:
        """One UPDATE per row, executed as a batch: each row's ``b_<key>`` picks the row, its other
        keys are the new values (all rows set the same columns)."""
        if not rows:
            return
        for row in rows:
            check_values(table, {k: v for k, v in row.items() if k != f"b_{key}"})
        columns = [k for k in rows[0] if k != f"b_{key}"]
        stmt = table.update().where(table.c[key] == sa.bindparam(f"b_{key}")).values(
            {c: sa.bindparam(c) for c in columns})
        self.conn.execute(stmt, rows)

    def delete(self, table: sa.Table, *where: Any) -> int:
        """Delete the rows matching ``where`` (at least one condition); the number of rows deleted."""
        if not where:
            raise TypeError("a delete names the rows it removes")
        self.flush_events()
        return int(self.conn.execute(table.delete().where(*where)).rowcount)

    def flush_events(self) -> None:
        """Insert the event rows recorded so far (one statement for all of them)."""
        rows, self._event_rows = self._event_rows, []
        if rows:
            self.conn.execute(s.api_event.insert(), rows)

    def after_commit(self, work: Callable[[], None]) -> None:
        """Run ``work`` once the change is committed (what cannot roll back: uploads, messages)."""
        self._after_commit.append(work)

    def on_rollback(self, work: Callable[[], None]) -> None:
        """Run ``work`` if the change is rolled back (undo a side effect done before commit)."""
        self._on_rollback.append(work)

    def committed(self) -> None:
        for work in self._after_commit:
            try:
                work()
            except Exception:
                logging.getLogger("foxtrack.ops").exception("after-commit work failed")

    def undo(self) -> None:
        for work in reversed(self._on_rollback):
            try:
                work()
            except Exception:
                logging.getLogger("foxtrack.ops").exception("rollback clean-up failed")

    def emit(self, name: str, data: dict[str, Any], project_id: str | None = None, persist: bool = True) -> None:
        """Record event ``name`` (from the catalog) with this change; published after commit."""
        kind = check_event(name, data)
        payload = dict(data)
        if project_id is not None:
            payload["project_id"] = project_id
        stamp = now()
        event_id = new_id()
        if persist and kind.persist:
            self._event_rows.append({"id": event_id, "created_at": stamp, "updated_at": stamp, "name": name,
                                     "user_id": self.user_id, "project_id": project_id, "data": payload})
        self.events.append(
            {"id": event_id, "name": name, "data": payload, "project_id": project_id,
             "user_id": self.user_id, "created_at": stamp[:19]}
        )


ADMIN, MANAGER, SUPERVISOR, USER, CLIENT, VENDOR = "admin", "manager", "supervisor", "user", "client", "vendor"


@dataclass
class RequestContext:
    state: AppState
    person_id: str
    role: str
    is_bot: bool
    claims: dict[str, Any]
    _project_roles: dict[str, str | None] = field(default_factory=dict)
    # the request's checks that need the database, not run yet (``settle``)
    _pending: Callable[[RequestContext], None] | None = field(default=None, repr=False)

    def settle(self) -> None:
        """Run the checks ``authenticated`` left for the handler's thread (the identity on an auth
        cache miss, the route policy...); they raise 401/403 as they would have before the handler."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending(self)

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role in (ADMIN, MANAGER)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.state.read() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Tx]:
        with self.state.write(self.person_id) as tx:
            yield tx

    def project_role(self, conn: Connection, project_id: str) -> str | None:
        """The caller's effective role in a project, or None when not on its team (admins: admin)."""
        if project_id in self._project_roles:
            return self._project_roles[project_id]
        if self.is_admin:
            role: str | None = ADMIN
        else:
            link = s.project_person_link
            row = conn.execute(
                sa.select(link.c.role).where(link.c.project_id == project_id, link.c.person_id == self.person_id)
            ).first()
            role = None if row is None else (row[0] or self.role)
        self._project_roles[project_id] = role
        return role


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.foxtrack
    return state


MISSING_JWT = 'Missing JWT in headers or cookies (Missing Authorization Header; Missing cookie "access_token_cookie")'


def raw_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        parts = header.split(None, 1)
        if len(parts) == 2 and parts[0].lower() == "bearer":
            return parts[1].strip()
        raise Unauthorized("Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'")
    return request.cookies.get("access_token_cookie")


def decode_token(state: AppState, token: str, expected_type: str = "access") -> dict[str, Any]:
    # A token whose signature was verified once is the same token: skip the HMAC, not the expiry.
    known = state.verified_tokens.get(token)
    if known is not None and known.get("type") == expected_type:
        exp = known.get("exp")
        if exp is None or exp > time.time():
            return known
    claims = _decode_token(state, token, expected_type)
    if len(state.verified_tokens) > 20000:
        state.verified_tokens.clear()
    state.verified_tokens[token] = claims
    return claims


def _decode_token(state: AppState, token: str, expected_type: str = "access") -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, state.secret, algorithms=["HS256"], options={"require": ["sub"], "verify_exp": True}
        )
    except jwt.ExpiredSignatureError as exc:
        raise ApiError("Signature has expired", status=401) from exc
    except jwt.DecodeError as exc:
        text = str(exc)
        msg = "Not enough segments" if "segments" in text or "Invalid header" in text else text
        if "Signature verification failed" in text:
            msg = "Signature verification failed"
        raise Unauthorized(msg, status=422) from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(str(exc) or "Invalid token", status=422) from exc
    if claims.get("type") != expected_type:
        want = "refresh" if expected_type == "refresh" else "non-refresh"
        raise Unauthorized(f"Only {want} tokens are allowed", status=422)
    return claims


def load_identity(state: AppState, conn: Connection, claims: dict[str, Any]) -> tuple[str, bool]:
    """Check revocation and the person behind the token; return (role, is_bot)."""
    p = s.person
    jti = claims.get("jti", "")
    # an access token dies with its session: its own jti or the refresh jti it came from (a logout)
    session_jti = claims.get("refresh_jti")
    revoked = sa.exists().where(s.revoked_token.c.jti.in_([jti, session_jti] if session_jti else [jti]))
    row = conn.execute(
        sa.select(p.c.role, p.c.active, p.c.is_bot, p.c.jti, revoked.label("revoked"), p.c.preview_project_id,
                  p.c.preview_opened_at, p.c.preview_open_until).where(p.c.id == claims["sub"])
    ).first()
    if row is None:
        raise Unauthorized("User not found", status=401)
    role, active, is_bot, person_jti, is_revoked, preview_project_id, opened_at, open_until = row
    if is_revoked:
        raise Unauthorized("Token has been revoked")
    if claims.get("identity_type") == "bot" and person_jti != jti:
        raise Unauthorized("Token has been revoked")
    if not active:
        raise ApiError("User is inactive.", status=401)
    if preview_project_id is not None:  # a production's preview account: only inside its window
        from foxtrack.projects.preview_account import window_open

        if not window_open(opened_at, open_until, claims.get("iat")):
            raise ApiError("User is inactive.", status=401)
    return role or USER, bool(is_bot)


def _refuse_preview_write(state: AppState, person_id: str) -> None:
    with state.read() as conn:
        preview = conn.execute(sa.select(s.person.c.preview_project_id).where(s.person.c.id == person_id)).scalar()
    if preview is not None:
        raise ApiError("You are not allowed to perform this action.", status=403)


AUTH_CACHE_SECONDS = 2.0


def _identity(state: AppState, claims: dict[str, Any]) -> tuple[str, bool]:
    with state.read() as conn:
        return load_identity(state, conn, claims)


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _database_checks(ctx: RequestContext, method: str, path: str) -> list[Callable[[], None]]:
    """The checks of this request that read the database, once the caller's role is known."""
    from foxtrack.core import policy  # the route rules need this module's roles

    checks: list[Callable[[], None]] = []
    if ctx.role == CLIENT and method not in SAFE_METHODS:  # preview accounts only read
        checks.append(lambda: _refuse_preview_write(ctx.state, ctx.person_id))
    if ctx.claims.get("requires_2fa_setup"):  # ENFORCE_2FA: only the 2FA set-up until it is done
        from foxtrack.auth.twofactor import check_setup_gate

        checks.append(lambda: check_setup_gate(ctx.state, ctx.claims, path))
    key = (method, path)
    found = ctx.state.route_rules.get(key, False)
    if found is False:
        found = policy.rule_for(method, path)
        if len(ctx.state.route_rules) > 20000:
            ctx.state.route_rules.clear()
        ctx.state.route_rules[key] = found
    # an admin passes every rule that names admins, with no database read
    if found is not None and not (ctx.is_admin and "admin" in found[0] and found[0][0] != "!self"):
        checks.append(lambda: policy.check_rule(ctx, found))
    return checks


def _identity_then_checks(method: str, path: str) -> Callable[[RequestContext], None]:
    """On an auth cache miss: load the identity (revocation, person), remember it, then run the
    database checks its role calls for."""

    def run(ctx: RequestContext) -> None:
        ctx.role, ctx.is_bot = _identity(ctx.state, ctx.claims)
        cache = ctx.state.auth_cache
        if len(cache) > 10000:
            cache.clear()
        cache[ctx.claims.get("jti") or ""] = (time.monotonic(), ctx.role, ctx.is_bot)
        for check in _database_checks(ctx, method, path):
            check()

    return run


def _run_checks(checks: list[Callable[[], None]]) -> Callable[[RequestContext], None]:
    def run(_ctx: RequestContext) -> None:
        for check in checks:
            check()

    return run


async def authenticated(request: Request) -> RequestContext:
    """The caller of the request, checked. What needs no database runs here, on the loop (the token,
    a remembered identity); what does (an identity not remembered, the route policy) runs on the
    thread pool: in the handler's own thread-pool call when the route settles it there
    (``foxtrack._routing``), so a request costs one hop, else in one hop of its own."""
    state = app_state(request)
    token = raw_token(request)
    if not token:
        raise Unauthorized(MISSING_JWT)
    claims = decode_token(state, token)
    refuse_nul_query(request.scope["query_string"])  # one place for every authenticated route
    if "authorization" not in request.headers:  # a browser's cookie: no writes from other sites
        from foxtrack.auth.web import check_cookie_origin

        check_cookie_origin(request, state.settings)
    method, path = request.method, request.scope["path"]  # the path as routed (no URL object built)
    cached = state.auth_cache.get(claims.get("jti") or "")
    if cached is not None and time.monotonic() - cached[0] < AUTH_CACHE_SECONDS:
        ctx = RequestContext(state, claims["sub"], cached[1], cached[2], claims)
        checks = _database_checks(ctx, method, path)
        if not checks:
            return ctx
        ctx._pending = _run_checks(checks)
    else:
        ctx = RequestContext(state, claims["sub"], USER, False, claims)
        ctx._pending = _identity_then_checks(method, path)
    if id(request.scope.get("route")) not in state.handler_checked_routes:
        await run_in_threadpool(ctx.settle)
    return ctx


Ctx = Annotated[RequestContext, Depends(authenticated)]
State = Annotated[AppState, Depends(app_state)]
