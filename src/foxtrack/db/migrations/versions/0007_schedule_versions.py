"""Production schedule versions (with their task links and the links' assignees) and the hardware
and software each department uses: created where missing, so databases made by earlier revisions gain
them and new ones skip them.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

from foxtrack.db.schema import metadata

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ["production_schedule_version", "production_schedule_version_task_link",
          "production_schedule_version_task_link_person_link", "hardware_item_department_link",
          "software_department_link"]


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=[metadata.tables[name] for name in TABLES], checkfirst=True)


def downgrade() -> None:
    pass
