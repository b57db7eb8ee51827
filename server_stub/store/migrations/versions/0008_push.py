"""The push channel to terminals: events (roster, settings, commands) and diagnostics.

Revision ID: 0008_push
Revises: 0006_trust
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_push"
down_revision = "0006_trust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=True),
        sa.Column("site", sa.String(length=32), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("acked_at", sa.Float(), nullable=True),
        sa.Column("ack_status", sa.String(length=16), nullable=True),
        sa.Column("ack_detail", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_events_terminal", "events", ["terminal_id", "id"])
    op.create_table(
        "diagnostics",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("command_id", sa.BigInteger(), nullable=True),
        sa.Column("uploaded_at", sa.Float(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_diagnostics_terminal", "diagnostics", ["terminal_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_diagnostics_terminal", table_name="diagnostics")
    op.drop_table("diagnostics")
    op.drop_index("ix_events_terminal", table_name="events")
    op.drop_table("events")
