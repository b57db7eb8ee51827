"""The completeness watermark: up to when the server holds every punch a terminal recorded.

Sequence numbers are gap-free per terminal and each heartbeat carries the terminal's last
sequence number and its pending count, so the server can say "nothing recorded before T is
missing" — what HR needs before it pays or warns anyone on a day's data. A terminal's
watermark is the time of its last heartbeat when it reported nothing pending and the server
holds every number up to the one it reported; otherwise it stays back at the oldest punch
still outstanding (pending, a gap, a restarted sequence) and the terminal says why. A site's
and the company's watermark are the earliest of their terminals'.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from sqlalchemy import Connection, func, select

from . import db

HEARTBEAT_MAX_AGE_S = 300.0  # 5 missed heartbeats at the kiosk's default 60 s: offline
TRIP_MARGIN_S = 1.0  # the heartbeat's trip: its pending age is a little older on arrival

# Why a terminal holds the watermark back (stable codes; the sentence is built from them).
NEVER_HEARD = "never_heard"
OFFLINE = "offline"
PENDING = "pending"
GAP = "gap"
IN_TRANSIT = "in_transit"  # reported a higher last_seq than stored, with nothing pending
SEQUENCE_RESTARTED = "sequence_restarted"  # a replaced outbox began again at 1


@dataclass(frozen=True)
class TerminalFacts:
    """What the server knows about one enrolled terminal (read by :func:`load_facts`)."""

    terminal_id: str
    name: str
    site: str
    enrolled_at: float
    last_heartbeat_at: float | None = None
    reported_last_seq: int = 0
    pending: int = 0
    oldest_pending_age_s: float | None = None
    # seq -> punch_time of every stored punch; a seq stored twice with different events
    # (a restarted sequence) is in ``restarted_at``
    seq_times: dict[int, float] = field(default_factory=dict)
    restarted_at: float | None = None  # first punch of the newest run, when a seq repeats


@dataclass(frozen=True)
class TerminalMark:
    terminal_id: str
    name: str
    site: str
    watermark: float | None  # every punch recorded before this is on the server
    last_heard: float | None
    reasons: tuple[str, ...]  # empty: current
    pending: int
    outstanding_since: float | None  # the oldest punch not on the server, as far as known
    missing: int  # sequence numbers known to be missing (gaps + in transit)

    @property
    def current(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class ScopeMark:
    """A site's or the company's watermark: the earliest of its terminals'."""

    scope: str  # a site code, or "company"
    watermark: float | None
    terminals: int
    current: int
    held_by: tuple[TerminalMark, ...]  # the terminals that are not current


def contiguous_prefix(seqs: list[int]) -> int:
    """The highest c such that 1..c are all in the sorted, de-duplicated ``seqs``."""
    c = 0
    for s in seqs:
        if s != c + 1:
            break
        c = s
    return c


def terminal_mark(facts: TerminalFacts, now: float,
                  max_age_s: float = HEARTBEAT_MAX_AGE_S) -> TerminalMark:
    """The watermark of one terminal and the reasons it is held back (pure)."""
    f = facts
    reasons: list[str] = []
    seqs = sorted(f.seq_times)
    c = contiguous_prefix(seqs)
    top = seqs[-1] if seqs else 0
    missing = (top - c - sum(1 for s in seqs if s > c)) + max(0, f.reported_last_seq - top)

    def before(seq: int) -> float:
        """Every punch up to ``seq`` is here: complete up to its time (or enrolment)."""
        return f.seq_times[seq] if seq > 0 else f.enrolled_at

    if f.last_heartbeat_at is None:
        mark = f.enrolled_at  # nothing recorded before enrolment; nothing known after it
        reasons.append(NEVER_HEARD)
    else:
        mark = f.last_heartbeat_at
        if now - f.last_heartbeat_at > max_age_s:
            reasons.append(OFFLINE)
    outstanding: float | None = None
    if f.pending > 0:
        reasons.append(PENDING)
        if f.last_heartbeat_at is not None and f.oldest_pending_age_s is not None:
            outstanding = f.last_heartbeat_at - f.oldest_pending_age_s
            mark = min(mark, outstanding - TRIP_MARGIN_S)
        else:
            mark = min(mark, before(c))
    if c < top:
        reasons.append(GAP)
        mark = min(mark, before(c))
        outstanding = before(c) if outstanding is None else min(outstanding, before(c))
    elif f.reported_last_seq > top and f.pending == 0:
        reasons.append(IN_TRANSIT)
        mark = min(mark, before(top))
        outstanding = before(top) if outstanding is None else min(outstanding, before(top))
    if f.restarted_at is not None:
        reasons.append(SEQUENCE_RESTARTED)
        older = [t for t in f.seq_times.values() if t < f.restarted_at]
        held = max(older) if older else f.enrolled_at
        mark = min(mark, held)
        outstanding = held if outstanding is None else min(outstanding, held)
    return TerminalMark(f.terminal_id, f.name, f.site, mark, f.last_heartbeat_at,
                        tuple(reasons), f.pending, outstanding, missing)


