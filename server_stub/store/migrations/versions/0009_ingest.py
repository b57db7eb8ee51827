"""The day's first punch of an employee from the index: (employee, work day, punch time).

Every upload asks, per employee and work day it decides, for the earliest accepted punch.
With the index on (employee_id, work_date) alone, PostgreSQL read every punch of that
employee and day from the table; with ``punch_time`` in the index ``min()`` is the first
entry. It replaces the two-column index (its prefix serves the same queries).

Revision ID: 0009_ingest
Revises: 0010_reports
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0009_ingest"
down_revision = "0010_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_punches_employee_day_time", "punches",
                    ["employee_id", "work_date", "punch_time"])
    op.drop_index("ix_punches_employee_day", table_name="punches")


def downgrade() -> None:
    op.create_index("ix_punches_employee_day", "punches", ["employee_id", "work_date"])
    op.drop_index("ix_punches_employee_day_time", table_name="punches")
