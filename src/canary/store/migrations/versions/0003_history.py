"""Accepted level shifts and the schema of each pull (history-aware checks).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accepted_shifts",
        sa.Column("monitor", sa.String(200), primary_key=True),
        sa.Column("check_id", sa.String(32), primary_key=True),
        sa.Column("from_week", sa.Date, primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("accepted_by", sa.String(200), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "dataset_schemas",
        sa.Column("monitor", sa.String(200), primary_key=True),
        sa.Column("dataset", sa.String(200), primary_key=True),
        sa.Column("week", sa.Date, primary_key=True),
        sa.Column("columns", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dataset_schemas")
    op.drop_table("accepted_shifts")