def scope_mark(scope: str, marks: list[TerminalMark]) -> ScopeMark:
    held = tuple(m for m in marks if not m.current)
    waters = [m.watermark for m in marks if m.watermark is not None]
    return ScopeMark(scope, min(waters) if waters else None, len(marks),
                     len(marks) - len(held), held)


def site_marks(marks: list[TerminalMark]) -> dict[str, ScopeMark]:
    by_site: dict[str, list[TerminalMark]] = {}
    for m in marks:
        by_site.setdefault(m.site, []).append(m)
    return {site: scope_mark(site, ms) for site, ms in sorted(by_site.items())}


def provisional(work_date: date, tz: tzinfo, watermark: float | None) -> bool:
    """True when the day (in its site's time zone) ends after the watermark: data may still
    come in for it, so nobody should pay or warn on it yet."""
    if watermark is None:
        return True
    end = datetime.combine(work_date + timedelta(days=1), time(), tzinfo=tz)
    return end.timestamp() > watermark


# ---------------------------------------------------------------------------- sentences


def _clock(ts: float, tz: tzinfo, now: float) -> str:
    """09:14 today, else 2026-11-30 09:14 (site-local)."""
    when = datetime.fromtimestamp(ts, tz=timezone.utc).astimezone(tz)
    today = datetime.fromtimestamp(now, tz=timezone.utc).astimezone(tz).date()
    return when.strftime("%H:%M") if when.date() == today else when.strftime("%Y-%m-%d %H:%M")


def terminal_sentence(m: TerminalMark, tz: tzinfo, now: float) -> str:
    """"Front door: 3 punches outstanding since 08:02, last heard 08:05" (or "complete up to")."""
    heard = f"last heard {_clock(m.last_heard, tz, now)}" if m.last_heard is not None \
        else "never heard from"
    if m.current and m.watermark is not None:
        return f"{m.name}: complete up to {_clock(m.watermark, tz, now)}"
    parts = []
    if PENDING in m.reasons:
        parts.append(f"{m.pending} punch{'es' if m.pending != 1 else ''} outstanding")
    if GAP in m.reasons or IN_TRANSIT in m.reasons:
        parts.append(f"{m.missing} sequence number{'s' if m.missing != 1 else ''} missing")
    if SEQUENCE_RESTARTED in m.reasons:
        parts.append("outbox replaced (sequence restarted)")
    if OFFLINE in m.reasons and not parts:
        parts.append("offline")
    since = f" since {_clock(m.outstanding_since, tz, now)}" if m.outstanding_since else ""
    text = " and ".join(parts) + since if parts else ""
    return f"{m.name}: {text + ', ' if text else ''}{heard}"


def scope_sentence(s: ScopeMark, tz: tzinfo, now: float) -> str:
    """"complete up to 09:14 (12 of 12 terminals)"."""
    if s.watermark is None:
        return f"no terminals ({s.terminals})" if not s.terminals else "not known to be complete"
    return (f"complete up to {_clock(s.watermark, tz, now)} "
            f"({s.current} of {s.terminals} terminals current)")


# ---------------------------------------------------------------------------- loading


def load_facts(conn: Connection, site: str | None = None) -> list[TerminalFacts]:
    """Every enrolled, unrevoked terminal (of ``site``) with its heartbeat and stored seqs."""
    t, p = db.terminals.c, db.punches.c
    q = select(db.terminals).where(t.enrolled_at.is_not(None), t.revoked_at.is_(None))
    if site:
        q = q.where(t.site == site)
    out = []
    for row in conn.execute(q.order_by(t.site, t.name, t.terminal_id)):
        hb = json.loads(row.heartbeat) if row.heartbeat else {}
        seq_rows = conn.execute(
            select(p.seq, func.count(), func.min(p.punch_time), func.max(p.punch_time))
            .where(p.terminal_id == row.terminal_id).group_by(p.seq)
        ).all()
        repeated = [r for r in seq_rows if r[1] > 1]
        # the newest run's first punch: the latest time of the lowest repeated seq
        restarted_at = float(min(repeated, key=lambda r: r[0])[3]) if repeated else None
        out.append(TerminalFacts(
            terminal_id=row.terminal_id, name=row.name, site=row.site,
            enrolled_at=row.enrolled_at, last_heartbeat_at=row.last_heartbeat_at,
            reported_last_seq=int(hb.get("last_seq") or 0), pending=int(hb.get("pending") or 0),
            oldest_pending_age_s=hb.get("oldest_pending_age_s"),
            seq_times={int(r[0]): float(r[2]) for r in seq_rows},
            restarted_at=restarted_at,
        ))
    return out


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=timezone.utc).isoformat()


