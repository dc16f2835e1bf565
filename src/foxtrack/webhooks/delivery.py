"""Delivery of webhook calls, off the request path.

The bus listener only records a ``webhook_delivery`` row per matching webhook (after the change
committed) and wakes the sender. The sender, a background task of the server, POSTs the JSON body
with an HMAC-SHA256 signature (``X-Foxtrack-Signature: sha256=<hex>`` over the raw body, keyed by
the webhook's secret), and retries failures with exponential backoff (5 s, 10 s, 20 s ... up to
``MAX_ATTEMPTS``), recording each outcome on the row.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import hmac
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import sqlalchemy as sa

from foxtrack.core.context import AppState
from foxtrack.core.events import Event
from foxtrack.core.jsonutil import new_id, now
from foxtrack.db import schema as s

log = logging.getLogger("foxtrack.webhooks")

MAX_ATTEMPTS = 6
BASE_DELAY = 5.0
TIMEOUT = 10.0


def signature(secret: str | None, body: bytes) -> str:
    return "sha256=" + hmac.new((secret or "").encode(), body, hashlib.sha256).hexdigest()


def matches(patterns: list[str] | None, name: str) -> bool:
    return not patterns or any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _later(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%f")


class WebhookSender:
    def __init__(self, state: AppState, base_delay: float = BASE_DELAY):
        self.state = state
        self.base_delay = base_delay
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        state.bus.subscribe(self.on_events)

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.task = asyncio.create_task(self._run())
        self.wake.set()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def on_events(self, events: list[Event]) -> None:
        with self.state.read() as conn:
            hooks = conn.execute(
                sa.select(s.webhook.c.id, s.webhook.c.events, s.webhook.c.project_id).where(s.webhook.c.active.is_(True))
            ).all()
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
        with self.state.engine.begin() as conn:
            conn.execute(s.webhook_delivery.insert(), rows)
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.wake.set)

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            while True:
                try:
                    delay = await self._deliver_due(http)
                except Exception:
                    log.exception("webhook sender failed")
                    delay = self.base_delay
                self.wake.clear()
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=delay)
                except TimeoutError:
                    pass

    async def _deliver_due(self, http: httpx.AsyncClient) -> float:
        d, w = s.webhook_delivery, s.webhook
        with self.state.read() as conn:
            due = conn.execute(
                sa.select(d.c.id, d.c.payload, d.c.attempts, w.c.url, w.c.secret)
                .join(w, w.c.id == d.c.webhook_id)
                .where(d.c.status.in_(("pending", "retrying")), d.c.next_attempt_at <= now())
                .order_by(d.c.created_at)
                .limit(100)
            ).all()
            nxt = conn.execute(
                sa.select(sa.func.min(d.c.next_attempt_at)).where(d.c.status.in_(("pending", "retrying")))
            ).scalar()
        for delivery_id, payload, attempts, url, secret in due:
            await self._send(http, delivery_id, payload, attempts or 0, url, secret)
        if due:
            return 0.0
        if nxt:
            wait = (datetime.fromisoformat(nxt) - datetime.now(UTC).replace(tzinfo=None)).total_seconds()
            return max(0.05, min(wait, 60.0))
        return 60.0

    async def _send(self, http: httpx.AsyncClient, delivery_id: str, payload: Any, attempts: int, url: str,
                    secret: str | None) -> None:
        body = orjson.dumps(payload)
        headers = {"Content-Type": "application/json", "User-Agent": "foxtrack-webhooks",
                   "X-Foxtrack-Event": str(payload.get("name")), "X-Foxtrack-Delivery": delivery_id,
                   "X-Foxtrack-Signature": signature(secret, body)}
        status_code: int | None = None
        error: str | None = None
        try:
            response = await http.post(url, content=body, headers=headers)
            status_code = response.status_code
            ok = 200 <= status_code < 300
            if not ok:
                error = f"HTTP {status_code}"
        except httpx.HTTPError as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"
        attempts += 1
        values: dict[str, Any] = {"attempts": attempts, "response_status": status_code, "error": error,
                                  "updated_at": now()}
        if ok:
            values.update(status="delivered", delivered_at=now())
        elif attempts >= MAX_ATTEMPTS:
            values.update(status="failed")
        else:
            values.update(status="retrying", next_attempt_at=_later(self.base_delay * 2 ** (attempts - 1)))
        with self.state.engine.begin() as conn:
            conn.execute(s.webhook_delivery.update().where(s.webhook_delivery.c.id == delivery_id).values(**values))
