"""The outbox: every punch is on disk before the screen says "Recorded".

One SQLite file in WAL mode with ``synchronous=FULL``; each :meth:`Outbox.append` is one
``BEGIN IMMEDIATE`` transaction that assigns the next gap-free sequence number and inserts
the punch, so after a kill -9 a punch is either fully there (with its seq) or was never
acknowledged. Several :class:`Outbox` objects (one per thread: the recorder appends, the
sync worker marks verdicts) may open the same file; each has its own connection.

States: ``pending`` -> ``sent`` (the server's verdict kept) or ``rejected`` (kept with the
reason, never dropped). Only ``sent`` rows are purged by retention.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kiosk.core.clock import Clock
from kiosk.core.problems import Problem, ProblemCode
from kiosk.core.protocol import Punch, Source, Verdict, VerdictStatus

from .errors import (  # the error classes are re-exported (see __all__)
    SQLITE_READONLY,
    IntegrityCheckFailed,
    OutboxError,
    OutboxFullError,
    OutboxReadOnlyError,
    is_corruption,
    translate,
)
from .seqfile import SeqFile

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS seqs (terminal_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS punches (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    terminal_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    badge TEXT NOT NULL,
    badge_id TEXT NOT NULL,
    source TEXT NOT NULL,
    wall_time TEXT NOT NULL,
    clock_offset_s REAL NOT NULL,
    app_version TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_error_code TEXT,
    verdict TEXT,
    reason TEXT,
    message TEXT,
    settled_at TEXT,
    UNIQUE (terminal_id, seq)
);
CREATE INDEX IF NOT EXISTS punches_state ON punches (state, id);
CREATE INDEX IF NOT EXISTS punches_badge ON punches (badge_id, wall_time);
"""

