"""The worker: runs the queue's jobs with the handler registered for their kind.

Kinds share lanes (``media``: transcodes and playlist builds; ``webhooks``), each with its number of
slots, so a long transcode never holds up a webhook call. The loop claims while a lane has a free slot,
then sleeps until ``notify()`` (a job was queued in this process), the next delayed job is due, or the
poll interval ends (jobs queued by other processes). One heartbeat renews the leases of every job it
runs; a job whose lease could not be renewed (another worker took it) is cancelled here. Lost jobs — a
lease that ran out, a worker process of this machine that is gone — go through the failure path as
``LeaseExpired``: queued again with backoff, or failed after their last attempt.

Stopping cancels the jobs in flight and gives them back to the queue undone (the next worker takes them
at once), then ends the process pool's processes: a long transcode is never waited for.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from foxtrack.core.context import AppState, Tx
from foxtrack.jobs._queue import Job, Queue, later

log = logging.getLogger("foxtrack.jobs")

T = TypeVar("T")
PURGE_AFTER = timedelta(days=7)


class GiveUp(Exception):
    """Raised by a handler: this job cannot succeed, do not try it again."""


class TryAgain(Exception):
    """Raised by a handler: an expected failure (logged without a traceback), worth another attempt."""


class LeaseExpired(Exception):
    """The worker of a job stopped renewing its lease (it died, or its process is gone)."""


@dataclass(frozen=True)
class Kind:
    """What a worker does with the jobs of one kind.

    ``run(worker, job)`` does the work: returning ends the job ``succeeded``; raising fails this
    attempt (``GiveUp`` or one of ``permanent``: no further attempt). ``failed(tx, job, error,
    retry_at)`` records a failed attempt on the job's own record, in the transaction that queues the job
    again from ``retry_at`` or, when ``retry_at`` is None, ends it ``failed``."""

    name: str
    run: Callable[[Worker, Job], Awaitable[None]]
    lane: str = "default"
    max_attempts: int = 3
    base_delay: float = 5.0
    permanent: tuple[type[BaseException], ...] = ()
    failed: Callable[[Tx, Job, BaseException, str | None], None] | None = None
    recover: Callable[[Worker], int] | None = None  # at start: queue again work the queue lost track of

    def backoff(self, attempts: int) -> float:
        return float(min(self.base_delay * 2 ** max(attempts - 1, 0), 3600.0))


def _process_gone(worker: str | None) -> bool:
    """A worker of this machine whose process is gone (no need to wait for its lease to run out)."""
    host, _, rest = (worker or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False  # another machine, or this process (whose workers may be alive): wait for the lease
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


async def _to_the_end(write: Callable[..., T], *args: Any) -> T:
    """Run a queue write on a thread and see it through even when the caller is cancelled (a worker
    stopping): the job's record is then final before ``stop`` returns, not committed behind it."""
    done = asyncio.ensure_future(asyncio.to_thread(write, *args))
    try:
        return await asyncio.shield(done)
    except asyncio.CancelledError:
        await done
        raise


def _seconds_until(stamp: str) -> float:
    return (datetime.fromisoformat(stamp) - datetime.now(UTC).replace(tzinfo=None)).total_seconds()


