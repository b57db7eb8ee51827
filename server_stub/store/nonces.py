"""Request nonces in the database, so every replica refuses a request another one accepted.

One insert-if-absent per signed request (the primary key is the whole check, atomic across
processes); rows older than the nonce window are deleted now and then by whichever process
notices first. Before the window has passed, the timestamp check refuses them anyway.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine, delete
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
        self._maybe_prune(now)
        return fresh

    def _maybe_prune(self, now: float) -> None:
        if now < self._next_prune or not self._prune_lock.acquire(blocking=False):
            return
        try:
            self._next_prune = now + PRUNE_EVERY_S
            with db.write_txn(self._engine) as conn:
                conn.execute(delete(db.nonces).where(db.nonces.c.seen_at < now - self._ttl))
        finally:
            self._prune_lock.release()
