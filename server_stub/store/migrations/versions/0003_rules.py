"""Attendance rules (h14): holidays, leaves, corrections; shift and site settings.

Revision ID: 0003_rules
Revises: 0002_audit_log
Create Date: 2026-12-01

Servers before Alembic ran ``create_all`` at every start, which adds missing tables but no
columns: a database they opened may have the three tables already, so each is created only
when absent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_rules"
down_revision = "0002_audit_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    have = set(sa.inspect(op.get_bind()).get_table_names())
    if "holidays" not in have:
        op.create_table(
            "holidays",
            sa.Column("site", sa.String(length=32), nullable=False),
            sa.Column("date", sa.String(length=10), nullable=False),
            sa.Column("name", sa.String(length=200), nullable=False),
            sa.ForeignKeyConstraint(["site"], ["sites.code"]),
            sa.PrimaryKeyConstraint("site", "date"),
        )
    if "corrections" not in have:
        op.create_table(
            "corrections",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("employee_id", sa.String(length=32), nullable=False),
            sa.Column("work_date", sa.String(length=10), nullable=False),
            sa.Column("punch_time", sa.Float(), nullable=False),
            sa.Column("direction", sa.String(length=16), nullable=False),
            sa.Column("reason", sa.String(length=500), nullable=False),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("requested_at", sa.Float(), nullable=False),
            sa.Column("requested_by", sa.String(length=200), nullable=False),
            sa.Column("request_key", sa.String(length=64), nullable=True),
            sa.Column("decided_at", sa.Float(), nullable=True),
            sa.Column("decided_by", sa.String(length=200), nullable=True),
            sa.Column("decision_note", sa.String(length=500), nullable=True),
            sa.ForeignKeyConstraint(["employee_id"], ["employees.employee_id"]),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("request_key"),
        )
        op.create_index("ix_corrections_employee_day", "corrections",
                        ["employee_id", "work_date"])
        op.create_index("ix_corrections_status", "corrections", ["status"])
    if "leaves" not in have:
        op.create_table(
            "leaves",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("employee_id", sa.String(length=32), nullable=False),
            sa.Column("date_from", sa.String(length=10), nullable=False),
            sa.Column("date_to", sa.String(length=10), nullable=False),
            sa.Column("kind", sa.String(length=32), nullable=False),
            sa.Column("note", sa.String(length=200), server_default="", nullable=False),
            sa.Column("created_at", sa.Float(), nullable=False),
            sa.Column("created_by", sa.String(length=200), nullable=False),
            sa.ForeignKeyConstraint(["employee_id"], ["employees.employee_id"]),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_leaves_employee", "leaves", ["employee_id", "date_from"])
    op.add_column("shifts", sa.Column("min_presence_min", sa.Integer(), nullable=False,
                                      server_default=sa.text("30")))
    op.add_column("shifts", sa.Column("overtime_after_min", sa.Integer(), nullable=False,
                                      server_default=sa.text("30")))
    op.add_column("shifts", sa.Column("auto_close", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.add_column("sites", sa.Column("correction_quota", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sites") as b:
        b.drop_column("correction_quota")
    with op.batch_alter_table("shifts") as b:
        b.drop_column("auto_close")
        b.drop_column("overtime_after_min")
        b.drop_column("min_presence_min")
    op.drop_table("leaves")
    op.drop_table("corrections")
    op.drop_table("holidays")