class Worker:
    """Claims and runs jobs of the registered kinds, ``lanes[kind.lane]`` at a time per lane."""

    def __init__(self, state: AppState, kinds: Iterable[Kind], lanes: Mapping[str, int], *, pool_size: int = 0,
                 poll_seconds: float = 5.0, lease_seconds: float = 30.0, queue: Queue | None = None):
        self.state = state
        self.queue = queue or Queue()
        self.lanes = {lane: slots for lane, slots in lanes.items() if slots > 0}
        self.kinds = {k.name: k for k in kinds if k.lane in self.lanes}
        self.pool_size = pool_size
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pool: ProcessPoolExecutor | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._services: set[asyncio.Task[None]] = set()  # the claim loop and the heartbeat
        self._running: dict[asyncio.Task[None], Job] = {}

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping = False
        if self.pool_size > 0:
            self.pool = self._new_pool()
        for kind in self.kinds.values():
            if kind.recover is not None:
                try:
                    count = await asyncio.to_thread(kind.recover, self)
                    if count:
                        log.info("queued %d %s job(s) again", count, kind.name)
                except Exception:
                    log.exception("could not recover lost %s jobs", kind.name)
        for service in (self._run(), self._heartbeat()):
            task = asyncio.create_task(service)
            self._services.add(task)
            task.add_done_callback(self._services.discard)

    async def stop(self) -> None:
        """Give the jobs in flight back to the queue and end the pool's processes; a job that already
        ended has its record written first (no handler is waited for)."""
        self._stopping = True
        tasks = [*self._services, *self._running]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self.pool is not None:
            processes = list((getattr(self.pool, "_processes", None) or {}).values())
            self.pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            self.pool = None

    async def run_forever(self) -> None:
        """Run until SIGTERM or SIGINT (``foxtrack worker``), then stop cleanly."""
        await self.start()
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass
        waiter = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait([waiter, *self._services], return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            await self.stop()

    def notify(self) -> None:
        """A job was queued: look now rather than at the next poll (safe from any thread)."""
        if self.loop is not None and self._wake is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._wake.set)

    # ------------------------------------------------------------------ the process pool

    def _new_pool(self) -> ProcessPoolExecutor:
        from foxtrack.media.ffmpeg import lower_priority

        return ProcessPoolExecutor(max_workers=self.pool_size, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=lower_priority, initargs=(os.getpid(),))

    async def in_pool(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in a pool process at the lowest CPU priority (a pool that died is replaced,
        and this attempt fails)."""
        pool = self.pool
        if pool is None or self.loop is None:
            raise RuntimeError("this worker has no process pool")
        try:
            return await self.loop.run_in_executor(pool, fn, *args)
        except BrokenProcessPool:
            if self.pool is pool and not self._stopping:
                log.error("the worker's process pool died; starting a new one")
                self.pool = self._new_pool()
            raise

    # ------------------------------------------------------------------ the loops

    def _names(self, lane: str | None = None) -> list[str]:
        return [k.name for k in self.kinds.values() if lane is None or k.lane == lane]

    def _free_lanes(self) -> list[str]:
        busy: dict[str, int] = {}
        for job in self._running.values():
            lane = self.kinds[job.kind].lane
            busy[lane] = busy.get(lane, 0) + 1
        return [lane for lane, slots in self.lanes.items() if busy.get(lane, 0) < slots]

    async def _run(self) -> None:
        assert self._wake is not None and self.loop is not None
        next_sweep = 0.0
        while not self._stopping:
            self._wake.clear()
            timeout = self.poll_seconds
            try:
                if self.loop.time() >= next_sweep:
                    await asyncio.to_thread(self._sweep)
                    next_sweep = self.loop.time() + self.lease_seconds / 2
                await self._fill()
                free = [name for lane in self._free_lanes() for name in self._names(lane)]
                due = await asyncio.to_thread(self._next_due, free) if free else None
                if due is not None:
                    timeout = min(timeout, max(_seconds_until(due), 0.05))
            except Exception:
                log.exception("the job worker failed to claim")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)
            except TimeoutError:
                pass

    async def _fill(self) -> None:
        for lane in self._free_lanes():
            names = self._names(lane)
            while lane in self._free_lanes() and not self._stopping:
                job = await asyncio.to_thread(self._claim, names)
                if job is None:
                    break
                task = asyncio.create_task(self._process(job))
                self._running[task] = job
                task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task, None)
        if self._wake is not None:
            self._wake.set()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            if not self._running:
                continue
            try:
                held = await asyncio.to_thread(self._renew)
            except Exception:
                log.exception("could not renew the job leases")
                continue
            for task, job in list(self._running.items()):
                if job.id not in held:
                    log.warning("job %s (%s) was given to another worker; stopping it here", job.id, job.kind)
                    task.cancel()

    async def _process(self, job: Job) -> None:
        kind = self.kinds[job.kind]
        try:
            await kind.run(self, job)
        except asyncio.CancelledError:
            await _to_the_end(self._release, job)
            raise
        except Exception as exc:
            await _to_the_end(self._failed, job, exc)
        else:
            if not await _to_the_end(self._finish, job):
                log.warning("job %s (%s) ended after its lease was given to another worker", job.id, job.kind)

    # ------------------------------------------------------------------ queue writes (worker threads)

    def _claim(self, names: list[str]) -> Job | None:
        with self.state.write() as tx:
            return self.queue.claim(tx, names, self.id, self.lease_seconds)

    def _renew(self) -> set[str]:
        with self.state.write() as tx:
            return self.queue.renew(tx, self.id, self.lease_seconds)

    def _finish(self, job: Job) -> bool:
        with self.state.write() as tx:
            return self.queue.finish(tx, job)

    def _release(self, job: Job) -> None:
        with self.state.write() as tx:
            self.queue.release(tx, job)

    def _next_due(self, names: list[str]) -> str | None:
        with self.state.read() as conn:
            return self.queue.next_due(conn, names)

    def _failed(self, job: Job, error: BaseException) -> None:
        """One failed attempt: queued again with backoff, or failed, with the kind's own record, in one
        transaction."""
        kind = self.kinds[job.kind]
        final = job.last_attempt or isinstance(error, (GiveUp, *kind.permanent))
        retry_at = None if final else later(kind.backoff(job.attempts))
        message = str(error) or type(error).__name__
        if isinstance(error, (GiveUp, TryAgain, LeaseExpired, *kind.permanent)):
            log.warning("job %s (%s, attempt %d) failed: %s", job.id, job.kind, job.attempts, message)
        else:
            log.warning("job %s (%s, attempt %d) failed", job.id, job.kind, job.attempts, exc_info=error)
        with self.state.write() as tx:
            if self.queue.fail(tx, job, message, retry_at) and kind.failed is not None:
                kind.failed(tx, job, error, retry_at)

    def _sweep(self) -> None:
        """Lost jobs go through the failure path; old finished jobs are deleted."""
        stamp = later(0)
        with self.state.read() as conn:
            running = self.queue.running(conn, self._names())
        for job in running:
            if job.worker != self.id and ((job.lease_until or "") < stamp or _process_gone(job.worker)):
                self._failed(job, LeaseExpired(f"the lease of {job.worker} ran out after attempt {job.attempts}"))
        with self.state.write() as tx:
            self.queue.purge(tx, later(-PURGE_AFTER.total_seconds()))
