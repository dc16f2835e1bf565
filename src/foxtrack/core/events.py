"""The event bus interface. Events are rows first (written in the change's transaction); the bus
only carries them to live listeners after commit. The in-process bus is the default; the Redis
bus (issue: real-time events) fans out across worker processes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Event = dict[str, Any]
Listener = Callable[[list[Event]], None]


class EventBus:
    """In-process fan-out to listeners (Socket.IO server, webhooks, tests)."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def publish(self, events: list[Event]) -> None:
        for listener in list(self._listeners):
            try:
                listener(events)
            except Exception:
                import logging

                logging.getLogger("foxtrack.events").exception("event listener failed")

    def close(self) -> None:
        self._listeners.clear()
