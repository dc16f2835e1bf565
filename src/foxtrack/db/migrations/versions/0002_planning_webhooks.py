"""Tables added after 0001 (webhooks, project templates, budgets, salary scales, asset instance
links): created where missing, so databases made by 0001 gain them and new ones skip them.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from foxtrack.db.schema import metadata

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ["webhook", "webhook_delivery", "project_template", "salary_scale", "budget", "budget_entry",
          "asset_instance_link"]


def upgrade() -> None:
    bind = op.get_bind()
    tables = [metadata.tables[name] for name in TABLES if name in metadata.tables]
    tables += [t for name, t in metadata.tables.items() if name.startswith("project_template_")]
    metadata.create_all(bind, tables=tables, checkfirst=True)


def downgrade() -> None:
    pass
