"""Request nonces in the database, so every replica refuses a request another one accepted.

One insert-if-absent per signed request (the primary key is the whole check, atomic across
processes); rows older than the nonce window are deleted now and then by whichever process
notices first. Before the window has passed, the timestamp check refuses them anyway.

A punch upload claims its nonce inside the transaction that stores its punches
(:func:`claim`): one commit per request instead of two (a commit waits for PostgreSQL's
WAL fsync, ~4 ms on this machine), and with group commit one statement for the whole
group. A replay sent to another replica at the same moment waits on the primary key
until the first transaction ends, then finds the nonce taken.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from sqlalchemy import Connection, Engine, delete, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from kiosk.core.clock import Clock
from kiosk.core.protocol import NonceStore
from kiosk.core.protocol.signing import MAX_SKEW_S

from .. import db

TTL_S = 2 * MAX_SKEW_S + 60
PRUNE_EVERY_S = 30.0


class DbNonceStore(NonceStore):
    """:class:`NonceStore` backed by the ``nonces`` table (shared by all replicas).

    Times are the server clock's Unix seconds, not monotonic ones: replicas prune each
    other's rows.
    """

    def __init__(self, engine: Engine, clock: Clock, ttl_s: int = TTL_S) -> None:
        super().__init__(ttl_s)
        self._engine = engine
        self._clock = clock
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        self._prune_lock = threading.Lock()
        self._next_prune = 0.0

    def add(self, terminal_id: str, nonce: str, now: float | None = None) -> bool:
        now = self._clock.now().timestamp() if now is None else now
        n = db.nonces.c
        stmt = self._insert(db.nonces).values(
            terminal_id=terminal_id, nonce=nonce, seen_at=now
        ).on_conflict_do_nothing(index_elements=[n.terminal_id, n.nonce]).returning(n.seen_at)
        with db.one_statement(self._engine) as conn:  # atomic alone: no BEGIN/COMMIT
            # RETURNING, not rowcount: psycopg reports -1 for this statement.
            fresh = conn.execute(stmt).first() is not None
            if self._engine.dialect.name == "sqlite":
                conn.commit()
        self.maybe_prune(now)
        return fresh

    def maybe_prune(self, now: float) -> None:
        """Delete rows past the window, at most every PRUNE_EVERY_S per process."""
        if now < self._next_prune or not self._prune_lock.acquire(blocking=False):
            return
        try:
            self._next_prune = now + PRUNE_EVERY_S
            with db.write_txn(self._engine) as conn:
                conn.execute(delete(db.nonces).where(db.nonces.c.seen_at < now - self._ttl))
        finally:
            self._prune_lock.release()


_CLAIM_PG = text(
    "INSERT INTO nonces (terminal_id, nonce, seen_at) "
    "SELECT t, n, :now FROM unnest(CAST(:tids AS varchar[]), CAST(:nonces AS varchar[])) "
    "AS u(t, n) ORDER BY t, n ON CONFLICT DO NOTHING RETURNING terminal_id, nonce"
)


def claim(conn: Connection, pairs: Iterable[tuple[str, str]], now: float) -> set[tuple[str, str]]:
    """Insert the (terminal id, nonce) pairs in ``conn``'s transaction; returns the pairs
    that were fresh. In key order, so two transactions claiming overlapping nonces wait for
    each other in one direction only. Each pair at most once: the caller dedupes."""
    keys = sorted(set(pairs))
    if not keys:
        return set()
    if conn.dialect.name == "postgresql":
        rows = conn.execute(_CLAIM_PG, {"tids": [k[0] for k in keys],
                                        "nonces": [k[1] for k in keys], "now": now})
    else:
        n = db.nonces.c
        stmt = sqlite_insert(db.nonces).on_conflict_do_nothing().returning(n.terminal_id, n.nonce)
        rows = conn.execute(stmt, [{"terminal_id": t, "nonce": k, "seen_at": now}
                                   for t, k in keys])
    return {(r[0], r[1]) for r in rows}
