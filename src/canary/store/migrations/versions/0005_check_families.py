"""Verdicts keep what their check judges and what its column is (family and field role), so
incidents grouped from stored verdicts of a team's own dashboard still get their causes.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("check_results", sa.Column("family", sa.String(40), nullable=True))
    op.add_column("check_results", sa.Column("field_role", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("check_results") as batch:
        batch.drop_column("field_role")
        batch.drop_column("family")
