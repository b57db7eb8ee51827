"""Retrying a write transaction that the database aborted to keep concurrent writers apart.

PostgreSQL aborts one of two transactions in a deadlock (40P01) or a serialisation conflict
(40001); SQLite may say "database is locked" after its busy timeout. Such a transaction did
nothing, so running it again is safe. Every retry is counted (``counts()``, shown by the
health endpoint) and logged; other errors pass through at once.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

T = TypeVar("T")
log = logging.getLogger(__name__)

RETRYABLE_SQLSTATES = {"40P01": "deadlock", "40001": "serialization_failure"}
MAX_ATTEMPTS = 6

_counts: Counter[str] = Counter()
_lock = threading.Lock()


def retry_reason(exc: BaseException) -> str | None:
    """Why ``exc`` is worth a retry ("deadlock", ...), or None."""
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated:
        return None
    state = getattr(exc.orig, "sqlstate", None)
    if state in RETRYABLE_SQLSTATES:
        return RETRYABLE_SQLSTATES[state]
    if "database is locked" in str(exc.orig):
        return "sqlite_locked"
    return None


def run(txn: Callable[[], T], what: str) -> T:
    """``txn()`` (one whole transaction), again after a short random pause when retryable."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return txn()
        except DBAPIError as exc:
            reason = retry_reason(exc)
            if reason is None or attempt == MAX_ATTEMPTS:
                raise
            with _lock:
                _counts[reason] += 1
            log.warning("%s: %s, retrying (attempt %d of %d)", what, reason, attempt + 1,
                        MAX_ATTEMPTS)
            time.sleep(random.uniform(0, 0.005 * 2**attempt))
    raise AssertionError("unreachable")


def counts() -> dict[str, int]:
    with _lock:
        return dict(_counts)
