"""users.language: the language the bot speaks with each person

Revision ID: 0004_language
Revises: 0003_pictures
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_language"
down_revision = "0003_pictures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for everyone already here: their next update sets it from Telegram's language_code.
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
