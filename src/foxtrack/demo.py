"""The demo production (filled in by the demo seeding step)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from foxtrack.db.seed import create_admin


def seed_demo(engine: Engine, email: str, password: str, rounds: int = 12) -> bool:
    create_admin(engine, email, password, rounds)
    return False
