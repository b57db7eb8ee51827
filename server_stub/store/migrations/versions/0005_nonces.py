"""Request nonces in the database (shared by every replica).

Revision ID: 0005_nonces
Revises: 0004_console
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_nonces"
down_revision = "0004_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nonces",
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("terminal_id", "nonce"),
    )
    op.create_index("ix_nonces_seen_at", "nonces", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_nonces_seen_at", table_name="nonces")
    op.drop_table("nonces")
