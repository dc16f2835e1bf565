"""Playlist share links, chats and desktop login logs: created where missing, so databases made
by earlier revisions gain them and new ones skip them.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from foxtrack.db.schema import metadata

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ["playlist_share_link", "chat", "chat_participant", "chat_message", "desktop_login_log"]


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=[metadata.tables[name] for name in TABLES], checkfirst=True)


def downgrade() -> None:
    pass
