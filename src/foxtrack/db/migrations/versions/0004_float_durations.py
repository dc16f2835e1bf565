"""Task duration and estimation, and time spent duration, are floats as in Zou (fractions of a
minute are kept, and they are answered as ``960.0``).

On PostgreSQL the integer columns become double precision. SQLite keeps the columns made by earlier
revisions: a column of integer affinity stores fractions as they are, and ``schema.FloatNumber``
reads whole numbers back as floats.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = [("task", "duration"), ("task", "estimation"), ("time_spent", "duration")]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        # Identifiers come from the fixed list above, never from input.
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE double precision')


def downgrade() -> None:
    pass
