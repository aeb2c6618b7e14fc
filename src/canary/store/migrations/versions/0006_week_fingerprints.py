"""Each series week's fingerprint (rows and counter sums) as a pull saw it, so a weekly run
re-reads only the past weeks whose fingerprint changed instead of every week.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "week_fingerprints",
        sa.Column("monitor", sa.String(200), primary_key=True),
        sa.Column("dataset", sa.String(200), primary_key=True),
        sa.Column("week", sa.Date, primary_key=True),
        sa.Column("fingerprint", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("week_fingerprints")
