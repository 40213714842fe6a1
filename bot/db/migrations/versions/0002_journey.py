"""journey: a safety check required before the next session; the name on the report

Revision ID: 0002_journey
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_journey"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("check_required_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("name_on_report", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("name_on_report")
        batch.drop_column("check_required_at")
