"""Who is in right now, per site: the numbers behind the console's landing page.

Each employee's *current* work day comes from the attendance rules (a night worker at 02:00
is still on yesterday's shift), so this is not "punches since local midnight". One query
reads the last three days of accepted punches for everyone; the rules then run per
employee in memory (2,000 employees: benchmarks/console.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from .. import attendance as rules
from .. import db, reports


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
    off: int = 0  # not a work day of their shift, no punch

    @property
    def staff(self) -> int:
        return len(self.present) + len(self.not_in) + len(self.left) + self.off


def today(conn: Connection, now: datetime) -> list[SiteToday]:
    """Every site with its active staff sorted into in / late / not in yet / left."""
    shifts = reports.load_shifts(conn)
    sites = {r.code: SiteToday(r.code, r.name, r.timezone,
                               now.astimezone(ZoneInfo(r.timezone)).date())
             for r in conn.execute(select(db.sites).order_by(db.sites.c.code))}
    p, e = db.punches.c, db.employees.c
    since = (now - timedelta(days=3)).timestamp()
    times: dict[str, list[datetime]] = {}
    for emp_id, t in conn.execute(
        select(p.employee_id, p.punch_time)
        .where(p.status == "accepted", p.punch_time >= since, p.punch_time <= now.timestamp())
    ):
        times.setdefault(emp_id, []).append(datetime.fromtimestamp(t, tz=timezone.utc))
    staff = conn.execute(select(e.employee_id, e.name, e.site, e.shift)
                         .where(e.active.is_(True)).order_by(e.name, e.employee_id))
    for emp in staff:
        site = sites[emp.site]
        tz = ZoneInfo(site.timezone)
        shift = shifts.get(emp.shift) if emp.shift else None
        _sort_one(site, tz, shift, emp.employee_id, emp.name, times.get(emp.employee_id, []), now)
    return list(sites.values())


def _sort_one(site: SiteToday, tz: ZoneInfo, shift: rules.ShiftRule | None, emp_id: str,
              name: str, punches: list[datetime], now: datetime) -> None:
    day = rules.work_date(now, tz, shift)
    mine = sorted(t for t in punches if rules.work_date(t, tz, shift) == day)
    start = shift.start.strftime("%H:%M") if shift else None
    if not mine:
        if shift is not None and not shift.works_on(day):
            site.off += 1
            return
        started = shift is not None and shift.window(day, tz)[0] <= now
        site.not_in.append(Person(emp_id, name, shift.name if shift else None, start,
                                  started=started))
        return
    late = rules.late_minutes(mine[0], day, tz, shift) if shift else 0
    person = Person(emp_id, name, shift.name if shift else None, start,
                    check_in=mine[0].astimezone(tz),
                    check_out=mine[-1].astimezone(tz) if len(mine) > 1 else None,
                    late_min=late, started=True)
    (site.left if len(mine) > 1 else site.present).append(person)
    if late:
        site.late.append(person)
