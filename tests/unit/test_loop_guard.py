"""The loop guard: a SQL statement sent from the event loop's thread is refused (``raise``, how the
test servers run) or logged once per shape (``warn``); statements from worker threads pass."""

from __future__ import annotations

import asyncio
import logging

import pytest
import sqlalchemy as sa

from foxtrack.db.loop_guard import LoopGuard, StatementOnEventLoop


def select_one(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT 1")).scalar_one())


def test_raise_refuses_a_statement_on_the_loop_and_lets_threads_through() -> None:
    engine = sa.create_engine("sqlite://")
    guard = LoopGuard(engine, "raise")

    async def on_loop() -> int:
        return select_one(engine)

    async def off_loop() -> int:
        return await asyncio.to_thread(select_one, engine)

    assert asyncio.run(on_loop()) == 1  # not armed yet: startup may prepare the database on the loop
    guard.arm()
    with pytest.raises(StatementOnEventLoop, match="event loop"):
        asyncio.run(on_loop())
    assert asyncio.run(off_loop()) == 1
    assert select_one(engine) == 1  # no loop running in this thread


def test_warn_logs_each_shape_once(caplog: pytest.LogCaptureFixture) -> None:
    engine = sa.create_engine("sqlite://")
    LoopGuard(engine, "warn").arm()

    async def twice() -> None:
        select_one(engine)
        select_one(engine)

    with caplog.at_level(logging.WARNING, logger="foxtrack.io"):
        asyncio.run(twice())
    warnings = [r for r in caplog.records if "event loop" in r.getMessage()]
    assert len(warnings) == 1 and "SELECT 1" in warnings[0].getMessage()


def test_off_checks_nothing_and_a_wrong_mode_is_refused() -> None:
    engine = sa.create_engine("sqlite://")
    LoopGuard(engine, "off").arm()

    async def on_loop() -> int:
        return select_one(engine)

    assert asyncio.run(on_loop()) == 1
    with pytest.raises(ValueError, match="loop guard"):
        LoopGuard(engine, "loud")
