"""``foxtrack db upgrade | downgrade | status``: the schema's Alembic revisions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from alembic import command
from alembic.util import CommandError
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from foxtrack.admin.errors import AdminError
from foxtrack.db.migrations import alembic_config


@dataclass(frozen=True)
class Status:
    current: str | None
    head: str
    pending: list[str]

    @property
    def up_to_date(self) -> bool:
        return not self.pending

    def as_dict(self) -> dict[str, object]:
        return {"current": self.current, "head": self.head, "pending": self.pending, "up_to_date": self.up_to_date}


def status(engine: Engine) -> Status:
    """The database's revision, the newest one, and the revisions between them (oldest first)."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    head = script.get_current_head() or ""
    pending = [rev.revision for rev in script.iterate_revisions(head, current)]
    return Status(current, head, list(reversed(pending)))


@contextmanager
def _alembic_refusals() -> Iterator[None]:
    """Alembic's refusals (an unknown revision, nothing below the base) are the command's, with its words."""
    try:
        yield
    except CommandError as exc:
        raise AdminError(f"{exc} (foxtrack db status lists the revisions).") from None


def upgrade(engine: Engine, revision: str = "head") -> Status:
    with _alembic_refusals():
        command.upgrade(alembic_config(engine), revision)
    return status(engine)


def downgrade(engine: Engine, revision: str = "-1") -> Status:
    """Step back to ``revision`` (``-1``: the previous one). Revisions that only widened columns keep
    them; revisions that added tables drop them with their rows."""
    with _alembic_refusals():
        command.downgrade(alembic_config(engine), revision)
    return status(engine)
