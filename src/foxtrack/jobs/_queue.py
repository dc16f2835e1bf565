"""The job queue: rows of the ``job`` table, claimed with a conditional UPDATE.

A job is ``queued`` (due once ``run_after`` has passed), ``running`` (held by ``worker`` until
``lease_until``), then ``succeeded`` or ``failed``. Every write takes the unit of work (``Tx``) the
caller opened, so a job is queued in the same transaction as the change that asks for it, and a job
can end in the same transaction as the record it updates. Each claim bumps ``attempts``; a write
about a running job is conditional on ``(worker, attempts)``, the claim it belongs to, so a worker whose
lease was given to another can no longer touch the job.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core.context import Tx
from foxtrack.core.jsonutil import new_id, now
from foxtrack.db import schema as s

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"


def later(seconds: float) -> str:
    """The timestamp ``seconds`` from now, in the schema's text form."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%f")


@dataclass(frozen=True)
class Job:
    """One claim of a job (``attempts`` counts this one)."""

    id: str
    kind: str
    target_id: str | None
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    worker: str | None
    lease_until: str | None

    @property
    def last_attempt(self) -> bool:
        return self.attempts >= self.max_attempts


class Queue:
    """Queue operations over one job table (``schema.job`` unless told otherwise)."""

    def __init__(self, table: sa.Table = s.job):
        self.table = table
        t = table
        self._columns = (t.c.id, t.c.kind, t.c.target_id, t.c.payload, t.c.attempts, t.c.max_attempts, t.c.worker,
                         t.c.lease_until)

    def _job(self, row: Any) -> Job:
        return Job(id=row.id, kind=row.kind, target_id=row.target_id, payload=row.payload or {},
                   attempts=int(row.attempts or 0), max_attempts=int(row.max_attempts or 1), worker=row.worker,
                   lease_until=row.lease_until)

    def _held(self, job: Job) -> tuple[Any, ...]:
        t = self.table
        return t.c.id == job.id, t.c.state == RUNNING, t.c.worker == job.worker, t.c.attempts == job.attempts

    def enqueue(self, tx: Tx, kind: str, target_id: str | None = None, payload: dict[str, Any] | None = None, *,
                max_attempts: int = 3, attempts: int = 0, run_after: str | None = None) -> str:
        """Queue a job (due now unless ``run_after``); its id."""
        stamp = now()
        job_id = new_id()
        tx.insert(self.table, {"id": job_id, "created_at": stamp, "updated_at": stamp, "kind": kind,
                               "target_id": target_id, "payload": payload or {}, "state": QUEUED,
                               "attempts": attempts, "max_attempts": max(1, max_attempts),
                               "run_after": run_after or stamp})
        return job_id

    def claim(self, tx: Tx, kinds: Collection[str], worker: str, lease_seconds: float) -> Job | None:
        """Take the job of ``kinds`` due first, for ``worker``, until its lease ends; None when none is due.

        The UPDATE re-checks ``state`` and ``attempts``: of two workers racing for a job, the second
        changes no row and tries the next candidate. On PostgreSQL candidates are read ``FOR UPDATE SKIP
        LOCKED``, so racing workers pick different jobs instead of colliding."""
        if not kinds:
            return None
        t = self.table
        stamp = now()
        candidates = tx.execute(
            sa.select(*self._columns)
            .where(t.c.state == QUEUED, t.c.kind.in_(list(kinds)), t.c.run_after <= stamp)
            .order_by(t.c.run_after, t.c.created_at).limit(8).with_for_update(skip_locked=True)).all()
        for row in candidates:
            job = self._job(row)
            taken = replace(job, attempts=job.attempts + 1, worker=worker, lease_until=later(lease_seconds))
            if tx.update(t, {"state": RUNNING, "worker": worker, "attempts": taken.attempts,
                             "lease_until": taken.lease_until, "updated_at": stamp},
                         t.c.id == job.id, t.c.state == QUEUED, t.c.attempts == job.attempts) == 1:
                return taken
        return None

    def renew(self, tx: Tx, worker: str, lease_seconds: float) -> set[str]:
        """Extend the leases of every job ``worker`` runs; the ids still held."""
        t = self.table
        tx.update(t, {"lease_until": later(lease_seconds), "updated_at": now()}, t.c.worker == worker,
                  t.c.state == RUNNING)
        return {r[0] for r in tx.execute(sa.select(t.c.id).where(t.c.worker == worker, t.c.state == RUNNING))}

    def finish(self, tx: Tx, job: Job) -> bool:
        """``succeeded``; False when the claim is no longer held (the job was given to another worker)."""
        values = {"state": SUCCEEDED, "lease_until": None, "last_error": None, "updated_at": now()}
        return tx.update(self.table, values, *self._held(job)) == 1

    def fail(self, tx: Tx, job: Job, error: str, retry_at: str | None) -> bool:
        """Queued again from ``retry_at`` (backoff), or ``failed`` when ``retry_at`` is None; False when
        the claim is no longer held."""
        values: dict[str, Any] = {"last_error": error[:2000], "lease_until": None, "updated_at": now()}
        if retry_at is None:
            values.update(state=FAILED)
        else:
            values.update(state=QUEUED, worker=None, run_after=retry_at)
        return tx.update(self.table, values, *self._held(job)) == 1

    def release(self, tx: Tx, job: Job) -> bool:
        """Give a job back undone (its worker is stopping): queued now, this attempt not counted."""
        stamp = now()
        values = {"state": QUEUED, "worker": None, "lease_until": None, "attempts": job.attempts - 1,
                  "run_after": stamp, "updated_at": stamp}
        return tx.update(self.table, values, *self._held(job)) == 1

    def running(self, conn: Connection, kinds: Collection[str]) -> list[Job]:
        """The running jobs of ``kinds`` (to find those whose worker is gone)."""
        t = self.table
        rows = conn.execute(sa.select(*self._columns)
                            .where(t.c.state == RUNNING, t.c.kind.in_(list(kinds))).order_by(t.c.lease_until))
        return [self._job(r) for r in rows]

    def next_due(self, conn: Connection, kinds: Collection[str]) -> str | None:
        """When the first queued job of ``kinds`` is due (None: nothing queued)."""
        t = self.table
        value = conn.execute(sa.select(sa.func.min(t.c.run_after))
                             .where(t.c.state == QUEUED, t.c.kind.in_(list(kinds)))).scalar()
        return str(value) if value is not None else None

    def active_targets(self, conn: Connection, kind: str) -> set[str]:
        """Targets of the queued or running jobs of ``kind``."""
        t = self.table
        rows = conn.execute(sa.select(t.c.target_id).where(t.c.kind == kind, t.c.state.in_((QUEUED, RUNNING))))
        return {r[0] for r in rows if r[0] is not None}

    def purge(self, tx: Tx, before: str) -> int:
        """Delete the jobs that ended before ``before``; how many."""
        t = self.table
        return tx.delete(t, t.c.state.in_((SUCCEEDED, FAILED)), t.c.updated_at < before)
