"""Reports read the punches from one covering index: time range, employee and status.

A month's report selects the accepted punches of a time range ordered by employee; with
the index on ``punch_time`` alone each of those ~100,000 rows was a lookup in the table
(0.6 s of the report on SQLite when the table is not in time order). The index keeps
``punch_time`` first, so every range query that used it still does.

Revision ID: 0010_reports
Revises: 0007_seq
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0010_reports"
down_revision = "0007_seq"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_punches_time_employee", "punches",
                    ["punch_time", "employee_id", "status"])
    op.drop_index("ix_punches_time", table_name="punches")


def downgrade() -> None:
    op.create_index("ix_punches_time", "punches", ["punch_time"])
    op.drop_index("ix_punches_time_employee", table_name="punches")
