"""Concept folders: the folders a production's concepts are sorted in (a concept's ``parent_id``).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "concept_folder" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "concept_folder",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.String(26), nullable=False, index=True),
        sa.Column("updated_at", sa.String(26), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("project_id", sa.String(36), sa.ForeignKey("project.id"), nullable=False, index=True),
        sa.Column("created_by", sa.String(36)),
        sa.UniqueConstraint("project_id", "name", name="concept_folder_uc"),
    )


def downgrade() -> None:
    op.drop_table("concept_folder")
