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
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, case, func, select, tuple_

from . import db

HEARTBEAT_MAX_AGE_S = 300.0  # 5 missed heartbeats at the kiosk's default 60 s: offline
TRIP_MARGIN_S = 1.0  # the heartbeat's trip: its pending age is a little older on arrival

# Why a terminal holds the watermark back (stable codes; the sentence is built from them).
NEVER_HEARD = "never_heard"
OFFLINE = "offline"
PENDING = "pending"
GAP = "gap"
IN_TRANSIT = "in_transit"  # reported a higher last_seq than stored, with nothing pending
# a replaced outbox: its range is not all stored (or, from an older kiosk, a seq repeats)
SEQUENCE_RESTARTED = "sequence_restarted"


@dataclass(frozen=True)
class SeqSummary:
    """What the watermark needs from a terminal's stored sequence numbers, without them all:
    computed in SQL by :func:`load_facts` (or by :func:`summarize_seqs` from the full map)."""

    contiguous: int  # the highest c with 1..c all stored
    top: int  # the highest stored seq (0: none)
    above: int  # stored seqs above ``contiguous``
    at_contiguous: float | None  # the time of seq ``contiguous`` (None when it is 0)
    at_top: float | None
    before_restart: float | None  # the latest seq time before ``restarted_at``, if any


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
    seqs: SeqSummary | None = None  # given instead of seq_times by the SQL loader
    # seqs of reported replaced outboxes (server_stub/replacements.py) not stored yet
    replaced_missing: int = 0


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
    replaced_missing: int = 0  # of them, in a replaced outbox's range (may be lost)

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


def summarize_seqs(seq_times: dict[int, float], restarted_at: float | None) -> SeqSummary:
    """The :class:`SeqSummary` of a full ``{seq: time}`` map (pure)."""
    seqs = sorted(seq_times)
    c = contiguous_prefix(seqs)
    top = seqs[-1] if seqs else 0
    older = ([t for t in seq_times.values() if t < restarted_at]
             if restarted_at is not None else [])
    return SeqSummary(c, top, sum(1 for s in seqs if s > c), seq_times.get(c) if c else None,
                      seq_times.get(top) if top else None, max(older) if older else None)


def terminal_mark(facts: TerminalFacts, now: float,
                  max_age_s: float = HEARTBEAT_MAX_AGE_S) -> TerminalMark:
    """The watermark of one terminal and the reasons it is held back (pure)."""
    f = facts
    reasons: list[str] = []
    q = f.seqs or summarize_seqs(f.seq_times, f.restarted_at)
    c, top = q.contiguous, q.top
    missing = (top - c - q.above) + max(0, f.reported_last_seq - top)

    def before(seq: int) -> float:
        """Every punch up to ``seq`` is here: complete up to its time (or enrolment)."""
        at = q.at_contiguous if seq == c else q.at_top
        return at if seq > 0 and at is not None else f.enrolled_at

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
    if f.replaced_missing > 0 and f.restarted_at is None:
        # the lost range is above c: complete only up to c (salvaged punches close it)
        reasons.append(SEQUENCE_RESTARTED)
        mark = min(mark, before(c))
        outstanding = before(c) if outstanding is None else min(outstanding, before(c))
    if f.restarted_at is not None:
        reasons.append(SEQUENCE_RESTARTED)
        held = q.before_restart if q.before_restart is not None else f.enrolled_at
        mark = min(mark, held)
        outstanding = held if outstanding is None else min(outstanding, held)
    return TerminalMark(f.terminal_id, f.name, f.site, mark, f.last_heartbeat_at,
                        tuple(reasons), f.pending, outstanding, missing, f.replaced_missing)


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
        parts.append(f"outbox replaced ({m.replaced_missing} sequence number"
                     f"{'s' if m.replaced_missing != 1 else ''} may be lost)"
                     if m.replaced_missing else "outbox replaced (sequence restarted)")
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
    """Every enrolled, unrevoked terminal (of ``site``) with its heartbeat and a summary of
    its stored sequence numbers, aggregated in the database (:func:`seq_summaries`)."""
    t = db.terminals.c
    q = select(db.terminals).where(t.enrolled_at.is_not(None), t.revoked_at.is_(None))
    if site:
        q = q.where(t.site == site)
    rows = list(conn.execute(q.order_by(t.site, t.name, t.terminal_id)))
    summaries = seq_summaries(conn, [r.terminal_id for r in rows])
    from .replacements import by_terminal

    replaced = by_terminal(conn, [r.terminal_id for r in rows])
    out = []
    for row in rows:
        hb = json.loads(row.heartbeat) if row.heartbeat else {}
        q_, restarted_at = summaries.get(row.terminal_id, (_NO_SEQS, None))
        out.append(TerminalFacts(
            terminal_id=row.terminal_id, name=row.name, site=row.site,
            enrolled_at=row.enrolled_at, last_heartbeat_at=row.last_heartbeat_at,
            reported_last_seq=int(hb.get("last_seq") or 0), pending=int(hb.get("pending") or 0),
            oldest_pending_age_s=hb.get("oldest_pending_age_s"), restarted_at=restarted_at,
            seqs=q_, replaced_missing=sum(x["missing"] for x in replaced.get(row.terminal_id, [])),
        ))
    return out


_NO_SEQS = SeqSummary(0, 0, 0, None, None, None)


