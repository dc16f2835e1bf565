"""An index on ``subscription.task_id``: every comment looks up who follows its task, and without
the index that lookup read the whole table (one sequential scan per comment, seen in PostgreSQL's
``pg_stat_user_tables`` after the small benchmark scenario). Created where missing, so databases
made by earlier revisions gain it (a new database has it from 0001).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

NAME = "ix_subscription_task_id"


def upgrade() -> None:
    existing = {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("subscription")}
    if NAME not in existing:
        op.create_index(NAME, "subscription", ["task_id"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="subscription")
