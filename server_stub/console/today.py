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

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from .. import db, reports, rules

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

    @property
    def staff(self) -> int:
        return len(self.present) + len(self.not_in) + len(self.left) + len(self.on_leave) + self.off


def today(conn: Connection, now: datetime) -> list[SiteToday]:
    """Every site with its active staff sorted into in / late / not in yet / left / leave."""
    sites = {r.code: SiteToday(r.code, r.name, r.timezone,
                               now.astimezone(ZoneInfo(r.timezone)).date())
             for r in conn.execute(select(db.sites).order_by(db.sites.c.code))}
    active = set(conn.execute(select(db.employees.c.employee_id)
                              .where(db.employees.c.active.is_(True))).scalars())
    utc_day = now.date()  # every site's current work day is within a day of this
    for ed in reports.employee_days(conn, utc_day - timedelta(days=1),
                                    utc_day + timedelta(days=2), None, None, now):
        if ed.employee_id in active:
            _sort_one(sites[ed.site], ed, now)
    for site in sites.values():
        for people in (site.present, site.late, site.not_in, site.left, site.on_leave):
            people.sort(key=lambda p: (p.name, p.employee_id))
    return list(sites.values())


def _sort_one(site: SiteToday, ed: reports.EmployeeDays, now: datetime) -> None:
    shift = ed.shift
    day = rules.work_date(now, ed.tz, shift)
    record = next((d for d in ed.days if d.work_date == day), None)
    if (shift is not None and shift.window(day, ed.tz)[1] <= now
            and (record is None or record.status is rules.DayStatus.ABSENT)):
        # That shift is over and nobody came: show the next one ("starts 22:00").
        record = next((d for d in ed.days if d.work_date == day + timedelta(days=1)), None)
    who = Person(ed.employee_id, ed.name, shift.name if shift else None,
                 shift.start.strftime("%H:%M") if shift else None)
    if record is None:  # no punch, and not a day they are expected
        if shift is None:
            site.not_in.append(who)
        else:
            site.off += 1
        return
    if record.status in _NOT_IN:
        site.not_in.append(replace(who, started=record.status is not rules.DayStatus.EXPECTED))
        return
    if record.status is rules.DayStatus.LEAVE:
        site.on_leave.append(replace(who, note=record.day_off.label if record.day_off else ""))
        return
    if record.status is rules.DayStatus.HOLIDAY:
        site.off += 1
        return
    counted = record.punches - record.repeats + len(record.corrections)
    person = replace(who, started=True, late_min=record.late_min,
                   check_in=record.check_in.astimezone(ed.tz) if record.check_in else None,
                   check_out=record.check_out.astimezone(ed.tz) if record.check_out else None)
    (site.present if counted % 2 else site.left).append(person)
    if record.late_min:
        site.late.append(person)
