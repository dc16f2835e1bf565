"""One queue for background work (movie transcodes, playlist builds, webhook deliveries): jobs are rows
of the ``job`` table (``Queue``), run by a ``Worker`` with the handler of their ``Kind``.

Queue a job in the transaction of the change that asks for it (``Queue().enqueue(conn, ...)``), then,
after commit, ``notify(state)`` so this process's worker looks at once.
"""

from __future__ import annotations

from foxtrack.core.context import AppState
from foxtrack.jobs._queue import FAILED, QUEUED, RUNNING, SUCCEEDED, Job, Queue, later
from foxtrack.jobs._worker import GiveUp, Kind, LeaseExpired, TryAgain, Worker

__all__ = ["FAILED", "QUEUED", "RUNNING", "SUCCEEDED", "GiveUp", "Job", "Kind", "LeaseExpired", "Queue", "TryAgain",
           "Worker", "later", "notify", "worker_of"]


def worker_of(state: AppState) -> Worker | None:
    """The worker running inside this process, if any."""
    worker = state.extras.get("worker")
    return worker if isinstance(worker, Worker) else None


def notify(state: AppState) -> None:
    """Wake this process's worker (call after the commit that queued a job)."""
    worker = worker_of(state)
    if worker is not None:
        worker.notify()
