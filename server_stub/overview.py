"""The terminal overview: health of every terminal and the proof that nothing went missing.

Sequence numbers are gap-free per terminal, so any number between 1 and the highest one
received that the server has not stored is a punch still in transit or lost; the overview
lists those gaps as ranges.
"""

from __future__ import annotations

import html
import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, func, select

from . import db, replacements
from .completeness import completeness

MAX_GAPS_LISTED = 50


def _iso(value: float | None) -> str | None:
    return None if value is None else datetime.fromtimestamp(value, tz=timezone.utc).isoformat()


def seq_gaps(seqs: list[int]) -> list[list[int]]:
    """Missing ranges [first, last] in 1..max(seqs) for a sorted, de-duplicated list."""
    gaps: list[list[int]] = []
    expected = 1
    for s in seqs:
        if s > expected:
            gaps.append([expected, s - 1])
        expected = max(expected, s + 1)
    return gaps


def seq_stats(conn: Connection) -> dict[str, tuple[int, int, list[list[int]]]]:
    """Per terminal: stored distinct seqs, the highest, and the gaps [first, last] (at most
    MAX_GAPS_LISTED), computed in SQL with LAG over the distinct seqs: no seq list in Python."""
    p = db.punches.c
    d = select(p.terminal_id.label("tid"), p.seq.label("seq")).distinct().subquery("d")
    counts = {tid: (int(n), int(top)) for tid, n, top in conn.execute(
        select(d.c.tid, func.count(), func.max(d.c.seq)).group_by(d.c.tid))}
    lagged = select(d.c.tid, d.c.seq, func.coalesce(func.lag(d.c.seq).over(
        partition_by=d.c.tid, order_by=d.c.seq), 0).label("prev")).subquery("l")
    gaps: dict[str, list[list[int]]] = {}
    for tid, seq, prev in conn.execute(
            select(lagged.c.tid, lagged.c.seq, lagged.c.prev)
            .where(lagged.c.seq - lagged.c.prev > 1).order_by(lagged.c.tid, lagged.c.seq)):
        listed = gaps.setdefault(tid, [])
        if len(listed) < MAX_GAPS_LISTED:
            listed.append([int(prev) + 1, int(seq) - 1])
    return {tid: (n, top, gaps.get(tid, [])) for tid, (n, top) in counts.items()}


def terminal_overview(conn: Connection, now: datetime) -> list[dict[str, Any]]:
    t = db.terminals.c
    out = []
    stats = seq_stats(conn)
    from .push.events import pending_counts

    commands_pending = pending_counts(conn)
    replaced = replacements.by_terminal(conn)
    for row in conn.execute(select(db.terminals).order_by(t.site, t.name, t.terminal_id)):
        received, top, gaps = stats.get(row.terminal_id, (0, 0, []))
        hb = json.loads(row.heartbeat) if row.heartbeat else {}
        if row.revoked_at is not None:
            state = "revoked"
        elif row.enrolled_at is None:
            state = "awaiting_enrolment"
        else:
            state = "active"
        out.append({
            "terminal_id": row.terminal_id,
            "name": row.name,
            "site": row.site,
            "state": state,
            "enrolled_at": _iso(row.enrolled_at),
            "revoked_at": _iso(row.revoked_at),
            "app_version": hb.get("app_version") or row.app_version,
            "last_heartbeat_at": _iso(row.last_heartbeat_at),
            "heartbeat_age_s": (
                None if row.last_heartbeat_at is None
                else round(now.timestamp() - row.last_heartbeat_at, 1)
            ),
            "pending": hb.get("pending"),
            "oldest_pending_age_s": hb.get("oldest_pending_age_s"),
            "last_error": hb.get("last_error"),
            "camera_state": hb.get("camera_state"),
            "clock_offset_s": hb.get("clock_offset_s"),
            "last_sync_at": _iso(row.last_sync_at),
            "punches_received": received,
            "max_seq": top,
            "terminal_last_seq": hb.get("last_seq"),
            "seq_gaps": gaps,
            "missing_count": top - received,  # seqs are >= 1: every absent one in 1..top
            "commands_pending": commands_pending.get(row.terminal_id, 0),
            # replaced (corrupt) outboxes: the moved-aside file, the seq range that may be
            # lost and how many of it the server still lacks
            "outbox_replacements": [
                {k: v for k, v in x.items() if k != "replaced_ts"}
                for x in replaced.get(row.terminal_id, [])],
        })
    _add_watermarks(conn, now, out)
    return out


def _add_watermarks(conn: Connection, now: datetime, terminals: list[dict[str, Any]]) -> None:
    """Each terminal's completeness watermark, its reasons and its sentence (enrolled,
    unrevoked terminals only; the others have none)."""
    marks = {t["terminal_id"]: t for t in completeness(conn, now)["terminals"]}
    for t in terminals:
        m = marks.get(t["terminal_id"])
        t["complete_up_to"] = m["watermark"] if m else None
        t["completeness_reasons"] = m["reasons"] if m else []
        t["completeness"] = m["summary"] if m else None


def overview_html(terminals: list[dict[str, Any]], now: datetime,
                  comp: dict[str, Any] | None = None) -> str:
    """A plain, self-contained page (no scripts) that IT can open in any browser; ``comp``
    (server_stub.completeness) adds the company's and each site's watermark on top."""
    e = html.escape
    marks = ""
    if comp is not None:
        lines = [f"Company: {comp['company']['summary']}"] + [
            f"Site {code}: {s['summary']}" for code, s in comp["sites"].items()]
        marks = "<ul class='marks'>" + "".join(f"<li>{e(x)}</li>" for x in lines) + "</ul>"
    rows = []
    for t in terminals:
        gaps = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in t["seq_gaps"]) or "none"
        swaps = "; ".join(replacements.describe(x) for x in t["outbox_replacements"]) or "none"
        ok = t["missing_count"] == 0 and t["state"] == "active"
        rows.append(
            "<tr class='{}'><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                "ok" if ok else "warn", e(t["name"]), e(t["terminal_id"]), e(t["site"]),
                e(t["state"]), e(str(t["app_version"] or "")), e(str(t["last_heartbeat_at"] or "never")),
                e(str(t["pending"] if t["pending"] is not None else "?")),
                e(str(t["last_sync_at"] or "never")), t["max_seq"], e(gaps), e(swaps),
                e(str(t.get("completeness") or "")), e(str(t["last_error"] or "")),
            )
        )
    body = "\n".join(rows) or "<tr><td colspan='13'>No terminals yet.</td></tr>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Terminals</title>
<meta http-equiv="refresh" content="30">
<style>
body{{font-family:system-ui,sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}} tr.warn{{background:#fff3cd}}
</style></head><body>
<h1>Terminals</h1><p>Server time {e(now.isoformat(timespec="seconds"))}</p>
{marks}
<table><tr><th>Name</th><th>Id</th><th>Site</th><th>State</th><th>Version</th>
<th>Last heartbeat</th><th>Pending</th><th>Last sync</th><th>Max seq</th>
<th>Sequence gaps</th><th>Outbox replacements</th><th>Completeness</th><th>Last error</th></tr>
{body}
</table></body></html>
"""
