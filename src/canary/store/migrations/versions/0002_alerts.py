"""Alert lifecycle state, posted message models and the delivery outbox.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_state",
        sa.Column("fingerprint", sa.String(32), primary_key=True),
        sa.Column("monitor", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("posted", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(200), nullable=True),
        sa.Column("thread_key", sa.String(64), nullable=True),
        sa.Column("opened_week", sa.Date, nullable=True),
        sa.Column("last_week", sa.Date, nullable=False),
        sa.Column("history", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "alert_messages",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("monitor", sa.String(200), nullable=False),
        sa.Column("week", sa.Date, nullable=False),
        sa.Column("model", sa.Text, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("transport", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("parent_key", sa.String(64), nullable=True),
        sa.Column("monitor", sa.String(200), nullable=False),
        sa.Column("week", sa.Date, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("blob", sa.LargeBinary, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("claimed_at", sa.Float, nullable=True),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("ts", sa.String(32), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("delivered_at", sa.Float, nullable=True),
    )
    op.create_index("ix_outbox_status", "outbox", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("alert_messages")
    op.drop_table("alert_state")
