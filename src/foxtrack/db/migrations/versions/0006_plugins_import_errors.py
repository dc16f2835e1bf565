"""Plugins (the records Zou's plugin manager keeps, served by ``/data/plugins``) and data import
errors (``/import/shotgun/errors``).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from foxtrack.db.schema import JSONType

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _stamps() -> list[sa.Column[str]]:
    return [sa.Column("id", sa.String(36), primary_key=True),
            sa.Column("created_at", sa.String(26), nullable=False, index=True),
            sa.Column("updated_at", sa.String(26), nullable=False)]


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "plugin" not in existing:
        op.create_table(
            "plugin",
            *_stamps(),
            sa.Column("plugin_id", sa.String(80), nullable=False, unique=True, index=True),
            sa.Column("name", sa.String(80), nullable=False, index=True),
            sa.Column("description", sa.Text()),
            sa.Column("version", sa.String(50), nullable=False),
            sa.Column("maintainer_name", sa.String(200), nullable=False),
            sa.Column("maintainer_email", sa.String(255)),
            sa.Column("website", sa.String(255)),
            sa.Column("license", sa.String(80), nullable=False),
            sa.Column("revision", sa.String(12)),
            sa.Column("frontend_project_enabled", sa.Boolean()),
            sa.Column("frontend_studio_enabled", sa.Boolean()),
            sa.Column("icon", sa.String(255)),
        )
    if "data_import_error" not in existing:
        op.create_table(
            "data_import_error",
            *_stamps(),
            sa.Column("event_data", JSONType),
            sa.Column("source", sa.String(20)),
        )


def downgrade() -> None:
    op.drop_table("data_import_error")
    op.drop_table("plugin")
