"""The database schema (SQLAlchemy Core) and engine setup.

Times are stored as float Unix seconds (UTC): portable across SQLite and PostgreSQL and
cheap to compare. SQLite gets WAL, ``synchronous=FULL`` (an acknowledged punch survives a
power cut) and ``BEGIN IMMEDIATE`` for write transactions (:func:`write_txn`), so a writer never
fails half-way with "database is locked" when another process (the CLI) writes at the same
time. The driver runs in autocommit mode: a single read needs no BEGIN/ROLLBACK round trip
and no per-connection event dispatch (measured: a third of the cost of a terminal lookup).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    exc,
    false,
    text,
)
from sqlalchemy.engine import URL, make_url

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
    Column("correction_quota", Integer),  # make-up requests per employee and month; NULL: none
)

shifts = Table(
    "shifts",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("start", String(5), nullable=False),
    Column("end", String(5), nullable=False),
    Column("grace_min", Integer, nullable=False),
    Column("weekdays", String(40), nullable=False),
    # A punch this soon after the check-in is a repeat, not a check-out (server_stub/rules).
    Column("min_presence_min", Integer, nullable=False, server_default=text("30")),
    Column("overtime_after_min", Integer, nullable=False, server_default=text("30")),
    Column("auto_close", Boolean, nullable=False, server_default=false()),
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
    Column("secret", String(200)),  # AES-GCM sealed (server_stub/secretbox.py), never plain
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
    # Never the bearer token (a copy of the database must not let anyone punch): "" since
    # the token is dropped at insert; badge_id and kid say which badge and key it was.
    Column("badge", String(256), nullable=False),
    Column("kid", String(16)),
)

# Public holidays per site (rules/calendar.py): never absent on these days.
holidays = Table(
    "holidays",
    metadata,
    Column("site", String(32), ForeignKey("sites.code"), primary_key=True),
    Column("date", String(10), primary_key=True),  # ISO date, site-local
    Column("name", String(200), nullable=False),
)

# Leave per employee, both ends included.
leaves = Table(
    "leaves",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("employee_id", String(32), ForeignKey("employees.employee_id"), nullable=False),
    Column("date_from", String(10), nullable=False),
    Column("date_to", String(10), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("note", String(200), nullable=False, server_default=""),
    Column("created_at", Float, nullable=False),
    Column("created_by", String(200), nullable=False),
)
Index("ix_leaves_employee", leaves.c.employee_id, leaves.c.date_from)

# Make-up punch requests (补卡, server_stub/corrections.py). Approved ones count in reports
# beside the punches, which are never changed.
corrections = Table(
    "corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("employee_id", String(32), ForeignKey("employees.employee_id"), nullable=False),
    Column("work_date", String(10), nullable=False),
    Column("punch_time", Float, nullable=False),  # the claimed instant (UTC seconds)
    Column("direction", String(16), nullable=False),  # check_in | check_out
    Column("reason", String(500), nullable=False),
    Column("status", String(16), nullable=False),  # pending | approved | rejected
    Column("requested_at", Float, nullable=False),
    Column("requested_by", String(200), nullable=False),  # "cli", "terminal:T1", "admin:x"
    Column("request_key", String(64), unique=True),  # a terminal's idempotency key
    Column("decided_at", Float),
    Column("decided_by", String(200)),
    Column("decision_note", String(500)),
)
Index("ix_corrections_employee_day", corrections.c.employee_id, corrections.c.work_date)
Index("ix_corrections_status", corrections.c.status)

# Request nonces seen by any replica (server_stub/store/nonces.py); pruned after the window.
nonces = Table(
    "nonces",
    metadata,
    Column("terminal_id", String(64), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("seen_at", Float, nullable=False),
)
Index("ix_nonces_seen_at", nonces.c.seen_at)

# The audit trail (server_stub/audit.py): failed enrolments and signatures, logins, HR and
# IT actions. ``detail`` is JSON and never holds a secret.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("actor", String(200), nullable=False),  # "admin:alice", "terminal:T1", "cli", "anonymous"
    Column("action", String(64), nullable=False),  # "enroll_failed", "login_failed", ...
    Column("target", String(200)),
    Column("client", String(64)),  # the client address, when there is one
    Column("detail", Text, nullable=False),
)
Index("ix_audit_log_at", audit_log.c.at)

# Failed attempts per client address (server_stub/limits.py), shared by every process.
rate_limits = Table(
    "rate_limits",
    metadata,
    Column("key", String(200), primary_key=True),  # "enroll:198.51.100.7"
    Column("window_start", Float, nullable=False),
    Column("count", Integer, nullable=False),
)

# Console accounts (server_stub/console/accounts.py): the password hash is argon2id, never
# the password. Sessions keep only the SHA-256 of the cookie's token, so a copy of the
# database signs nobody in.
admins = Table(
    "admins",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("role", String(16), nullable=False),  # "hr", "it", "viewer"
    Column("password_hash", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("password_changed_at", Float, nullable=False),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(64), ForeignKey("admins.username", ondelete="CASCADE"),
           nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen_at", Float, nullable=False),
    Column("client", String(64)),
)
Index("ix_console_sessions_user", console_sessions.c.username)

# What the server pushes to its terminals (server_stub/push): roster and settings changes
# and IT commands. ``id`` only grows and commits in order (push.events.emit takes a lock),
# so a terminal resumes with "everything after N". ``terminal_id``/``site`` NULL: for every
# terminal / every site. Commands carry the terminal's acknowledgement.
events = Table(
    "events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("at", Float, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("terminal_id", String(64)),
    Column("site", String(32)),
    Column("data", Text, nullable=False),  # JSON; never a secret or a badge token
    Column("actor", String(200)),
    Column("acked_at", Float),
    Column("ack_status", String(16)),  # done | failed
    Column("ack_detail", String(500)),
)
Index("ix_events_terminal", events.c.terminal_id, events.c.id)

# Diagnostics bundles terminals uploaded on IT's command (they hold no secret).
diagnostics = Table(
    "diagnostics",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("terminal_id", String(64), nullable=False),
    Column("command_id", BigInteger),
    Column("uploaded_at", Float, nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)
Index("ix_diagnostics_terminal", diagnostics.c.terminal_id, diagnostics.c.id)

# Outboxes a terminal reported replaced (corrupt, moved aside): the seqs that may be lost.
# One row per (terminal, moved-aside file): a heartbeat sent twice records it once.
outbox_replacements = Table(
    "outbox_replacements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("terminal_id", String(64), nullable=False),
    Column("moved_to", String(200), nullable=False),
    Column("first_seq", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("replaced_at", Float, nullable=False),  # the terminal's time of the replacement
    Column("reported_at", Float, nullable=False),
    UniqueConstraint("terminal_id", "moved_to", name="uq_outbox_replacements"),
)

Index("ix_punches_terminal_seq", punches.c.terminal_id, punches.c.seq)
Index("ix_punches_employee_day_time", punches.c.employee_id, punches.c.work_date,
      punches.c.punch_time)
# punch_time first (range queries); employee and status make it cover the reports' read
Index("ix_punches_time_employee", punches.c.punch_time, punches.c.employee_id,
      punches.c.status)


PING_IDLE_S = 10.0


def make_engine(
    url: str | URL, *, pool_size: int | None = None, max_overflow: int | None = None
) -> Engine:
    """An engine for ``url``; SQLite files get WAL, FULL sync and immediate write locks.

    PostgreSQL: a pool of ``pool_size`` (default 20) plus ``max_overflow`` (default 10)
    connections per server process; size it so replicas x (pool + overflow) stays under
    the database's ``max_connections``. With a pool of 10, connections beyond it were
    opened and closed per request under load (a PostgreSQL backend each); the total stays
    30 as before. A connection is pinged on checkout only when
    it sat idle for more than PING_IDLE_S (:func:`_ping_when_idle`). A new SQLite file is
    created 0600 first: SQLite gives its -wal and -shm the database file's mode, so all
    three are private from the start.
    """
    # hide_parameters: an error message must never carry a badge token or a secret.
    if make_url(url).get_backend_name() != "sqlite":
        pg = create_engine(
            url, hide_parameters=True,
            pool_size=20 if pool_size is None else pool_size,
            max_overflow=10 if max_overflow is None else max_overflow,
        )
        _ping_when_idle(pg)
        return pg
    _private_sqlite_file(make_url(url).database)
    engine = create_engine(
        url,
        hide_parameters=True,
        connect_args={"check_same_thread": False, "timeout": 30},
        # >= the worker threads (40): no connect/PRAGMA churn under load
        pool_size=48 if pool_size is None else pool_size,
        max_overflow=16 if max_overflow is None else max_overflow,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # autocommit; transactions via write_txn/read_txn
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only if it sat idle for a while.

    ``pool_pre_ping`` costs a round trip on every checkout (two or three per request). A
    connection in steady use is known to be alive; one idle longer than PING_IDLE_S may
    have been closed by a database restart or a firewall, so it is pinged and, if dead,
    replaced before the request sees it. A connection that dies while in use fails that
    one request, and SQLAlchemy then recycles every older connection of the pool.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since <= PING_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception:  # noqa: BLE001 - any failure means: not usable
            alive = False
        if not alive:
            raise exc.DisconnectionError("pooled connection is dead")


def _private_sqlite_file(database: str | None) -> None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.is_dir():
        return  # SQLite itself will say the folder is missing
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


# Called after a write transaction that emitted push events commits (server_stub/push/hub:
# this process's streams learn at once; other processes by NOTIFY or their poll).
EVENTS_KICK = "push_kick"
events_committed: list[Callable[[], None]] = []


@contextmanager
def write_txn(engine: Engine) -> Iterator[Connection]:
    """A write transaction; on SQLite ``BEGIN IMMEDIATE`` takes the write lock up front."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.info.pop(EVENTS_KICK, None)
            conn.rollback()
            raise
        conn.commit()
        if conn.info.pop(EVENTS_KICK, None):  # push.events.emit ran in it: wake our hub
            for wake in events_committed:
                wake()


@contextmanager
def one_statement(engine: Engine) -> Iterator[Connection]:
    """A connection for ONE statement that is its own transaction (a read, or an atomic
    insert-if-absent). On PostgreSQL it runs in autocommit: psycopg would otherwise send
    BEGIN before it and COMMIT (or ROLLBACK) after it, two more round trips per request."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


@contextmanager
def read_txn(engine: Engine) -> Iterator[Connection]:
    """Several reads from one consistent snapshot (single reads need no transaction)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")
        yield conn
