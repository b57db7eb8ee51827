"""Read back what is still readable from a moved-aside (corrupt) outbox.

The file is opened read-only and immutable (SQLite touches nothing, not even a -wal), and
read row by row: first one query in id order, and when that stops on a damaged page, one
``WHERE id = ?`` per remaining id, so one bad page costs only its own rows. Each pending row
comes back as a :class:`~kiosk.core.protocol.Punch` with its own event id and seq, for
:meth:`Outbox.requeue` (the server stores each event id once, so a punch that did arrive
is answered as a duplicate, not stored again).
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError

from kiosk.core.protocol import Punch, Source

_COLUMNS = ("id, event_id, terminal_id, seq, badge, badge_id, wall_time, clock_offset_s,"
            " source, app_version, state")
MAX_PROBE = 1_000_000  # ids probed one by one after a damaged page (bounded)


@dataclass
class Salvaged:
    """The rows read back: ``punches`` (pending, with their badge ids) and ``skipped``
    (unreadable or not valid; settled rows are neither: the server has them)."""

    punches: list[tuple[Punch, str]] = field(default_factory=list)
    skipped: int = 0
    settled: int = 0


def _open(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True)


def _row(out: Salvaged, row: tuple[Any, ...]) -> None:
    _id, event_id, tid, seq, badge, badge_id, wall, offset, source, version, state = row
    if state != "pending":
        out.settled += 1
        return
    try:
        punch = Punch(event_id=uuid.UUID(str(event_id)), terminal_id=tid, seq=seq, badge=badge,
                      wall_time=datetime.fromisoformat(str(wall)), clock_offset_s=offset,
                      source=Source(source), app_version=version)
    except (ValidationError, ValueError, TypeError):
        out.skipped += 1
        return
    out.punches.append((punch, str(badge_id or "")))


def read_rows(path: Path) -> Salvaged:
    """Every pending punch still readable in ``path``; raises ``sqlite3.Error`` only when
    the file cannot be opened as a database at all."""
    out = Salvaged()
    conn = _open(Path(path))
    try:
        last = 0
        try:
            for row in conn.execute(f"SELECT {_COLUMNS} FROM punches ORDER BY id"):
                last = int(row[0])
                _row(out, row)
            return out
        except sqlite3.DatabaseError:
            pass  # a damaged page: go on id by id
        try:
            top = int(conn.execute("SELECT max(id) FROM punches").fetchone()[0] or 0)
        except sqlite3.DatabaseError:
            top = last + MAX_PROBE
        try:
            seqs = int(conn.execute("SELECT max(last_seq) FROM seqs").fetchone()[0] or 0)
        except sqlite3.DatabaseError:
            seqs = 0
        top = min(max(top, seqs), last + MAX_PROBE)
        misses = 0
        for rowid in range(last + 1, top + 1):
            try:
                row = conn.execute(f"SELECT {_COLUMNS} FROM punches WHERE id = ?",
                                   (rowid,)).fetchone()
            except sqlite3.DatabaseError:
                out.skipped += 1
                continue
            if row is None:
                misses += 1
                if misses > 10_000:  # well past the end
                    break
                continue
            misses = 0
            _row(out, row)
        return out
    finally:
        conn.close()


__all__ = ["Salvaged", "read_rows"]
