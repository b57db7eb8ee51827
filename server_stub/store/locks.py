"""Per-employee serialisation of attendance decisions.

Whether a punch is a check-in depends on the employee's earlier punches of that work day,
so two punches of one employee must not be decided at the same time by two transactions
(two replicas, or two doors at once). On PostgreSQL each transaction takes an advisory
lock per (employee, work day) before it reads that day, always in ascending key order, so
two transactions can never wait for each other in a circle. SQLite needs nothing: its
``BEGIN IMMEDIATE`` lets one writer in at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import Connection, text

_LOCK = text(
    "SELECT count(pg_advisory_xact_lock(k)) FROM "
    "(SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) AS ordered"
)


def lock_key(employee_id: str, work_date: str) -> int:
    """A stable signed 64-bit key (advisory locks take a bigint)."""
    digest = hashlib.blake2b(f"{employee_id}\x00{work_date}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_employee_days(conn: Connection, days: Iterable[tuple[str, str]]) -> None:
    """Hold, until the transaction ends, a lock per (employee id, work date)."""
    if conn.dialect.name != "postgresql":
        return
    keys = sorted({lock_key(e, d) for e, d in days})
    if keys:
        conn.execute(_LOCK, {"keys": keys})
