"""Replaced outboxes, as terminals reported them: the seq range that may be lost and how
much of it the server still lacks (salvaged punches fill it in).

A corrupt outbox on a terminal is moved aside and a fresh one continues the sequence (see
``kiosk/store/seqfile.py``); the next heartbeat names the moved-aside file and the range
``first_seq..last_seq`` the server may not have. The overview, the console and the
completeness watermark (reason ``sequence_restarted``) read them from here.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, and_, func, select

from . import db


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat()


def by_terminal(conn: Connection, terminal_ids: list[str] | None = None
                ) -> dict[str, list[dict[str, Any]]]:
    """Per terminal, its replacements oldest first, each with ``missing``: the seqs in its
    range not stored (0: everything that may have been lost has arrived)."""
    r, p = db.outbox_replacements.c, db.punches.c
    stored = (select(func.count(func.distinct(p.seq)))
              .where(and_(p.terminal_id == r.terminal_id, p.seq >= r.first_seq,
                          p.seq <= r.last_seq))
              .correlate(db.outbox_replacements).scalar_subquery())
    q = select(r.terminal_id, r.moved_to, r.first_seq, r.last_seq, r.replaced_at,
               r.reported_at, stored.label("stored")).order_by(r.terminal_id, r.id)
    if terminal_ids is not None:
        if not terminal_ids:
            return {}
        q = q.where(r.terminal_id.in_(terminal_ids))
    out: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(q):
        size = max(0, int(row.last_seq) - int(row.first_seq) + 1)
        out.setdefault(row.terminal_id, []).append({
            "moved_to": row.moved_to, "first_seq": int(row.first_seq),
            "last_seq": int(row.last_seq), "replaced_at": _iso(row.replaced_at),
            "reported_at": _iso(row.reported_at), "replaced_ts": float(row.replaced_at),
            "missing": max(0, size - int(row.stored or 0)),
        })
    return out


def describe(rep: dict[str, Any]) -> str:
    """"outbox.sqlite3.corrupt-20261201T090000Z: seqs 2001-2005, 5 missing"."""
    first, last = rep["first_seq"], rep["last_seq"]
    if last < first:
        return f"{rep['moved_to']}: nothing unsent"
    span = f"seq {first}" if first == last else f"seqs {first}-{last}"
    return f"{rep['moved_to']}: {span}, {rep['missing']} missing"


__all__ = ["by_terminal", "describe"]
