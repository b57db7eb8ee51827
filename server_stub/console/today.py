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
    complete: str | None = None  # the completeness watermark's sentence for the site
    terminals: list[tuple[str, str, bool]] = field(default_factory=list)  # name, sentence, current

    @property
    def all_current(self) -> bool:
        """Every terminal of the site is current: the day so far is complete."""
        return bool(self.terminals) and all(current for _, _, current in self.terminals)

    @property
    def staff(self) -> int:
        return len(self.present) + len(self.not_in) + len(self.left) + len(self.on_leave) + self.off


def today(conn: Connection, now: datetime) -> list[SiteToday]:
    """Every site with its active staff sorted into in / late / not in yet / left / leave.

    One pass: the active staff and one ordered punch stream (around now) merged by id, the
    site's holidays, leave and approved make-up punches looked up in dicts, and the rules
    run for each person's current work day only (and the next one when that shift is over
    without a punch), never for a range of days.
    """
    sites = {r.code: SiteToday(r.code, r.name, r.timezone,
                               now.astimezone(ZoneInfo(r.timezone)).date())
             for r in conn.execute(select(db.sites).order_by(db.sites.c.code))}
    zones = {code: ZoneInfo(s.timezone) for code, s in sites.items()}
    shifts = reports.load_shifts(conn)
    e = db.employees.c
    staff = sorted(conn.execute(select(e.employee_id, e.name, e.site, e.shift, e.created_at)
                                .where(e.active.is_(True))), key=lambda r: r[0])
    utc_day = now.date()  # every site's current work day is within a day of this
    lo, hi = utc_day - timedelta(days=1), utc_day + timedelta(days=2)
    holidays = reports.load_holidays(conn, lo, hi)
    leaves = reports.load_leaves(conn, lo, hi)
    makeups = reports.load_makeups(conn, lo, hi)
    # (site, shift) -> the current work day, and whether that shift is already over
    days: dict[tuple[str, str | None], tuple[date, bool]] = {}
    stream = reports._punch_stream(conn, lo, hi, None, None)
    pending = next(stream, None)
    for emp_id, name, site_code, shift_name, created_at in staff:
        while pending is not None and pending[0] < emp_id:
            pending = next(stream, None)
        times: list[datetime] = []
        if pending is not None and pending[0] == emp_id:
            times = pending[1]
            pending = next(stream, None)
        tz = zones[site_code]
        shift = shifts.get(shift_name) if shift_name else None
        key = (site_code, shift.name if shift else None)
        got = days.get(key)
        if got is None:
            day = rules.work_date(now, tz, shift)
            got = days[key] = (day, shift is not None and shift.window(day, tz)[1] <= now)
        day, over = got
        hired = datetime.fromtimestamp(created_at, tz).date()
        record = _record(times, tz, shift, day, now, hired, holidays.get(site_code, {}),
                         leaves.get(emp_id, ()), makeups.get(emp_id, ()))
        if over and (record is None or record.status is rules.DayStatus.ABSENT):
            # That shift is over and nobody came: show the next one ("starts 22:00").
            record = _record(times, tz, shift, day + timedelta(days=1), now, hired,
                             holidays.get(site_code, {}), leaves.get(emp_id, ()),
                             makeups.get(emp_id, ()))
        _sort_one(sites[site_code], emp_id, name, tz, shift, record)
    for site in sites.values():
        for people in (site.present, site.late, site.not_in, site.left, site.on_leave):
            people.sort(key=lambda p: (p.name, p.employee_id))
    _add_freshness(conn, now, sites, zones, lo, hi)
    return list(sites.values())


def _window(lo: date, hi: date) -> tuple[float, float]:
    start = datetime.combine(lo - timedelta(days=2), time(), tzinfo=timezone.utc)
    end = datetime.combine(hi + timedelta(days=3), time(), tzinfo=timezone.utc)
    return start.timestamp(), end.timestamp()


def _add_freshness(conn: Connection, now: datetime, sites: dict[str, SiteToday],
                   zones: dict[str, ZoneInfo], lo: date, hi: date) -> None:
    """Each site's latest punch received, its completeness watermark and its terminals'."""
    p = db.punches.c
    a, b = _window(lo, hi)
    for code, last in conn.execute(
            select(p.site, func.max(p.received_at)).where(p.punch_time >= a, p.punch_time < b)
            .group_by(p.site)):
        if code in sites and last is not None:
            sites[code].last_punch_at = datetime.fromtimestamp(last, zones[code])
    comp = completeness.completeness(conn, now)
    for code, mark in comp["sites"].items():
        if code in sites:
            sites[code].complete = mark["summary"]
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


def _sort_one(site: SiteToday, emp_id: str, name: str, tz: ZoneInfo,
              shift: rules.ShiftRule | None, record: rules.DayRecord | None) -> None:
    shift_name = shift.name if shift else None
    start = shift.start.strftime("%H:%M") if shift else None
    if record is None:  # no punch, and not a day they are expected
        if shift is None:
            site.not_in.append(Person(emp_id, name, shift_name, start))
        else:
            site.off += 1
        return
    status = record.status
    if status in _NOT_IN:
        site.not_in.append(Person(emp_id, name, shift_name, start,
                                  started=status is not rules.DayStatus.EXPECTED))
        return
    if status is rules.DayStatus.LEAVE:
        site.on_leave.append(Person(emp_id, name, shift_name, start,
                                    note=record.day_off.label if record.day_off else ""))
        return
    if status is rules.DayStatus.HOLIDAY:
        site.off += 1
        return
    counted = record.punches - record.repeats + len(record.corrections)
    person = Person(emp_id, name, shift_name, start, started=True, late_min=record.late_min,
                    check_in=record.check_in.astimezone(tz) if record.check_in else None,
                    check_out=record.check_out.astimezone(tz) if record.check_out else None)
    (site.present if counted % 2 else site.left).append(person)
    if record.late_min:
        site.late.append(person)
