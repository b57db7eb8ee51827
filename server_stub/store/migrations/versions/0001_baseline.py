"""Baseline: the schema on main at commit 456f3e8 (before Alembic).

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "badge_keys",
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("retired_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("kid"),
    )
    op.create_table(
        "sites",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "shifts",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.Column("grace_min", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "employees",
        sa.Column("employee_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("shift", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["shift"], ["shifts.name"]),
        sa.ForeignKeyConstraint(["site"], ["sites.code"]),
        sa.PrimaryKeyConstraint("employee_id"),
    )
    op.create_table(
        "badges",
        sa.Column("badge_id", sa.String(length=24), nullable=False),
        sa.Column("employee_id", sa.String(length=32), nullable=False),
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("revoked_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.employee_id"]),
        sa.PrimaryKeyConstraint("badge_id"),
    )
    op.create_table(
        "terminals",
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("code_expires_at", sa.Float(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("enrolled_at", sa.Float(), nullable=True),
        sa.Column("revoked_at", sa.Float(), nullable=True),
        sa.Column("app_version", sa.String(length=40), nullable=True),
        sa.Column("last_heartbeat_at", sa.Float(), nullable=True),
        sa.Column("heartbeat", sa.Text(), nullable=True),
        sa.Column("last_sync_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["site"], ["sites.code"]),
        sa.PrimaryKeyConstraint("terminal_id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_table(
        "punches",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("badge_id", sa.String(length=24), nullable=True),
        sa.Column("employee_id", sa.String(length=32), nullable=True),
        sa.Column("site", sa.String(length=32), nullable=True),
        sa.Column("wall_time", sa.Float(), nullable=False),
        sa.Column("clock_offset_s", sa.Float(), nullable=False),
        sa.Column("punch_time", sa.Float(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("app_version", sa.String(length=40), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("work_date", sa.String(length=10), nullable=True),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.Column("badge", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_punches_terminal_seq", "punches", ["terminal_id", "seq"])
    op.create_index("ix_punches_employee_day", "punches", ["employee_id", "work_date"])
    op.create_index("ix_punches_time", "punches", ["punch_time"])


def downgrade() -> None:
    for name in ("punches", "terminals", "badges", "employees", "shifts", "sites",
                 "badge_keys", "settings"):
        op.drop_table(name)
