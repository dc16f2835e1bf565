"""Reference data a new database gets (what ``zou init-data`` creates), and the first admin."""

from __future__ import annotations

from typing import Any

import bcrypt
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from foxtrack.config import Settings
from foxtrack.core.context import Tx, unit_of_work
from foxtrack.core.jsonutil import new_id, now
from foxtrack.core.models import TEMPORAL_TYPES
from foxtrack.db import schema as s

PROJECT_STATUSES = [("Open", "#000000"), ("Closed", "#000000")]

DEPARTMENTS = [
    ("Modeling", "#78909C"),
    ("Animation", "#009688"),
    ("FX", "#26C6DA"),
    ("Compositing", "#F06292"),
    ("Concept", "#8D6E63"),
    ("Layout", "#7CB342"),
]

# (name, color, priority, for_entity, department)
TASK_TYPES = [
    ("Concept", "#8D6E63", 1, "Concept", None),
    ("Concept", "#8D6E63", 1, "Asset", "Concept"),
    ("Modeling", "#78909C", 2, "Asset", "Modeling"),
    ("Shading", "#64B5F6", 3, "Asset", "Modeling"),
    ("Rigging", "#9CCC65", 4, "Asset", "Animation"),
    ("Storyboard", "#43A047", 1, "Shot", "Concept"),
    ("Layout", "#7CB342", 2, "Shot", "Layout"),
    ("Animation", "#009688", 3, "Shot", "Animation"),
    ("Lighting", "#F9A825", 4, "Shot", "Compositing"),
    ("FX", "#26C6DA", 5, "Shot", "FX"),
    ("Rendering", "#F06292", 6, "Shot", "Compositing"),
    ("Compositing", "#ff5252", 7, "Shot", "Compositing"),
    ("Edit", "#9b298c", 8, "Edit", "Compositing"),
]

# (name, short_name, color, flags)
TASK_STATUSES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("Todo", "todo", "#f5f5f5", {"is_default": True}),
    ("Work In Progress", "wip", "#3273dc", {"is_wip": True}),
    ("Waiting For Approval", "wfa", "#ab26ff", {"is_feedback_request": True}),
    ("Retake", "retake", "#ff3860", {"is_retake": True}),
    ("Done", "done", "#22d160", {"is_done": True}),
    ("Ready To Start", "ready", "#fbc02d", {}),
    ("Neutral", "neutral", "#CCCCCC", {"is_default": True, "for_concept": True}),
    ("Approved", "approved", "#66BB6A", {"for_concept": True}),
    ("Rejected", "rejected", "#E81123", {"for_concept": True}),
]

ENTITY_TYPES = ["Scene", "Sequence", "Character", "Environment", "Episode", "Concept", "Shot", "Edit",
                "ConceptFolder", "FX", "Prop"]

STATUS_FLAGS = ("is_done", "is_artist_allowed", "is_client_allowed", "is_retake", "is_feedback_request",
                "is_default", "is_wip", "for_concept", "archived")


def stamped(**values: Any) -> dict[str, Any]:
    stamp = now()
    return {"id": new_id(), "created_at": stamp, "updated_at": stamp, **values}


def insert_row(tx: Tx, table: sa.Table, **values: Any) -> dict[str, Any]:
    row = {**s.column_defaults(table), **stamped(), **values}
    tx.insert(table, row)
    return row


def ensure_reference_data(engine: Engine) -> None:
    """Create the init-data rows on an empty database (idempotent)."""
    with unit_of_work(engine) as tx:
        conn = tx.conn
        if conn.execute(sa.select(sa.func.count()).select_from(s.project_status)).scalar():
            known = set(conn.execute(sa.select(s.entity_type.c.name)).scalars())
            for name in TEMPORAL_TYPES:  # Zou makes these on first use (an imported database may lack one)
                if name not in known:
                    insert_row(tx, s.entity_type, name=name)
            return
        for name, color in PROJECT_STATUSES:
            insert_row(tx, s.project_status, name=name, color=color)
        departments = {}
        for name, color in DEPARTMENTS:
            departments[name] = insert_row(tx, s.department, name=name, color=color)["id"]
        for name, color, priority, for_entity, dept in TASK_TYPES:
            insert_row(tx, s.task_type, name=name, short_name="", color=color, priority=priority,
                       for_entity=for_entity, department_id=departments.get(dept) if dept else None)
        for name, short, color, flags in TASK_STATUSES:
            values = {flag: False for flag in STATUS_FLAGS}
            values.update(is_artist_allowed=True, is_client_allowed=True)
            values.update(flags)
            insert_row(tx, s.task_status, name=name, short_name=short, color=color, priority=1, **values)
        for name in ENTITY_TYPES:
            insert_row(tx, s.entity_type, name=name)
        insert_row(tx, s.organisation, name="Kitsu", hours_by_day=8.0)


def hash_password(password: str, rounds: int = 12) -> str:
    return bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt(rounds)).decode()


def check_password(password: str, hashed: str | bytes | None) -> bool:
    if not hashed:
        return False
    if isinstance(hashed, str):
        hashed = hashed.encode()
    try:
        return bcrypt.checkpw(password.encode()[:72], hashed)
    except ValueError:
        return False


def create_admin(engine: Engine, email: str, password: str, rounds: int = 12,
                 first_name: str = "Super", last_name: str = "Admin") -> tuple[str, bool]:
    """Create (or re-activate and reset) an admin; returns (person id, created?)."""
    hashed = hash_password(password, rounds)
    with unit_of_work(engine) as tx:
        existing = tx.conn.execute(
            sa.select(s.person.c.id).where(sa.func.lower(s.person.c.email) == email.lower(), s.person.c.is_bot.is_not(True))
        ).first()
        if existing is not None:
            tx.update(s.person, {"password": hashed, "role": "admin", "active": True, "updated_at": now()},
                      s.person.c.id == existing[0])
            return existing[0], False
        row = insert_row(tx, s.person, first_name=first_name, last_name=last_name, email=email,
                         password=hashed, role="admin", active=True, is_bot=False)
        return row["id"], True


def ensure_admin_from_settings(engine: Engine, settings: Settings) -> None:
    """FOXTRACK_ADMIN_EMAIL + FOXTRACK_ADMIN_PASSWORD create that admin when it is absent."""
    if not (settings.admin_email and settings.admin_password):
        return
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(s.person.c.id).where(sa.func.lower(s.person.c.email) == settings.admin_email.lower())
        ).first()
    if found is None:
        create_admin(engine, settings.admin_email, settings.admin_password, settings.bcrypt_rounds)
