"""Replaced outboxes: a terminal reports each moved-aside outbox and its seq range.

Revision ID: 0007_seq
Revises: 0008_push
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_seq"
down_revision = "0008_push"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_replacements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("moved_to", sa.String(length=200), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("replaced_at", sa.Float(), nullable=False),
        sa.Column("reported_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("terminal_id", "moved_to", name="uq_outbox_replacements"),
    )


def downgrade() -> None:
    op.drop_table("outbox_replacements")
