"""Runs, metrics per week and check results.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("monitor", sa.String(200), primary_key=True),
        sa.Column("week", sa.Date, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "metrics",
        sa.Column("monitor", sa.String(200), primary_key=True),
        sa.Column("dataset", sa.String(200), primary_key=True),
        sa.Column("week", sa.Date, primary_key=True),
        sa.Column("column_name", sa.String(200), primary_key=True),
        sa.Column("segment", sa.String(500), primary_key=True),
        sa.Column("metric", sa.String(100), primary_key=True),
        sa.Column("value", sa.Float, nullable=True),
    )
    op.create_table(
        "check_results",
        sa.Column("monitor", sa.String(200), primary_key=True),
        sa.Column("week", sa.Date, primary_key=True),
        sa.Column("check_id", sa.String(32), primary_key=True),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("check_name", sa.String(200), nullable=False),
        sa.Column("column_name", sa.String(500), nullable=True),
        sa.Column("segment", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("observed", sa.Text, nullable=True),
        sa.Column("expected", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("first_failed_week", sa.Date, nullable=True),
        sa.Column("position", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("check_results")
    op.drop_table("metrics")
    op.drop_table("runs")
