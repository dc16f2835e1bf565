"""A person's last accepted TOTP time step (``person.totp_last_step``): a code that logged in, or
turned a factor on or off, is refused for the rest of its validity window. Added where missing, so
databases made by earlier revisions gain it (a new database has it from 0001).

Revision ID: 0011
Revises: 0010_auth_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010_auth_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("person")}
    if "totp_last_step" not in columns:
        op.add_column("person", sa.Column("totp_last_step", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("person", "totp_last_step")
