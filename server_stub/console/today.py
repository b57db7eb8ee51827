"""Who is in right now, per site: the numbers behind the console's landing page.

The day records come from the same place as the reports (:func:`reports.employee_days`:
punches, approved make-up punches, holidays and leave through the pure rules), so Today
and the attendance report never disagree. Each employee's *current* work day comes from
their shift (a night worker at 02:00 is still on yesterday's shift), so this is not
"punches since local midnight"; once that shift is over without a punch, the next one is
shown (absences stay in the attendance report). Someone is *in* when their day has an odd number of
counted punches (check-in, break-out, break-return, ...), *left* when it is even.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select, text

from .. import completeness, db, reports, rules

_NOT_IN = frozenset({rules.DayStatus.EXPECTED, rules.DayStatus.NOT_IN, rules.DayStatus.ABSENT})


@dataclass(frozen=True)
class Person:
    employee_id: str
    name: str
    shift: str | None
    shift_start: str | None  # "09:00", site-local
    check_in: datetime | None = None  # site-local
    check_out: datetime | None = None
    late_min: int = 0
    started: bool = False  # the shift has begun (for "not in yet")
    note: str = ""  # the leave's kind and note


@dataclass
class SiteToday:
    code: str
    name: str
    timezone: str
    day: date  # the calendar day at the site now
    present: list[Person] = field(default_factory=list)  # checked in, not out
    late: list[Person] = field(default_factory=list)  # checked in late (also in present/left)
    not_in: list[Person] = field(default_factory=list)  # expected today, no punch yet
    left: list[Person] = field(default_factory=list)  # checked in and out
    on_leave: list[Person] = field(default_factory=list)
    off: int = 0  # not a work day of their shift, or a holiday, and no punch
    last_punch_at: datetime | None = None  # freshness: the latest punch received (site-local)
    complete: str | None = None  # the completeness watermark's sentence for the site (English)
    complete_up_to: datetime | None = None  # the same watermark (site-local), for a translation
    current_terminals: tuple[int, int] = (0, 0)  # current, of all the site's terminals
    terminals: list[tuple[str, str, bool]] = field(default_factory=list)  # name, sentence, current

    @property
    def all_current(self) -> bool:
        """Every terminal of the site is current: the day so far is complete."""
        return bool(self.terminals) and all(current for _, _, current in self.terminals)

    @property
    def staff(self) -> int:
        return len(self.present) + len(self.not_in) + len(self.left) + len(self.on_leave) + self.off


# Where a person goes on Today: "in", "left", "not_in", "leave" or "off"; late or not;
# the row (None for "off", which is only counted).
Place = tuple[str, bool, "Person | None"]


@dataclass
class Memo:
    """Each person's place from the previous computation, under everything it came from.

    A place depends on the person's row, their punches around now, their leave and
    approved make-up punches, the site's zone and holidays, the shifts, their current work
    day, and ``now`` only through comparisons with whole-minute instants (a shift's start
    plus grace, its end, midnight), so within one minute the same inputs give the same
    place. When one punch arrives, Today then runs the rules for that one person, not for
    everyone. The key holds all of those inputs, so a stale entry can only miss.
    """

    places: dict[str, tuple[tuple[object, ...], Place]] = field(default_factory=dict)
    sites: dict[str, tuple[object, ...]] = field(default_factory=dict)  # each site's part


def today(conn: Connection, now: datetime, memo: Memo | None = None,
          marks: dict[str, Any] | None = None) -> list[SiteToday]:
    """Every site with its active staff sorted into in / late / not in yet / left / leave.

    One pass: the active staff (in display order), their punches around now from one
    index range, the site's holidays, leave and approved make-up punches looked up in
    dicts, and the rules run for each person's current work day only (and the next one
    when that shift is over without a punch), never for a range of days; with ``memo``,
    only for the people whose inputs changed since the previous call. ``marks``: the
    completeness watermarks to show (:func:`completeness.completeness`; computed when None).
    """
    sites = {r.code: SiteToday(r.code, r.name, r.timezone,
                               now.astimezone(ZoneInfo(r.timezone)).date())
             for r in conn.execute(select(db.sites).order_by(db.sites.c.code))}
    zones = {code: ZoneInfo(s.timezone) for code, s in sites.items()}
    shifts = reports.load_shifts(conn)
    staff = sorted(conn.execute(_STAFF), key=lambda r: (r[1], r[0]))  # as the lists show them
    utc_day = now.date()  # every site's current work day is within a day of this
    lo, hi = utc_day - timedelta(days=1), utc_day + timedelta(days=2)
    holidays = reports.load_holidays(conn, lo, hi)
    leaves = reports.load_leaves(conn, lo, hi)
    makeups = reports.load_makeups(conn, lo, hi)
    punched = _punch_times(conn, lo, hi)
    minute = int(now.timestamp() // 60)
    shift_sig = tuple(sorted(shifts.items()))
    site_sig: dict[str, tuple[object, ...]] = {
        code: (minute, code, z.key, tuple(sorted(holidays.get(code, {}).items())), shift_sig)
        for code, z in zones.items()}
    if memo is not None:  # the previous object when equal: the keys then compare by identity
        site_sig = {code: old if (old := memo.sites.get(code)) == sig else sig
                    for code, sig in site_sig.items()}
        memo.sites = site_sig
    # (site, shift) -> the current work day, and whether that shift is already over
    days: dict[tuple[str, str | None], tuple[date, bool]] = {}
    before = memo.places if memo is not None else {}
    after: dict[str, tuple[tuple[object, ...], Place]] = {}
    lists = {code: {"in": s.present, "left": s.left, "not_in": s.not_in, "leave": s.on_leave}
             for code, s in sites.items()}
    for emp_id, name, site_code, shift_name, created_at in staff:
        tz = zones[site_code]
        shift = shifts.get(shift_name) if shift_name else None
        got = days.get((site_code, shift_name))
        if got is None:
            day = rules.work_date(now, tz, shift)
            got = days[(site_code, shift_name)] = (
                day, shift is not None and shift.window(day, tz)[1] <= now)
        raw = punched.get(emp_id, ())
        its_leave = tuple(leaves[emp_id]) if emp_id in leaves else ()
        its_makeups = tuple(makeups[emp_id]) if emp_id in makeups else ()
        key = (site_sig[site_code], name, shift_name, created_at, got, raw, its_leave,
               its_makeups)
        kept = before.get(emp_id)
        if kept is not None and kept[0] == key:
            place = kept[1]
        else:
            place = _place(emp_id, name, tz, shift, got, now, created_at, raw,
                           holidays.get(site_code, {}), its_leave, its_makeups)
        after[emp_id] = (key, place)
        kind, late, person = place
        if person is None:
            sites[site_code].off += 1
            continue
        lists[site_code][kind].append(person)
        if late:
            sites[site_code].late.append(person)
    if memo is not None:
        memo.places = after
    _add_freshness(conn, now, sites, zones, lo, hi, marks)
    return list(sites.values())


def _punch_times(conn: Connection, lo: date, hi: date) -> dict[str, tuple[float, ...]]:
    """Each employee's accepted punch times (Unix seconds, ascending) in the window the
    work days [lo, hi] can draw on (as reports' punch stream), from the time index; plain
    SQL and the driver's rows (no result processing: these are a text and a float)."""
    a, b = _window(lo, hi)
    out: dict[str, list[float]] = {}
    for emp_id, at in conn.execute(_PUNCH_TIMES, {"a": a, "b": b}):
        got = out.get(emp_id)
        if got is None:
            out[emp_id] = [at]
        else:
            got.append(at)
    return {emp_id: tuple(times) for emp_id, times in out.items()}


_STAFF = text("SELECT employee_id, name, site, shift, created_at FROM employees WHERE active")
_PUNCH_TIMES = text(
    "SELECT employee_id, punch_time FROM punches"
    " WHERE status = 'accepted' AND punch_time >= :a AND punch_time < :b ORDER BY punch_time")


def _place(emp_id: str, name: str, tz: ZoneInfo, shift: rules.ShiftRule | None,
           got: tuple[date, bool], now: datetime, created_at: float, raw: tuple[float, ...],
           holidays: dict[date, str], leaves: tuple[rules.Leave, ...],
           makeups: tuple[rules.MakeUp, ...]) -> Place:
    """One person's place on Today: the rules for their current work day."""
    day, over = got
    times = [datetime.fromtimestamp(t, timezone.utc) for t in raw]
    hired = datetime.fromtimestamp(created_at, tz).date()
    record = _record(times, tz, shift, day, now, hired, holidays, leaves, makeups)
    if over and (record is None or record.status is rules.DayStatus.ABSENT):
        # That shift is over and nobody came: show the next one ("starts 22:00").
        record = _record(times, tz, shift, day + timedelta(days=1), now, hired, holidays,
                         leaves, makeups)
    return _sort_one(emp_id, name, tz, shift, record)


def _window(lo: date, hi: date) -> tuple[float, float]:
    start = datetime.combine(lo - timedelta(days=2), time(), tzinfo=timezone.utc)
    end = datetime.combine(hi + timedelta(days=3), time(), tzinfo=timezone.utc)
    return start.timestamp(), end.timestamp()


def _add_freshness(conn: Connection, now: datetime, sites: dict[str, SiteToday],
                   zones: dict[str, ZoneInfo], lo: date, hi: date,
                   marks: dict[str, Any] | None) -> None:
    """Each site's latest punch received, its completeness watermark and its terminals'."""
    p = db.punches.c
    a, b = _window(lo, hi)
    for code, last in conn.execute(
            select(p.site, func.max(p.received_at)).where(p.punch_time >= a, p.punch_time < b)
            .group_by(p.site)):
        if code in sites and last is not None:
            sites[code].last_punch_at = datetime.fromtimestamp(last, zones[code])
    comp = marks if marks is not None else completeness.completeness(conn, now)
    for code, mark in comp["sites"].items():
        if code in sites:
            sites[code].complete = mark["summary"]
            if mark["watermark"]:
                sites[code].complete_up_to = datetime.fromisoformat(
                    mark["watermark"]).astimezone(zones[code])
            sites[code].current_terminals = (mark["current"], mark["terminals"])
    for t in comp["terminals"]:
        if t["site"] in sites:
            sites[t["site"]].terminals.append((t["name"], t["summary"], t["current"]))


# One row of small aggregates, one statement (plain SQL: building it with the expression
# language cost more than running it). Each table is read once; the punches by time index.
_FINGERPRINT = text(
    "SELECT * FROM"
    " (SELECT count(*), max(received_at), sum(punch_time) FROM punches"
    "  WHERE punch_time >= :a AND punch_time < :b) AS p,"
    " (SELECT max(id) FROM audit_log) AS au,"
    " (SELECT count(*), max(enrolled_at) FROM terminals) AS t,"
    " (SELECT count(*), sum(CASE WHEN active THEN 1 ELSE 0 END), max(created_at)"
    "  FROM employees) AS e,"
    " (SELECT count(*), max(id) FROM leaves) AS l,"
    " (SELECT count(*) FROM holidays) AS h,"
    " (SELECT count(*) FROM shifts) AS s,"
    " (SELECT max(id), max(decided_at) FROM corrections) AS c")


def fingerprint(conn: Connection, now: datetime) -> str:
    """Changes whenever Today's page could: a punch around now stored (count, latest
    receipt, sum of times: a deletion shows too), anything audited, the staff, leave,
    holidays, shifts or corrections changed even without an audit entry (the CLI's Admin
    API writes some directly), a terminal enrolled, or the minute (statuses turn with the
    clock, heartbeats move the watermark). Cheap: an index range and small aggregates in
    one round trip; :mod:`today_cache` keeps the computed page under it."""
    a, b = _window(now.date() - timedelta(days=1), now.date() + timedelta(days=2))
    row = conn.execute(_FINGERPRINT, {"a": a, "b": b}).one()
    return "-".join(str(x) for x in row) + f"-{int(now.timestamp() // 60)}"


def _record(times: list[datetime], tz: ZoneInfo, shift: rules.ShiftRule | None, day: date,
            now: datetime, hired: date, holidays: dict[date, str],
            leaves: Iterable[rules.Leave], makeups: Iterable[rules.MakeUp]
            ) -> rules.DayRecord | None:
    """The rules' record of one work day, or None (no punch and not a day they work)."""
    off = rules.days_off(holidays, leaves, day, day) if (holidays or leaves) else None
    got = rules.summarize_days(times, tz, shift, day, day, now, absent_from=hired,
                               makeups=makeups, off=off)
    return got[0] if got else None


def _sort_one(emp_id: str, name: str, tz: ZoneInfo, shift: rules.ShiftRule | None,
              record: rules.DayRecord | None) -> Place:
    shift_name = shift.name if shift else None
    start = shift.start.strftime("%H:%M") if shift else None
    if record is None:  # no punch, and not a day they are expected
        if shift is None:
            return "not_in", False, Person(emp_id, name, shift_name, start)
        return "off", False, None
    status = record.status
    if status in _NOT_IN:
        return "not_in", False, Person(emp_id, name, shift_name, start,
                                       started=status is not rules.DayStatus.EXPECTED)
    if status is rules.DayStatus.LEAVE:
        return "leave", False, Person(emp_id, name, shift_name, start,
                                      note=record.day_off.label if record.day_off else "")
    if status is rules.DayStatus.HOLIDAY:
        return "off", False, None
    counted = record.punches - record.repeats + len(record.corrections)
    person = Person(emp_id, name, shift_name, start, started=True, late_min=record.late_min,
                    check_in=record.check_in.astimezone(tz) if record.check_in else None,
                    check_out=record.check_out.astimezone(tz) if record.check_out else None)
    return "in" if counted % 2 else "left", bool(record.late_min), person
