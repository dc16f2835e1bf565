"""The I/O model, checked while serving: no SQL statement runs on the event loop's thread.

A statement sent from the loop's thread stalls every other request, the Socket.IO heartbeats and,
on PostgreSQL, turns concurrent requests into a queue (each waits for the network round trips of
the one before). Handlers run their database work on the thread pool (``foxtrack._routing``); this
guard finds the ones that do not. Armed once the application has started (its startup may prepare
the database on the loop), it watches every statement the engine sends:

- ``warn`` (the default): the first statement of each shape is logged, with the stack that sent it;
- ``raise``: the statement is refused (a 500, logged), which is how the test suite runs;
- ``off``: nothing is checked.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

log = logging.getLogger("foxtrack.io")

MODES = ("off", "warn", "raise")


class StatementOnEventLoop(RuntimeError):
    """A SQL statement was sent from the event loop's thread."""


class LoopGuard:
    def __init__(self, engine: Engine, mode: str):
        if mode not in MODES:
            raise ValueError(f"loop guard: {mode!r} is not one of {', '.join(MODES)}")
        self.mode = mode
        self.armed = False
        self.seen: set[str] = set()
        if mode != "off":
            sa.event.listen(engine, "before_cursor_execute", self._check)

    def arm(self) -> None:
        self.armed = True

    def _check(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not self.armed or asyncio._get_running_loop() is None:
            return
        if self.mode == "raise":
            raise StatementOnEventLoop(f"SQL sent from the event loop's thread: {statement[:200]}")
        shape = statement[:200]
        if shape not in self.seen and len(self.seen) < 1000:
            self.seen.add(shape)
            log.warning("SQL sent from the event loop's thread (it stalls every other request): %s\n%s",
                        shape, "".join(traceback.format_stack(limit=12)))