def completeness(conn: Connection, now: datetime,
                 max_age_s: float = HEARTBEAT_MAX_AGE_S) -> dict[str, Any]:
    """The company's, each site's and each terminal's watermark as one JSON-able dict: what
    the API, the reports, the overview and the console show (``console`` calls this)."""
    from zoneinfo import ZoneInfo

    zones = {r.code: ZoneInfo(r.timezone) for r in conn.execute(select(db.sites))}
    ts = now.timestamp()
    marks = [terminal_mark(f, ts, max_age_s) for f in load_facts(conn)]
    sites = site_marks(marks)
    company = scope_mark("company", marks)
    # the company's times in its one site's zone; UTC when there are several
    company_tz = next(iter(zones.values())) if len(zones) == 1 else timezone.utc

    def terminal(m: TerminalMark) -> dict[str, Any]:
        tz = zones.get(m.site, timezone.utc)
        return {"terminal_id": m.terminal_id, "name": m.name, "site": m.site,
                "watermark": _iso(m.watermark), "current": m.current, "reasons": list(m.reasons),
                "pending": m.pending, "missing": m.missing,
                "outstanding_since": _iso(m.outstanding_since), "last_heard": _iso(m.last_heard),
                "summary": terminal_sentence(m, tz, ts)}

    def scope(s: ScopeMark, tz: tzinfo) -> dict[str, Any]:
        return {"watermark": _iso(s.watermark), "terminals": s.terminals, "current": s.current,
                "summary": scope_sentence(s, tz, ts),
                "held_by": [terminal_sentence(m, zones.get(m.site, timezone.utc), ts)
                            for m in s.held_by]}

    return {
        "as_of": now.isoformat(),
        "max_heartbeat_age_s": max_age_s,
        "company": scope(company, company_tz),
        "sites": {code: scope(s, zones.get(code, timezone.utc)) for code, s in sites.items()},
        "terminals": [terminal(m) for m in marks],
    }


# ---------------------------------------------------------------------------- reports

REPORT_FIELDS = ("provisional", "complete_up_to")  # what annotate_report adds to each row


def annotate_report(conn: Connection, now: datetime, rows: list[dict[str, Any]],
                    site: str | None = None) -> dict[str, Any]:
    """Mark each attendance row ``provisional`` (its day ends after its site's watermark)
    with the site's ``complete_up_to``; returns the summary the report carries."""
    from zoneinfo import ZoneInfo

    comp = completeness(conn, now)
    zones = {r.code: ZoneInfo(r.timezone) for r in conn.execute(select(db.sites))}
    waters = {code: _ts(s["watermark"]) for code, s in comp["sites"].items()}
    for row in rows:
        water = waters.get(row["site"])
        row["provisional"] = provisional(date.fromisoformat(row["date"]),
                                         zones.get(row["site"], timezone.utc), water)
        row["complete_up_to"] = _iso(water)
    scope = comp["sites"].get(site) if site else comp["company"]
    if scope is None:  # a site without terminals: nothing can be vouched for
        scope = {"watermark": None, "terminals": 0, "current": 0,
                 "summary": "no terminals at this site", "held_by": []}
    water = _ts(scope["watermark"])
    tz = zones.get(site, timezone.utc) if site else (
        next(iter(zones.values())) if len(zones) == 1 else timezone.utc)
    first = None if water is None else datetime.fromtimestamp(water, tz=timezone.utc).astimezone(tz)
    return {"scope": site or "company", **scope,
            # the first day not yet complete: that day and every later one are provisional
            "provisional_from": None if first is None else first.date().isoformat(),
            "provisional_rows": sum(1 for r in rows if r["provisional"])}


def _ts(iso: str | None) -> float | None:
    return None if iso is None else datetime.fromisoformat(iso).timestamp()


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The report's summary as lines for a CSV header, a sheet or a terminal."""
    lines = [f"{summary['scope']}: {summary['summary']}"]
    lines += summary["held_by"]
    if summary["provisional_from"]:
        lines.append(f"days from {summary['provisional_from']} on are provisional")
    if summary["provisional_rows"]:
        lines.append(f"{summary['provisional_rows']} row(s) provisional: their day ends after "
                     "the watermark")
    return lines