def seq_summaries(conn: Connection, terminal_ids: list[str] | None = None
                  ) -> dict[str, tuple[SeqSummary, float | None]]:
    """Per terminal: its :class:`SeqSummary` and ``restarted_at``, from GROUP BY queries and
    a window function (the stored seqs never come into Python, whatever their number)."""
    p = db.punches.c
    per_seq = select(p.terminal_id.label("tid"), p.seq.label("seq"),
                     func.count().label("n"), func.min(p.punch_time).label("t0"),
                     func.max(p.punch_time).label("t1")).group_by(p.terminal_id, p.seq)
    if terminal_ids is not None:
        if not terminal_ids:
            return {}
        per_seq = per_seq.where(p.terminal_id.in_(terminal_ids))
    s = per_seq.subquery("s")
    ranked = select(s.c.tid, s.c.seq, s.c.n, s.c.t0, s.c.t1, func.row_number().over(
        partition_by=s.c.tid, order_by=s.c.seq).label("rn")).subquery("r")
    r = ranked.c
    # c: one below the first rank whose seq is not its rank; every seq when there is none
    agg = select(r.tid, func.count(), func.max(r.seq),
                 func.min(case((r.seq != r.rn, r.rn))),
                 func.min(case((r.n > 1, r.seq)))).group_by(r.tid)
    out: dict[str, tuple[SeqSummary, float | None]] = {}
    heads = {row[0]: row[1:] for row in conn.execute(agg)}
    if not heads:
        return out
    # the times of seq c, of the top seq and of the lowest repeated seq, in one query
    wanted: dict[str, set[int]] = {}
    for tid, (count, top, gap_rank, repeated) in heads.items():
        c = int(gap_rank) - 1 if gap_rank is not None else int(count)
        wanted[tid] = {x for x in (c, int(top), repeated) if x}
    pairs = [(tid, seq) for tid, seqs in wanted.items() for seq in seqs]
    times: dict[tuple[str, int], tuple[float, float]] = {}
    for k in range(0, len(pairs), 300):
        chunk = pairs[k:k + 300]
        for tid, seq, t0, t1 in conn.execute(
                select(s.c.tid, s.c.seq, s.c.t0, s.c.t1).where(
                    tuple_(s.c.tid, s.c.seq).in_(chunk))):
            times[(tid, int(seq))] = (float(t0), float(t1))
    for tid, (count, top, gap_rank, repeated) in heads.items():
        top = int(top)
        c = int(gap_rank) - 1 if gap_rank is not None else int(count)
        restarted_at = times[(tid, int(repeated))][1] if repeated is not None else None
        before = None
        if restarted_at is not None:
            # the latest *first* time of a seq before the restart (as summarize_seqs)
            before = conn.execute(select(func.max(s.c.t0)).where(
                s.c.tid == tid, s.c.t0 < restarted_at)).scalar()
        out[tid] = (SeqSummary(c, top, int(count) - c,
                               times[(tid, c)][0] if c else None,
                               times[(tid, top)][0] if top else None,
                               None if before is None else float(before)), restarted_at)
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


class ReportMarks:
    """What marks a report's rows: each site's watermark and zone, from one look at the
    terminals. :func:`annotate_report` puts them on row dicts; the month JSON report
    (``reports.attendance_json``) writes them as text, once per site and day."""

    def __init__(self, conn: Connection, now: datetime) -> None:
        self.comp = completeness(conn, now)
        self.zones: dict[str, tzinfo] = {
            r.code: ZoneInfo(r.timezone) for r in conn.execute(select(db.sites))}
        self.waters = {code: _ts(s["watermark"]) for code, s in self.comp["sites"].items()}

    def row(self, site: str, day: date) -> tuple[bool, str | None]:
        """(provisional, complete_up_to) of a row of ``site`` on ``day``."""
        water = self.waters.get(site)
        return provisional(day, self.zones.get(site, timezone.utc), water), _iso(water)

    def summary(self, site: str | None, provisional_rows: int) -> dict[str, Any]:
        """The summary the report carries."""
        scope = self.comp["sites"].get(site) if site else self.comp["company"]
        if scope is None:  # a site without terminals: nothing can be vouched for
            scope = {"watermark": None, "terminals": 0, "current": 0,
                     "summary": "no terminals at this site", "held_by": []}
        water = _ts(scope["watermark"])
        zones = self.zones
        tz = zones.get(site, timezone.utc) if site else (
            next(iter(zones.values())) if len(zones) == 1 else timezone.utc)
        first = None if water is None else datetime.fromtimestamp(
            water, tz=timezone.utc).astimezone(tz)
        return {"scope": site or "company", **scope,
                # the first day not yet complete: that day and every later one are provisional
                "provisional_from": None if first is None else first.date().isoformat(),
                "provisional_rows": provisional_rows}


def annotate_report(conn: Connection, now: datetime, rows: list[dict[str, Any]],
                    site: str | None = None) -> dict[str, Any]:
    """Mark each attendance row ``provisional`` (its day ends after its site's watermark)
    with the site's ``complete_up_to``; returns the summary the report carries."""
    marks = ReportMarks(conn, now)
    for row in rows:
        row["provisional"], row["complete_up_to"] = marks.row(
            row["site"], date.fromisoformat(row["date"]))
    return marks.summary(site, sum(1 for r in rows if r["provisional"]))


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
