"""Attendance reports: per work day and employee, from the stored punches.

Reports recompute from the raw punch times (not the verdicts given at upload), so a punch
uploaded days late lands on the day it happened and the first/last punch are right even
when they arrived out of order.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from . import attendance as rules
from . import db

REPORT_FIELDS = (
    "date", "employee_id", "name", "site", "shift", "shift_start", "shift_end", "grace_min",
    "status", "check_in", "check_out", "late_min", "early_leave_min", "punches",
)


MIN_DATE, MAX_DATE = date(2000, 1, 1), date(2100, 12, 31)


def check_range(date_from: date, date_to: date) -> str | None:
    """Why a report range is unacceptable, or None."""
    if not (MIN_DATE <= date_from <= MAX_DATE and MIN_DATE <= date_to <= MAX_DATE):
        return "dates must be between 2000-01-01 and 2100-12-31"
    if date_to < date_from or (date_to - date_from).days > 366:
        return "date range must be 1-367 days, from <= to"
    return None


def load_sites(conn: Connection) -> dict[str, ZoneInfo]:
    return {r.code: ZoneInfo(r.timezone) for r in conn.execute(select(db.sites))}


def load_shifts(conn: Connection) -> dict[str, rules.ShiftRule]:
    return {
        r.name: rules.ShiftRule(
            r.name, rules.parse_hhmm(r.start), rules.parse_hhmm(r.end), r.grace_min,
            rules.parse_weekdays(r.weekdays),
        )
        for r in conn.execute(select(db.shifts))
    }


def attendance_rows(
    conn: Connection,
    date_from: date,
    date_to: date,
    site: str | None,
    employee: str | None,
    now: datetime,
) -> list[dict[str, Any]]:
    sites = load_sites(conn)
    shifts = load_shifts(conn)
    e = db.employees.c
    q = select(db.employees).order_by(e.site, e.employee_id)
    if site:
        q = q.where(e.site == site)
    if employee:
        q = q.where(e.employee_id == employee)
    staff = list(conn.execute(q))
    if not staff:
        return []
    # Punch window: the range plus a day each side covers any work-day attribution.
    lo = datetime.combine(date_from - timedelta(days=2), time(), tzinfo=timezone.utc)
    hi = datetime.combine(date_to + timedelta(days=3), time(), tzinfo=timezone.utc)
    p = db.punches.c
    pq = select(p.employee_id, p.punch_time).where(
        p.status == "accepted", p.punch_time >= lo.timestamp(), p.punch_time < hi.timestamp()
    )
    if employee:
        pq = pq.where(p.employee_id == employee)
    if site:
        pq = pq.where(p.site == site)
    times: dict[str, list[datetime]] = {}
    for emp_id, t in conn.execute(pq):
        times.setdefault(emp_id, []).append(datetime.fromtimestamp(t, tz=timezone.utc))
    out: list[dict[str, Any]] = []
    for emp in staff:
        tz = sites[emp.site]
        shift = shifts.get(emp.shift) if emp.shift else None
        hired = datetime.fromtimestamp(emp.created_at, tz=timezone.utc).astimezone(tz).date()
        days = rules.summarize_days(
            times.get(emp.employee_id, ()), tz, shift, date_from, date_to, now, absent_from=hired
        )
        if not emp.active:
            days = [d for d in days if d.status != rules.ABSENT]
        for d in days:
            out.append({
                "date": d.work_date.isoformat(),
                "employee_id": emp.employee_id,
                "name": emp.name,
                "site": emp.site,
                "shift": shift.name if shift else None,
                "shift_start": shift.start.strftime("%H:%M") if shift else None,
                "shift_end": shift.end.strftime("%H:%M") if shift else None,
                "grace_min": shift.grace_min if shift else None,
                "status": d.status,
                "check_in": _local(d.check_in, tz),
                "check_out": _local(d.check_out, tz),
                "late_min": d.late_min,
                "early_leave_min": d.early_leave_min,
                "punches": d.punches,
            })
    out.sort(key=lambda r: (r["date"], r["site"], r["employee_id"]))
    return out


def _local(when: datetime | None, tz: ZoneInfo) -> str | None:
    return None if when is None else when.astimezone(tz).isoformat(timespec="seconds")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: OWASP's advice against CSV (formula) injection.

    A text cell starting with ``= + - @``, tab or CR gets a leading apostrophe, so
    ``=cmd|' /C calc'!A0`` in an employee's name is never evaluated. Numbers stay numbers.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=REPORT_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: csv_cell(r[k]) for k in REPORT_FIELDS})
    return buf.getvalue()
