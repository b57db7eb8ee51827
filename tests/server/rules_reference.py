"""The attendance rules' day records as first written (straightforward, slow): the oracle
that tests/server/test_rules_properties.py holds the optimised server_stub.rules.day to.

Kept verbatim apart from the imports; do not optimise this file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server_stub.rules.calendar import DayOff
from server_stub.rules.day import DayRecord, DayStatus, MakeUp
from server_stub.rules.punch import min_presence
from server_stub.rules.shifts import (
    DAY,
    ShiftRule,
    early_leave_minutes,
    late_minutes,
    whole_minutes,
    work_date,
)


def summarize_days(
    punches: Iterable[datetime],
    tz: ZoneInfo,
    shift: ShiftRule | None,
    date_from: date,
    date_to: date,
    now: datetime,
    absent_from: date | None = None,
    *,
    makeups: Iterable[MakeUp] = (),
    off: Mapping[date, DayOff] | None = None,
) -> list[DayRecord]:
    """One record per work day in [date_from, date_to] for one employee, oldest first.

    Days before ``absent_from`` (the hiring day) and days the shift does not work get a
    record only when there are punches; an employee without a shift is never expected,
    absent or late.
    """
    off = off or {}
    by_day: dict[date, list[datetime]] = {}
    for p in punches:
        d = work_date(p, tz, shift)
        if date_from <= d <= date_to:
            by_day.setdefault(d, []).append(p)
    made: dict[date, list[MakeUp]] = {}
    for m in makeups:
        if date_from <= m.work_date <= date_to:
            made.setdefault(m.work_date, []).append(m)
    out: list[DayRecord] = []
    day = date_from
    while day <= date_to:
        times, extra = by_day.get(day), made.get(day)
        if times or extra:
            out.append(_day_with_punches(day, sorted(times or ()), extra or [], tz, shift, now,
                                         off.get(day)))
        elif shift is not None and shift.works_on(day) and (absent_from is None or day >= absent_from):
            out.append(_day_without(day, tz, shift, now, off.get(day)))
        day += DAY
    return out


def _day_without(day: date, tz: ZoneInfo, shift: ShiftRule, now: datetime,
                 off: DayOff | None) -> DayRecord:
    if off is not None:
        return DayRecord(day, DayStatus.HOLIDAY if off.holiday else DayStatus.LEAVE, day_off=off)
    start, end = shift.window(day, tz)
    if now < start + timedelta(minutes=shift.grace_min + 1):
        return DayRecord(day, DayStatus.EXPECTED)
    return DayRecord(day, DayStatus.NOT_IN if now < end else DayStatus.ABSENT)


def _day_with_punches(
    day: date, times: Sequence[datetime], makeups: Sequence[MakeUp], tz: ZoneInfo,
    shift: ShiftRule | None, now: datetime, off: DayOff | None,
) -> DayRecord:
    events: list[tuple[datetime, MakeUp | None]] = sorted(
        [(t, None) for t in times] + [(m.at, m) for m in makeups], key=lambda e: e[0])
    counted: list[datetime] = []
    repeats = 0
    presence = min_presence(shift)
    for t, m in events:
        if counted and m is None and t - counted[0] < presence:
            repeats += 1
            continue
        counted.append(t)
    first = counted[0]
    scheduled = shift is not None and shift.works_on(day) and off is None
    late = late_minutes(first, day, tz, shift) if shift and scheduled else 0
    base = DayRecord(day, DayStatus.PRESENT, first, None, late, punches=len(times),
                     repeats=repeats, day_off=off, corrections=tuple(makeups))
    if len(counted) == 1:
        return _single(base, tz, shift, now)
    last = counted[-1]
    middle = counted[1:-1]
    breaks = sum((middle[k + 1] - middle[k] for k in range(0, len(middle) - 1, 2)), timedelta())
    worked = last - first - breaks
    early = early_leave_minutes(last, day, tz, shift) if shift and scheduled else 0
    return _replace(base, check_out=last, early_leave_min=early, worked=worked, breaks=breaks,
                    unpaired=len(middle) % 2, planned=_planned(day, tz, shift, scheduled),
                    shift=shift)


def _single(base: DayRecord, tz: ZoneInfo, shift: ShiftRule | None, now: datetime) -> DayRecord:
    """Only a check-in: open, missing its check-out, or closed at shift end by the rule."""
    day, first = base.work_date, base.check_in
    assert first is not None
    if shift is None:
        over = datetime.combine(day + DAY, time(), tzinfo=tz) <= now
        return _replace(base, status=DayStatus.MISSING_CHECK_OUT if over else DayStatus.OPEN)
    end = shift.window(day, tz)[1]
    if end > now:
        return _replace(base, status=DayStatus.OPEN)
    if not shift.auto_close or end <= first:
        return _replace(base, status=DayStatus.MISSING_CHECK_OUT)
    scheduled = shift.works_on(day) and base.day_off is None
    return _replace(base, status=DayStatus.AUTO_CLOSED, check_out=end, worked=end - first,
                    planned=_planned(day, tz, shift, scheduled), shift=shift)


def _planned(day: date, tz: ZoneInfo, shift: ShiftRule | None, scheduled: bool) -> timedelta:
    if shift is None or not scheduled:
        return timedelta()
    start, end = shift.window(day, tz)
    return end - start


def _replace(
    base: DayRecord, *, status: DayStatus | None = None, check_out: datetime | None = None,
    early_leave_min: int = 0, worked: timedelta = timedelta(), breaks: timedelta = timedelta(),
    unpaired: int = 0, planned: timedelta = timedelta(), shift: ShiftRule | None = None,
) -> DayRecord:
    overtime = 0
    if shift is not None and worked > timedelta():
        beyond = whole_minutes(worked - planned)
        overtime = beyond if beyond >= max(shift.overtime_after_min, 1) else 0
    return DayRecord(
        base.work_date, status or base.status, base.check_in, check_out, base.late_min,
        early_leave_min, base.punches, whole_minutes(worked), whole_minutes(breaks), overtime,
        base.repeats, unpaired, base.day_off, base.corrections,
    )
