"""Accounts: login sessions (what a password change revokes), short-lived account secrets (email
one-time codes, password reset tokens, WebAuthn challenges) and the login log's audit columns (event,
reason of a failure, email tried). Created where missing, so databases made by earlier revisions gain them.

Revision ID: 0010_auth_sessions
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from foxtrack.db.schema import metadata

revision = "0010_auth_sessions"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ["auth_session", "auth_challenge"]
LOGIN_LOG_COLUMNS = {"event": sa.String(30), "reason": sa.String(80), "email": sa.String(255)}


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    existing = set(inspector.get_table_names())
    metadata.create_all(bind, tables=[metadata.tables[name] for name in TABLES if name not in existing])
    columns = {c["name"] for c in inspector.get_columns("login_log")}
    for name, kind in LOGIN_LOG_COLUMNS.items():
        if name not in columns:
            default = sa.text("'login'") if name == "event" else None
            op.add_column("login_log", sa.Column(name, kind, server_default=default))


def downgrade() -> None:
    for name in LOGIN_LOG_COLUMNS:
        op.drop_column("login_log", name)
    for name in reversed(TABLES):
        op.drop_table(name)
