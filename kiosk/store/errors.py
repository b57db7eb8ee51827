"""The outbox's errors: a problem code each (the UI says "NOT recorded" in words), and an
English sentence for the log."""

from __future__ import annotations

import sqlite3

from kiosk.core.problems import KioskError, ProblemCode

# SQLite primary result codes (sqlite3.Error.sqlite_errorcode & 0xFF).
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26


class OutboxError(KioskError):
    """The outbox could not store or read a punch (code: which way it failed)."""

    code = ProblemCode.OUTBOX_FAILED


class OutboxFullError(OutboxError):
    """The disk (or the configured size cap) is full: the punch was NOT recorded."""

    code = ProblemCode.OUTBOX_FULL


class OutboxReadOnlyError(OutboxError):
    """The outbox file or its folder cannot be written: the punch was NOT recorded."""

    code = ProblemCode.OUTBOX_READ_ONLY


def translate(exc: sqlite3.Error, consequence: str) -> OutboxError:
    """The clear error for a failed SQLite call.

    ``consequence`` completes the sentence, e.g. "the punch could not be recorded".
    """
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == SQLITE_FULL:
        return OutboxFullError(
            f"The disk holding the punch buffer is full, so {consequence}. "
            "Free some space on the terminal."
        )
    if code in (SQLITE_READONLY, SQLITE_CANTOPEN):
        return OutboxReadOnlyError(
            f"The punch buffer file cannot be written (read-only), so {consequence}. "
            "Check the permissions of the kiosk's data folder."
        )
    return OutboxError(f"The punch buffer failed ({exc}), so {consequence}.",
                       code=ProblemCode.OUTBOX_CORRUPT if is_corruption(exc) else None)


class IntegrityCheckFailed(sqlite3.DatabaseError):
    """``PRAGMA quick_check`` did not answer "ok": the file is damaged (moved aside)."""


def is_corruption(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    return code in (SQLITE_CORRUPT, SQLITE_NOTADB)


__all__ = ["OutboxError", "OutboxFullError", "OutboxReadOnlyError"]
