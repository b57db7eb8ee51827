"""Failed attempts, limited per client address and shared by every server process.

The counters live in the database (table ``rate_limits``), not in a process, so N uvicorn
workers or replicas behind a load balancer enforce one limit together. A fixed window per
key: ``count`` failures since ``window_start``; once ``limit`` is reached the key is
refused until the window ends (429 with ``Retry-After``). Only failures are counted, so a
well-behaved terminal never touches the table on its hot path.

Each failure is also written to the audit trail (:mod:`.audit`) in the same transaction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from . import audit, db


@dataclass(frozen=True)
class Limit:
    """``limit`` failures per ``window_s`` seconds for one kind of attempt."""

    kind: str  # "enroll", "signature"
    limit: int
    window_s: float = 60.0


ENROLL = Limit("enroll", 10)  # a code is 16 characters of 32: 10 a minute guess nothing
SIGNATURE = Limit("signature", 20)
ADMIN = Limit("admin", 10)


def _key(limit: Limit, client: str | None) -> str:
    return f"{limit.kind}:{client or 'unknown'}"[:200]


def retry_after(engine: Engine, limit: Limit, client: str | None, now: float) -> int | None:
    """Seconds until ``client`` may try again, or None when it is not blocked (one read)."""
    r = db.rate_limits.c
    with engine.connect() as conn:
        row = conn.execute(select(r.window_start, r.count)
                           .where(r.key == _key(limit, client))).first()
    return _blocked(row, limit, now)


def _blocked(row: Any, limit: Limit, now: float, allowed: int | None = None) -> int | None:
    allowed = limit.limit if allowed is None else allowed
    if row is None or now - row.window_start >= limit.window_s or row.count < allowed:
        return None
    return max(1, math.ceil(float(row.window_start) + limit.window_s - now))


def record_failure(
    engine: Engine, limit: Limit, client: str | None, now: float, *, actor: str,
    action: str, target: str | None = None, detail: Mapping[str, Any] | None = None,
) -> int | None:
    """Count one failure and audit it; returns the ``Retry-After`` once the limit is hit."""
    r = db.rate_limits.c
    key = _key(limit, client)
    upsert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    expired = r.window_start <= now - limit.window_s
    # One statement, so concurrent processes never race between a read and an insert.
    stmt = upsert(db.rate_limits).values(key=key, window_start=now, count=1)
    stmt = stmt.on_conflict_do_update(index_elements=[r.key], set_={
        "window_start": case((expired, now), else_=r.window_start),
        "count": case((expired, 1), else_=r.count + 1),
    })
    with db.write_txn(engine) as conn:
        conn.execute(stmt)
        row = conn.execute(select(r.window_start, r.count).where(r.key == key)).one()
        audit.record(conn, at=now, actor=actor, action=action, target=target, client=client,
                     detail=detail)
        _prune(conn, now)
    return _blocked(row, limit, now, allowed=limit.limit + 1)  # the limit-th still answered


def _prune(conn: Connection, now: float) -> None:
    """Windows long over say nothing: drop them so the table stays small."""
    conn.execute(delete(db.rate_limits).where(db.rate_limits.c.window_start < now - 3600))