def _private_file(path: Path) -> None:
    """The outbox and its -wal/-shm readable by the kiosk's account only (0600).

    Created 0600 before SQLite opens it (SQLite gives -wal and -shm the database's mode);
    an older, looser file is tightened.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            try:
                mode = p.stat().st_mode
                if mode & 0o077:
                    os.chmod(p, mode & 0o700)  # drop group/other, keep the owner's bits
            except OSError:
                pass  # missing, or not ours: SQLite says what matters when it opens


# Version n's statements bring a version n-1 file to n (in one transaction, in order).
# Append only: a released step is never edited; the fresh schema above is the sum of all.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: ("ALTER TABLE punches ADD COLUMN last_error_code TEXT",),  # problems as codes
}


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """What the status panel, the heartbeat and ``kiosk status`` show."""

    pending: int
    oldest_pending_age_s: float | None
    rejected: int
    sent: int
    last_sync: datetime | None
    last_error: str | None  # the English text (heartbeat, ``kiosk status``)
    last_error_at: datetime | None
    last_seq: int
    last_problem: Problem | None = None  # the same failure as a code, for the UI


@dataclass(frozen=True, slots=True)
class RejectedPunch:
    """A punch the server refused for good, kept for IT with the reason."""

    seq: int
    event_id: str
    badge_id: str
    wall_time: datetime
    reason: str
    message: str
    rejected_at: datetime | None


_NO_PROBLEM: dict[str, str | None] = {
    "last_error": None, "last_error_code": None, "last_error_arg": None, "last_error_at": None,
}


def _problem_meta(problem: Problem, now: str) -> dict[str, str | None]:
    return {"last_error": problem.raw[:500], "last_error_code": problem.code.value,
            "last_error_arg": problem.arg[:200], "last_error_at": now}


def _stored_problem(meta: dict[str, str]) -> Problem | None:
    """The last failure as the code it was stored with; a text without one (written by
    schema 1) is UNKNOWN: never guessed back from its words."""
    text, code = meta.get("last_error"), meta.get("last_error_code")
    if not text and not code:
        return None
    return Problem(ProblemCode.parse(code), meta.get("last_error_arg") or "", text or "")


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class Outbox:
    """A durable, ordered buffer of punches on one SQLite file.

    Attributes:
        path: the database file.
        recovered_from: where a corrupt file was moved at open, or None; the caller must
            report it loudly (punches in it were not lost, but need IT's attention).
    """

    def __init__(
        self, path: Path, clock: Clock, *, max_db_pages: int | None = None,
        recover: bool = True,
    ) -> None:
        """Open (or create) the outbox; ``recover=False`` reports corruption instead of
        moving the file aside (``kiosk status`` must not pull the file from under the app).
        """
        self.path = Path(path)
        self._recover = recover
        self._clock = clock
        self._lock = threading.RLock()
        self.recovered_from: Path | None = None
        # the last seq per terminal, outside this file: it survives a replaced outbox
        self.seqfile = SeqFile(self.path.with_name(self.path.name + ".seq"))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = self._open_checked()
        except sqlite3.Error as exc:
            raise translate(exc, "the punch buffer could not be opened") from None
        except OSError as exc:  # the folder cannot be made, a corrupt file cannot be moved
            raise OutboxReadOnlyError(
                f"The punch buffer {self.path} cannot be opened "
                f"({exc.strerror or type(exc).__name__}). Check the kiosk's data folder."
            ) from None
        if max_db_pages is not None:
            # A size cap (also how the tests simulate a full disk).
            self._conn.execute(f"PRAGMA max_page_count = {int(max_db_pages)}")
        if recover:
            self._reconcile_seqs()

    def _reconcile_seqs(self) -> None:
        """Bring the sequence file up to this outbox (a file written before it existed) and,
        when a corrupt outbox was just replaced, keep the report for the next heartbeat: the
        moved-aside file's name and the seqs the server may not have (its last known + 1 up
        to the last handed out)."""
        try:
            for tid, last in self._conn.execute("SELECT terminal_id, last_seq FROM seqs"):
                self.seqfile.raise_last(str(tid), int(last))
        except (sqlite3.Error, OSError) as exc:
            log.error("could not bring the sequence file up to date: %s", exc)
        if self.recovered_from is None:
            return
        at = _iso(self._clock.now())
        report = [{"moved_to": self.recovered_from.name, "terminal_id": tid,
                   "first_seq": self.seqfile.server(tid) + 1,
                   "last_seq": self.seqfile.last(tid), "at": at}
                  for tid in sorted(self.seqfile.terminals())] or [
            {"moved_to": self.recovered_from.name, "terminal_id": None, "first_seq": 1,
             "last_seq": 0, "at": at}]
        old = self.replacement_report()
        self.set_meta(outbox_replaced=json.dumps(old + report))

    def replacement_report(self) -> list[dict[str, Any]]:
        """Replaced outboxes not yet reported to the server (see :meth:`_reconcile_seqs`)."""
        try:
            value = json.loads(self.meta("outbox_replaced") or "[]")
        except ValueError:
            return []
        return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []

    def clear_replacement_report(self, reported: list[dict[str, Any]]) -> None:
        """The server has these: drop them (a replacement reported meanwhile stays)."""
        rest = [r for r in self.replacement_report() if r not in reported]
        self.set_meta(outbox_replaced=json.dumps(rest) if rest else None)

    def note_server_seq(self, terminal_id: str, seq: int) -> None:
        """The server said it holds every punch up to ``seq`` at most: never hand it out
        again, and know where a lost outbox's range begins."""
        try:
            self.seqfile.raise_server(terminal_id, seq)
        except OSError as exc:
            log.error("could not write the sequence file: %s", exc)

    # -- opening ------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        _private_file(self.path)
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        row = conn.execute("PRAGMA quick_check").fetchone()
        if row is None or row[0] != "ok":
            raise IntegrityCheckFailed(f"quick_check: {row[0] if row else 'no answer'}")
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF != SQLITE_READONLY:
                raise
            mode = "read-only"  # still open it: pending punches stay readable and sendable
        if str(mode).lower() != "wal":
            log.warning("outbox journal mode is %s, not WAL", mode)
        conn.execute("PRAGMA synchronous = FULL")
        if conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('meta', 'seqs', 'punches')"
        ).fetchone()[0] == 3:
            self._migrate(conn)
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(stmt)
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)",
                (str(SCHEMA_VERSION),),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _version(self, conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        try:
            return int(row[0]) if row else 1  # the first release wrote 1 (or nothing)
        except ValueError:  # not moved aside: its punches are fine, IT must look at it
            raise OutboxError(f"The punch buffer {self.path} has a damaged schema version "
                              f"({row[0]!r}); see docs/sync.md.",
                              code=ProblemCode.OUTBOX_CORRUPT) from None

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """Bring an older file up to :data:`SCHEMA_VERSION`; refuse a newer one untouched
        (a downgraded kiosk must not write rows it does not understand)."""
        version = self._version(conn)
        if version > SCHEMA_VERSION:
            raise OutboxError(
                f"The punch buffer {self.path} was written by a newer kiosk (schema "
                f"{version}, this one knows {SCHEMA_VERSION}); update the kiosk.",
                code=ProblemCode.OUTBOX_NEWER)
        if version == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = self._version(conn)  # another connection may have migrated meanwhile
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for stmt in MIGRATIONS[step]:
                    conn.execute(stmt)
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)",
                         (str(max(version, SCHEMA_VERSION)),))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if version < SCHEMA_VERSION:
            log.info("outbox %s migrated from schema %d to %d", self.path, version,
                     SCHEMA_VERSION)

    def _open_checked(self) -> sqlite3.Connection:
        conn = self._connect()
        try:
            self._prepare(conn)
            return conn
        except OutboxError:  # understood, and not a reason to move the file aside
            conn.close()
            raise
        except sqlite3.Error as exc:
            conn.close()
            if not (is_corruption(exc) or isinstance(exc, IntegrityCheckFailed)):
                raise
            if not self._recover:
                raise OutboxError(f"The punch buffer {self.path} is corrupt ({exc}); start "
                                  "the kiosk to move it aside and begin a fresh one.",
                                  code=ProblemCode.OUTBOX_CORRUPT) from None
            self.recovered_from = self._move_aside(str(exc))
        conn = self._connect()
        try:
            self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('recovered_from', ?)",
                     (str(self.recovered_from),))
        return conn

    def _move_aside(self, why: str) -> Path:
        stamp = self._clock.now().strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        self.path.replace(target)
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.replace(target.with_name(target.name + suffix))
        log.error("outbox %s was corrupt (%s); moved to %s, started a fresh one",
                  self.path, why, target)
        return target

    # -- writing ------------------------------------------------------------------------
    @contextmanager
    def _write(self, consequence: str) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction under the lock: committed when the block ends,
        rolled back when it raises; a SQLite error becomes the clear :class:`OutboxError`
        whose sentence ends with ``consequence``."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise translate(exc, consequence) from None

    def append(
        self,
        *,
        terminal_id: str,
        badge: str,
        badge_id: str,
        source: Source,
        wall_time: datetime,
        clock_offset_s: float,
        app_version: str,
    ) -> Punch:
        """Store one punch durably and return it (with its fresh event id and seq).

        Returns only after the commit reached the disk; raises :class:`OutboxError` (the
        punch was NOT recorded) otherwise.
        """
        event_id = uuid.uuid4()
        now = self._clock.now()
        try:
            with self._write("the punch could not be recorded") as conn:
                row = conn.execute(
                    "SELECT last_seq FROM seqs WHERE terminal_id = ?", (terminal_id,)
                ).fetchone()
                seq = max(row[0] if row else 0, self.seqfile.last(terminal_id)) + 1
                punch = Punch(
                    event_id=event_id, terminal_id=terminal_id, seq=seq, badge=badge,
                    wall_time=wall_time, clock_offset_s=clock_offset_s, source=source,
                    app_version=app_version,
                )
                conn.execute(
                    "INSERT INTO seqs (terminal_id, last_seq) VALUES (?, ?) "
                    "ON CONFLICT (terminal_id) DO UPDATE SET last_seq = excluded.last_seq",
                    (terminal_id, seq),
                )
                self._reserve(terminal_id, seq)  # on disk before the row commits
                conn.execute(
                    "INSERT INTO punches (event_id, terminal_id, seq, badge, badge_id,"
                    " source, wall_time, clock_offset_s, app_version, recorded_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (str(event_id), terminal_id, seq, badge, badge_id, punch.source.value,
                     _iso(punch.wall_time), clock_offset_s, app_version, _iso(now)),
                )
        except OutboxError:  # rolled back: give the number back, no gap is left
            self._unreserve(terminal_id)
            raise
        except ValidationError as exc:  # rolled back: no seq was used
            raise OutboxError(
                f"The punch is not valid ({exc.errors()[0]['loc'][0]}: "
                f"{exc.errors()[0]['msg']}), so it could not be recorded."
            ) from None
        return punch

    def _reserve(self, terminal_id: str, seq: int) -> None:
        try:
            self.seqfile.raise_last(terminal_id, seq)
        except OSError as exc:  # rolled back by _write: the punch was NOT recorded
            raise OutboxReadOnlyError(
                f"The sequence file {self.seqfile.path} cannot be written "
                f"({exc.strerror or type(exc).__name__}), so the punch could not be "
                "recorded. Check the kiosk's data folder.") from None

    def _unreserve(self, terminal_id: str) -> None:
        try:
            committed = self._conn.execute("SELECT last_seq FROM seqs WHERE terminal_id = ?",
                                           (terminal_id,)).fetchone()
            self.seqfile.lower_last(terminal_id, max(committed[0] if committed else 0,
                                                     self.seqfile.server(terminal_id)))
        except (sqlite3.Error, OSError):
            pass  # the number stays used: a gap the server reports, never a reuse

    def requeue(self, rows: Iterable[tuple[Punch, str]]) -> tuple[int, int]:
        """Put punches read back from a moved-aside outbox in as pending, with their own
        event ids and seqs (the server stores each event once); each row is (punch, badge id).
        Returns (queued, already present)."""
        queued = present = 0
        now = _iso(self._clock.now())
        with self._write("the punches could not be re-queued") as conn:
            for p, badge_id in rows:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO punches (event_id, terminal_id, seq, badge, badge_id,"
                    " source, wall_time, clock_offset_s, app_version, recorded_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (str(p.event_id), p.terminal_id, p.seq, p.badge, badge_id,
                     p.source.value, _iso(p.wall_time), p.clock_offset_s, p.app_version, now))
                if cur.rowcount:
                    queued += 1
                else:
                    present += 1
        return queued, present

    def mark_verdicts(self, verdicts: Iterable[Verdict]) -> int:
        """Settle punches with the server's answers; returns how many rows changed."""
        now = _iso(self._clock.now())
        rows = []
        for v in verdicts:
            state = "sent" if v.status is VerdictStatus.ACCEPTED else "rejected"
            reason = v.reason.value if v.reason else None
            rows.append((state, v.model_dump_json(), reason, v.message, now, str(v.event_id)))
        return self._write_many(
            # The bearer token goes once the server has answered: badge_id stays.
            "UPDATE punches SET state = ?, verdict = ?, reason = ?, message = ?,"
            " settled_at = ?, attempts = attempts + 1, badge = ''"
            " WHERE event_id = ? AND state = 'pending'",
            rows, meta={"last_sync": now, **_NO_PROBLEM},
        )

    def mark_rejected(self, event_ids: Sequence[str], reason: str, message: str,
                      problem: Problem) -> int:
        """Settle punches refused for good by a whole-request 4xx (kept, never dropped)."""
        now = _iso(self._clock.now())
        return self._write_many(
            "UPDATE punches SET state = 'rejected', reason = ?, message = ?, settled_at = ?,"
            " attempts = attempts + 1, badge = '' WHERE event_id = ? AND state = 'pending'",
            [(reason, message, now, str(e)) for e in event_ids],
            meta=_problem_meta(Problem(problem.code, problem.arg, f"{reason}: {message}"), now),
        )

    def record_failure(self, event_ids: Sequence[str], problem: Problem) -> None:
        """Note a failed attempt (kept pending); the problem's text holds no secret."""
        now = _iso(self._clock.now())
        self._write_many(
            "UPDATE punches SET attempts = attempts + 1, last_error = ?, last_error_code = ?"
            " WHERE event_id = ? AND state = 'pending'",
            [(problem.raw[:500], problem.code.value, str(e)) for e in event_ids],
            meta=_problem_meta(problem, now),
        )

    def note_problem(self, problem: Problem, **values: str | None) -> None:
        """Remember why the last sync failed (the panel after a restart, ``kiosk status``
        in another process), with any other meta ``values``, in one transaction."""
        self._write_many(None, [], meta={**_problem_meta(problem, _iso(self._clock.now())),
                                         **values})

    def set_meta(self, **values: str | None) -> None:
        self._write_many(None, [], meta=values)

    def _write_many(
        self, sql: str | None, rows: Sequence[tuple[object, ...]],
        meta: dict[str, str | None]
    ) -> int:
        changed = 0
        with self._write("the server's answers could not be saved") as conn:
            if sql is not None:
                for row in rows:
                    changed += conn.execute(sql, row).rowcount
            for key, value in meta.items():
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key)"
                    " DO UPDATE SET value = excluded.value", (key, value),
                )
        return changed

    def purge_sent(self, older_than_days: int) -> int:
        """Delete sent punches settled before the retention window; never pending/rejected."""
        cutoff = _iso(self._clock.now() - timedelta(days=older_than_days))
        with self._lock:
            try:
                cur = self._conn.execute(
                    "DELETE FROM punches WHERE state = 'sent' AND settled_at < ?", (cutoff,)
                )
            except sqlite3.Error as exc:
                raise translate(exc, "old punches could not be purged") from None
        return cur.rowcount

    # -- reading ------------------------------------------------------------------------
    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise OutboxError(f"The punch buffer could not be read ({exc}).") from None

    def pending(self, limit: int = 100) -> list[Punch]:
        """The oldest pending punches, in the order they were recorded."""
        rows = self._query(
            "SELECT event_id, terminal_id, seq, badge, wall_time, clock_offset_s, source,"
            " app_version FROM punches WHERE state = 'pending' ORDER BY id LIMIT ?",
            (int(limit),),
        )
        return [
            Punch(event_id=uuid.UUID(r[0]), terminal_id=r[1], seq=r[2], badge=r[3],
                  wall_time=datetime.fromisoformat(r[4]), clock_offset_s=r[5],
                  source=Source(r[6]), app_version=r[7])
            for r in rows
        ]

    def rejected(self, limit: int = 100) -> list[RejectedPunch]:
        """The most recently rejected punches, newest first (for the IT panel)."""
        rows = self._query(
            "SELECT seq, event_id, badge_id, wall_time, reason, message, settled_at"
            " FROM punches WHERE state = 'rejected' ORDER BY id DESC LIMIT ?", (int(limit),),
        )
        return [
            RejectedPunch(r[0], r[1], r[2], datetime.fromisoformat(r[3]), r[4] or "unknown",
                          r[5] or "", _parse(r[6]))
            for r in rows
        ]

    def verdict(self, event_id: str) -> Verdict | None:
        rows = self._query("SELECT verdict FROM punches WHERE event_id = ?", (str(event_id),))
        return Verdict.model_validate_json(rows[0][0]) if rows and rows[0][0] else None

    def last_punch_time(self, badge_id: str) -> datetime | None:
        """Wall time of this badge's latest punch, so the cooldown survives a restart."""
        rows = self._query("SELECT max(wall_time) FROM punches WHERE badge_id = ?", (badge_id,))
        return _parse(rows[0][0]) if rows else None

    def stats(self) -> OutboxStats:
        counts = dict(self._query("SELECT state, count(*) FROM punches GROUP BY state"))
        oldest = self._query(
            "SELECT recorded_at FROM punches WHERE state = 'pending' ORDER BY id LIMIT 1"
        )
        meta = dict(self._query("SELECT key, value FROM meta"))
        last_seq = self._query("SELECT coalesce(max(last_seq), 0) FROM seqs")[0][0]
        last_seq = max([last_seq, *(self.seqfile.last(t) for t in self.seqfile.terminals())])
        age = None
        if oldest:
            age = max(0.0, (self._clock.now() - datetime.fromisoformat(oldest[0][0]))
                      .total_seconds())
        return OutboxStats(
            pending=counts.get("pending", 0), oldest_pending_age_s=age,
            rejected=counts.get("rejected", 0), sent=counts.get("sent", 0),
            last_sync=_parse(meta.get("last_sync")), last_error=meta.get("last_error"),
            last_error_at=_parse(meta.get("last_error_at")), last_seq=last_seq,
            last_problem=_stored_problem(meta),
        )

    def meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def meta_float(self, key: str) -> float | None:
        """A number kept in the meta table; a damaged value counts as none (never raises
        ValueError: one bad row must not stop the kiosk or ``kiosk status``)."""
        try:
            value = float(self.meta(key) or "nan")
        except ValueError:
            return None
        return value if math.isfinite(value) else None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "Outbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()



__all__ = [
    "Outbox", "OutboxError", "OutboxFullError", "OutboxReadOnlyError", "OutboxStats",
    "RejectedPunch",
]
