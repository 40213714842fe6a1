"""picture uploads: Telegram file_ids of stretch pictures, per bot and content hash

Revision ID: 0003_pictures
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_pictures"
down_revision = "0002_journey"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "picture_uploads",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_id", sa.String(length=255), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "content_hash", name=op.f("pk_picture_uploads")),
    )


def downgrade() -> None:
    op.drop_table("picture_uploads")
