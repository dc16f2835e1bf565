"""Initial schema: the tables of foxtrack.db.schema as of 0.1.

Revision ID: 0001
Revises:
"""

from alembic import op

from foxtrack.db.schema import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The first revision creates the schema as declared; later revisions are explicit diffs.
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
