"""Today as first written (employee_days over four days for everyone, then the current
day picked out): the oracle tests/console/test_pages.py holds the one-pass
server_stub.console.today to. Kept as it was apart from the imports."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from server_stub import db, reports, rules
from server_stub.console.today import _NOT_IN, Person, SiteToday


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
