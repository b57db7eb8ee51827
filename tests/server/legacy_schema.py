"""The server schema as it was on main at commit 456f3e8, before Alembic (frozen copy).

Databases made by ``metadata.create_all`` at that time have exactly these tables and no
``alembic_version``; the migration tests build one from here and upgrade it. Never edit.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

badge_keys = Table(
    "badge_keys",
    metadata,
    Column("kid", String(16), primary_key=True),
    Column("public_key", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("retired_at", Float),
)

sites = Table(
    "sites",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
)

shifts = Table(
    "shifts",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("start", String(5), nullable=False),
    Column("end", String(5), nullable=False),
    Column("grace_min", Integer, nullable=False),
    Column("weekdays", String(40), nullable=False),
)

employees = Table(
    "employees",
    metadata,
    Column("employee_id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("site", String(32), ForeignKey("sites.code"), nullable=False),
    Column("shift", String(64), ForeignKey("shifts.name")),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", Float, nullable=False),
)

badges = Table(
    "badges",
    metadata,
    Column("badge_id", String(24), primary_key=True),
    Column("employee_id", String(32), ForeignKey("employees.employee_id"), nullable=False),
    Column("kid", String(16), nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("revoked_at", Float),
)

terminals = Table(
    "terminals",
    metadata,
    Column("terminal_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("site", String(32), ForeignKey("sites.code"), nullable=False),
    Column("code_hash", String(64), unique=True, nullable=False),
    Column("code_expires_at", Float, nullable=False),
    Column("secret", String(64)),
    Column("created_at", Float, nullable=False),
    Column("enrolled_at", Float),
    Column("revoked_at", Float),
    Column("app_version", String(40)),
    Column("last_heartbeat_at", Float),
    Column("heartbeat", Text),  # the last Heartbeat as JSON
    Column("last_sync_at", Float),
)

punches = Table(
    "punches",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("terminal_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("badge_id", String(24)),
    Column("employee_id", String(32)),
    Column("site", String(32)),
    Column("wall_time", Float, nullable=False),
    Column("clock_offset_s", Float, nullable=False),
    Column("punch_time", Float, nullable=False),  # wall_time + offset: server-clock time
    Column("received_at", Float, nullable=False),
    Column("source", String(8), nullable=False),
    Column("app_version", String(40), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("status", String(8), nullable=False),
    Column("reason", String(32)),
    Column("work_date", String(10)),
    Column("verdict", Text, nullable=False),  # the Verdict JSON replayed for duplicates
    Column("badge", String(256), nullable=False),
)

Index("ix_punches_terminal_seq", punches.c.terminal_id, punches.c.seq)
Index("ix_punches_employee_day", punches.c.employee_id, punches.c.work_date)
Index("ix_punches_time", punches.c.punch_time)
