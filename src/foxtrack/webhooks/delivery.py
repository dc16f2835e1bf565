"""Delivery of webhook calls, off the request path, as jobs of kind ``webhook`` (``foxtrack.jobs``).

After a change commits, the bus listener records a ``webhook_delivery`` row per matching webhook (the
log the API shows) and queues its job in the same transaction. The handler POSTs the JSON body with an
HMAC-SHA256 signature (``X-Foxtrack-Signature: sha256=<hex>`` over the raw body, keyed by the webhook's
secret); a failed call is tried again with exponential backoff (5 s, 10 s, 20 s ... up to
``MAX_ATTEMPTS``), each outcome recorded on the delivery: ``delivered``, ``retrying`` (with
``next_attempt_at``) or ``failed``.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import hmac
import time
from typing import Any

import httpx
import orjson
import sqlalchemy as sa

from foxtrack.core.context import AppState, Tx
from foxtrack.core.events import Event
from foxtrack.core.jsonutil import new_id, now
from foxtrack.db import schema as s
from foxtrack.jobs import Job, Kind, LeaseExpired, Queue, TryAgain, Worker, notify

KIND = "webhook"
MAX_ATTEMPTS = 6
BASE_DELAY = 5.0
TIMEOUT = 10.0


class DeliveryFailed(TryAgain):
    def __init__(self, error: str, status_code: int | None = None):
        super().__init__(error)
        self.status_code = status_code


def signature(secret: str | None, body: bytes) -> str:
    return "sha256=" + hmac.new((secret or "").encode(), body, hashlib.sha256).hexdigest()


def matches(patterns: list[str] | None, name: str) -> bool:
    return not patterns or any(fnmatch.fnmatchcase(name, p) for p in patterns)


# ----------------------------------------------------------------------------- recording (bus side)

# The active webhooks, read again after this long (or at once when this process changed one, see
# ``forget_hooks``): every commit with events looked them up before (a connection and a SELECT, about
# 0.6 ms of each write request on SQLite); a webhook another process adds is seen within this.
HOOKS_SECONDS = 5.0


def forget_hooks(state: AppState) -> None:
    """A webhook was created, changed or removed here: the next events read the list again."""
    state.extras.pop("webhooks_active", None)


def _active_hooks(state: AppState) -> list[Any]:
    found = state.extras.get("webhooks_active")
    if found is not None and time.monotonic() - found[0] < HOOKS_SECONDS:
        return list(found[1])
    with state.read() as conn:
        hooks = conn.execute(
            sa.select(s.webhook.c.id, s.webhook.c.events, s.webhook.c.project_id).where(s.webhook.c.active.is_(True))
        ).all()
    state.extras["webhooks_active"] = (time.monotonic(), hooks)
    return list(hooks)


def record(state: AppState, events: list[Event]) -> None:
    """Bus listener: a delivery and its job per (event, matching active webhook), then wake the worker."""
    hooks = _active_hooks(state)
    if not hooks:
        return
    rows = []
    stamp = now()
    for event in events:
        for hook_id, patterns, project_id in hooks:
            if project_id and event.get("project_id") != project_id:
                continue
            if not matches(patterns, event["name"]):
                continue
            payload = {"event_id": event["id"], "name": event["name"], "created_at": event["created_at"],
                       "project_id": event.get("project_id"), "user_id": event.get("user_id"),
                       "data": event["data"]}
            rows.append({"id": new_id(), "created_at": stamp, "updated_at": stamp, "webhook_id": hook_id,
                         "event_id": event["id"], "event_name": event["name"], "payload": payload,
                         "status": "pending", "attempts": 0, "next_attempt_at": stamp})
    if not rows:
        return
    queue = Queue()
    with state.write() as tx:
        tx.insert(s.webhook_delivery, rows)
        for row in rows:
            queue.enqueue(tx, KIND, row["id"], max_attempts=MAX_ATTEMPTS)
    notify(state)


def subscribe(state: AppState) -> None:
    """Record deliveries for the events this process publishes."""
    state.bus.subscribe(lambda events: record(state, events))


def _failed(tx: Tx, job: Job, error: BaseException, retry_at: str | None) -> None:
    """A failed call on the delivery's log: ``retrying`` until ``retry_at``, or ``failed``."""
    d = s.webhook_delivery
    values: dict[str, Any] = {"attempts": job.attempts, "updated_at": now(),
                              "status": "failed" if retry_at is None else "retrying"}
    if isinstance(error, DeliveryFailed):
        values.update(response_status=error.status_code, error=str(error))
    elif isinstance(error, LeaseExpired):
        values.update(response_status=None, error="the delivery was interrupted")
    else:
        values.update(response_status=None, error=f"{type(error).__name__}: {error}")
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    tx.update(d, values, d.c.id == job.target_id, d.c.status.in_(("pending", "retrying")))


# ----------------------------------------------------------------------------- the handler (worker side)

def _due(state: AppState, delivery_id: str) -> tuple[Any, str, str | None] | None:
    """The payload, URL and secret of a delivery still to make (None: delivered, failed or deleted)."""
    d, w = s.webhook_delivery, s.webhook
    with state.read() as conn:
        row = conn.execute(sa.select(d.c.payload, w.c.url, w.c.secret).join(w, w.c.id == d.c.webhook_id)
                           .where(d.c.id == delivery_id, d.c.status.in_(("pending", "retrying")))).first()
    return (row.payload, row.url, row.secret) if row is not None else None


def _delivered(state: AppState, delivery_id: str, attempts: int, status_code: int) -> None:
    d = s.webhook_delivery
    stamp = now()
    with state.write() as tx:
        tx.update(d, {"status": "delivered", "attempts": attempts, "response_status": status_code, "error": None,
                      "delivered_at": stamp, "updated_at": stamp}, d.c.id == delivery_id)


async def deliver(worker: Worker, job: Job) -> None:
    """Make one call of a delivery; a refused or failed call raises ``DeliveryFailed``."""
    delivery_id = str(job.target_id)
    due = await asyncio.to_thread(_due, worker.state, delivery_id)
    if due is None:
        return
    payload, url, secret = due
    body = orjson.dumps(payload)
    headers = {"Content-Type": "application/json", "User-Agent": "foxtrack-webhooks",
               "X-Foxtrack-Event": str(payload.get("name")), "X-Foxtrack-Delivery": delivery_id,
               "X-Foxtrack-Signature": signature(secret, body)}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            response = await http.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code}", response.status_code)
    await asyncio.to_thread(_delivered, worker.state, delivery_id, job.attempts, response.status_code)


def kind(base_delay: float = BASE_DELAY) -> Kind:
    return Kind(KIND, deliver, lane="webhooks", max_attempts=MAX_ATTEMPTS, base_delay=base_delay, failed=_failed)
