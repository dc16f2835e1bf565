"""What the processes serving one database tell each other: which data changed (the versions the
response cache keys its answers by) and which tokens were revoked.

One process alone keeps both in memory. With ``FOXTRACK_REDIS_URL`` every process (``serve``
workers, separate ``foxtrack serve`` processes, ``foxtrack worker``) keeps the versions in Redis
and announces revocations on a Redis channel, so a change or a logout made through one process is
seen by the next request any process answers.

Versions follow commits, read from the engine: a transaction whose event rows all name projects
moves those projects' versions; any other write (no event row, or a project-less event) moves the
version of everything that is not one project's. Every write moves ``ANY``. The versions are moved
once the transaction has committed and its connection is back in the pool, so an answer computed
from the data before the change can never be stored under a version that is still current.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.dml import Insert

from foxtrack.core.context import AppState
from foxtrack.db import schema as s

log = logging.getLogger("foxtrack.cluster")

ANY = "any"  # moved by every write: the version of answers that may show anything
UNSCOPED = "unscoped"  # moved by writes that are not one project's (people, task types, tokens...)
ALL_TOKENS = "*"


def project_key(project_id: str) -> str:
    return f"p:{project_id}"


class Versions:
    """Counters of changes, one per key, in this process (one process serves the database)."""

    shared = False

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def bump(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._counts[key] = self._counts.get(key, 0) + 1

    async def read(self, keys: tuple[str, ...]) -> tuple[Any, ...]:
        counts = self._counts
        return tuple(counts.get(key, 0) for key in keys)

    def close(self) -> None:
        pass


class RedisVersions(Versions):
    """The same counters in Redis, shared by every process; ``epoch`` changes if Redis loses them."""

    shared = True

    def __init__(self, url: str, prefix: str):
        super().__init__()
        import redis
        import redis.asyncio

        self.prefix = f"{prefix}:cache:"
        self.sync = redis.Redis.from_url(url)
        self.aio = redis.asyncio.Redis.from_url(url)
        self.epoch = self.prefix + "epoch"
        self.sync.set(self.epoch, secrets.token_hex(8), nx=True)

    def bump(self, keys: list[str]) -> None:
        pipe = self.sync.pipeline(transaction=False)
        for key in keys:
            pipe.incr(self.prefix + key)
        pipe.execute()

    async def read(self, keys: tuple[str, ...]) -> tuple[Any, ...]:
        values = await self.aio.mget([self.epoch, *(self.prefix + k for k in keys)])
        if values[0] is None:  # Redis restarted empty: nothing cached before can be trusted
            await self.aio.set(self.epoch, secrets.token_hex(8), nx=True)
            values = await self.aio.mget([self.epoch, *(self.prefix + k for k in keys)])
        return tuple(values)

    def close(self) -> None:
        self.sync.close()


class Cluster:
    """This process's side of the coordination: the versions, and revocations sent and received."""

    def __init__(self, state: AppState):
        self.state = state
        settings = state.settings
        self.redis_url = settings.redis_url
        self.channel = f"{settings.redis_prefix}:cluster"
        self.origin = secrets.token_hex(8)
        self.versions: Versions = RedisVersions(self.redis_url, settings.redis_prefix) if self.redis_url \
            else Versions()
        self._pending = threading.local()  # revocations waiting for their transaction's commit
        self._publisher: Any = None
        self._listener: threading.Thread | None = None
        self._pubsub: Any = None
        self._stopping = threading.Event()
        self.subscribed = threading.Event()
        if self.redis_url:
            import redis

            self._publisher = redis.Redis.from_url(self.redis_url)

    # ------------------------------------------------------------------ revocations

    def revoked(self, jti: str | None) -> None:
        """``AppState.invalidate_auth`` hook: every other process drops the token (or every token) now,
        and again once the transaction that records the revocation has committed."""
        if self._publisher is None:
            return
        token = jti or ALL_TOKENS
        self._announce([token])
        waiting: list[str] = getattr(self._pending, "tokens", [])
        waiting.append(token)
        self._pending.tokens = waiting

    def _announce(self, tokens: list[str]) -> None:
        try:
            self._publisher.publish(self.channel, orjson.dumps({"origin": self.origin, "revoked": tokens}))
        except Exception:
            log.exception("could not announce a revocation to the other processes")

    def _received(self, message: dict[str, Any]) -> None:
        tokens = message.get("revoked") or []
        cache = self.state.auth_cache
        for token in tokens:
            if token == ALL_TOKENS:
                cache.clear()
            else:
                cache.pop(str(token), None)

    def start(self) -> None:
        """Listen to the other processes (a daemon thread; returns once subscribed)."""
        if self.redis_url is None or self._listener is not None:
            return
        import redis

        self._pubsub = redis.Redis.from_url(self.redis_url).pubsub(  # type: ignore[no-untyped-call,unused-ignore]
            ignore_subscribe_messages=True)
        self._pubsub.subscribe(self.channel)
        self._listener = threading.Thread(target=self._listen, name="foxtrack-cluster", daemon=True)
        self._listener.start()
        self.subscribed.set()

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                message = self._pubsub.get_message(timeout=1.0)
            except Exception:
                if self._stopping.is_set():
                    return
                log.exception("cluster channel failed; listening again")
                self._stopping.wait(0.5)
                continue
            if message is None or message.get("type") != "message":
                continue
            try:
                body = orjson.loads(message["data"])
            except orjson.JSONDecodeError:
                continue
            if isinstance(body, dict) and body.get("origin") != self.origin:
                self._received(body)

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            self._listener.join(3)
        if self._pubsub is not None:
            self._pubsub.close()
        if self._publisher is not None:
            self._publisher.close()
        self.versions.close()

    # ------------------------------------------------------------------ commits

    def watch(self, engine: Engine) -> None:
        """Follow the writes and commits of ``engine`` (see the module's docstring)."""
        sa.event.listen(engine, "after_execute", self._executed)
        sa.event.listen(engine, "commit", self._committing)
        sa.event.listen(engine, "rollback", self._rolled_back)
        sa.event.listen(engine, "checkin", self._checked_in)

    def _executed(self, conn: Connection, clause: Any, multiparams: Any, params: Any, _options: Any,
                  _result: Any) -> None:
        if isinstance(clause, sa.sql.Select):
            return
        info = conn.info
        if isinstance(clause, Insert) and clause.table is s.api_event:
            rows = multiparams if isinstance(multiparams, list) and multiparams else [params]
            for row in rows:
                project = row.get("project_id") if isinstance(row, dict) else None
                info.setdefault("foxtrack_projects", set()).add(project)
            return
        if isinstance(clause, (str, sa.sql.TextClause)) and str(clause).lstrip()[:6].upper() in ("SELECT", "PRAGMA"):
            return
        info["foxtrack_wrote"] = True

    def _committing(self, conn: Connection) -> None:
        info = conn.info
        projects: set[str | None] = info.pop("foxtrack_projects", set())
        wrote = info.pop("foxtrack_wrote", False)
        if not projects and not wrote:
            return
        keys: set[str] = info.setdefault("foxtrack_committed", set())
        keys.add(ANY)
        if (wrote and not projects) or None in projects:
            keys.add(UNSCOPED)
        keys.update(project_key(p) for p in projects if p)

    def _rolled_back(self, conn: Connection) -> None:
        conn.info.pop("foxtrack_projects", None)
        conn.info.pop("foxtrack_wrote", None)

    def _checked_in(self, _dbapi_conn: Any, record: Any) -> None:
        keys: set[str] | None = record.info.pop("foxtrack_committed", None)
        if not keys:
            return
        try:
            self.versions.bump(sorted(keys))
        except Exception:
            log.exception("could not move the data versions")
        tokens: list[str] = getattr(self._pending, "tokens", [])
        if tokens:
            self._pending.tokens = []
            self._announce(tokens)


def install(state: AppState) -> Cluster:
    """The coordination of ``state``'s process: commits followed, revocations announced."""
    cluster = Cluster(state)
    cluster.watch(state.engine)
    hooks: list[Callable[[str | None], None]] = state.extras.setdefault("invalidate_auth", [])
    hooks.append(cluster.revoked)
    state.extras["cluster"] = cluster
    cluster.start()
    return cluster


def cluster_of(state: AppState) -> Cluster | None:
    found: Cluster | None = state.extras.get("cluster")
    return found
