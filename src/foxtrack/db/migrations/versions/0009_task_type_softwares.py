"""The softwares a production's artists use for each task type, and a production's own answer to
whether its clients may set a task status (``project_task_status_link.is_client_allowed``, null for
the studio's value): created where missing, so databases made by earlier revisions gain them.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from foxtrack.db.schema import metadata

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    metadata.create_all(bind, tables=[metadata.tables["project_task_type_software_link"]], checkfirst=True)
    columns = {column["name"] for column in sa.inspect(bind).get_columns("project_task_status_link")}
    if "is_client_allowed" not in columns:
        op.add_column("project_task_status_link", sa.Column("is_client_allowed", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("project_task_status_link", "is_client_allowed")
    op.drop_table("project_task_type_software_link")
