"""One employee's work days: status, check-in and check-out, breaks, worked time, overtime.

Punches of a work day, in time order (whenever they were uploaded), with HR's approved
make-up punches merged in:

- the first is the check-in; a punch within the shift's minimum presence after it is a
  repeat and is ignored (counted in ``repeats``);
- the last is the check-out; the punches between alternate break-out / break-return, and
  an odd one left over is flagged in ``unpaired`` (kept visible, never silently dropped);
- ``worked_min`` is check-in to check-out minus the breaks; ``overtime_min`` is worked
  time beyond the shift's planned length, counted from the shift's overtime threshold;
  on a day the shift does not work (weekend, holiday, leave) all worked time is beyond it.

A scheduled day without punches is ``expected`` until shift start + grace, ``not_in`` until
the shift ends, then ``absent``; holidays and leave are never absent.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .calendar import DayOff
from .punch import PunchKind, min_presence
from .shifts import (
    DAY,
    ShiftRule,
    whole_minutes,
)


class DayStatus(str, enum.Enum):
    EXPECTED = "expected"  # scheduled, shift start + grace not reached yet
    NOT_IN = "not_in"  # scheduled, past the grace, shift not over, no punch
    PRESENT = "present"  # checked in and out
    OPEN = "open"  # checked in, the shift (or calendar day) not over yet
    MISSING_CHECK_OUT = "missing_check_out"  # checked in, day over, no check-out
    AUTO_CLOSED = "auto_closed"  # as missing_check_out, closed at shift end by the shift's rule
    ABSENT = "absent"  # scheduled, shift over, no punch
    HOLIDAY = "holiday"
    LEAVE = "leave"


WITHOUT_PUNCH = frozenset({DayStatus.EXPECTED, DayStatus.NOT_IN, DayStatus.ABSENT,
                           DayStatus.HOLIDAY, DayStatus.LEAVE})


@dataclass(frozen=True)
class MakeUp:
    """An approved make-up punch (补卡): counts like a punch, marked with who approved it."""

    at: datetime
    work_date: date
    direction: PunchKind
    approved_by: str
    approved_at: datetime
    id: int = 0


@dataclass(frozen=True)
class DayRecord:
    work_date: date
    status: DayStatus
    check_in: datetime | None = None
    check_out: datetime | None = None
    late_min: int = 0
    early_leave_min: int = 0
    punches: int = 0  # stored punches of the day (repeats included, make-ups not)
    worked_min: int = 0
    break_min: int = 0
    overtime_min: int = 0
    repeats: int = 0
    unpaired: int = 0
    day_off: DayOff | None = None
    corrections: tuple[MakeUp, ...] = field(default_factory=tuple)


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

    This runs once per employee and day of every report, so it is written for speed
    (tests/server/rules_reference.py keeps the plain version it must agree with).
    """
    off = off or {}
    # work_date() inlined: the work day is the local wall time shifted by the boundary
    # (aware datetime minus timedelta is wall-clock arithmetic, as on the naive time).
    boundary = shift.day_boundary if shift is not None else timedelta()
    by_day: dict[date, list[datetime]] = {}
    for p in punches:
        d = (p.astimezone(tz) - boundary).date()
        if date_from <= d <= date_to:
            got = by_day.get(d)
            if got is None:
                by_day[d] = [p]
            else:
                got.append(p)
    made: dict[date, list[MakeUp]] = {}
    for m in makeups:
        if date_from <= m.work_date <= date_to:
            made.setdefault(m.work_date, []).append(m)
    presence = min_presence(shift)
    out: list[DayRecord] = []
    day = date_from
    while day <= date_to:
        times, extra = by_day.get(day), made.get(day)
        if times or extra:
            if times:
                times.sort()
            out.append(_day_with_punches(day, times or [], extra or [], tz, shift, now,
                                         off.get(day), presence))
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


def _counted(times: Sequence[datetime], makeups: Sequence[MakeUp],
             presence: timedelta) -> tuple[list[datetime], int]:
    """The punches that count (repeats within the minimum presence of the check-in
    dropped; make-up punches always count) and the number of repeats."""
    if not makeups:  # the usual day: times are sorted, the first is the check-in
        limit = times[0] + presence
        counted = [times[0]]
        counted += [t for t in times[1:] if t >= limit]
        return counted, len(times) - len(counted)
    events: list[tuple[datetime, MakeUp | None]] = sorted(
        [(t, None) for t in times] + [(m.at, m) for m in makeups], key=lambda e: e[0])
    counted = []
    repeats = 0
    for t, m in events:
        if counted and m is None and t - counted[0] < presence:
            repeats += 1
            continue
        counted.append(t)
    return counted, repeats


def _day_with_punches(
    day: date, times: Sequence[datetime], makeups: Sequence[MakeUp], tz: ZoneInfo,
    shift: ShiftRule | None, now: datetime, off: DayOff | None, presence: timedelta,
) -> DayRecord:
    counted, repeats = _counted(times, makeups, presence)
    first = counted[0]
    scheduled = shift is not None and shift.works_on(day) and off is None
    if shift is not None and scheduled:
        start, end = shift.window(day, tz)
        late = whole_minutes(first - start)
        if late <= shift.grace_min:
            late = 0
    else:
        start = end = first
        late = 0
    if len(counted) == 1:
        base = DayRecord(day, DayStatus.PRESENT, first, None, late, punches=len(times),
                         repeats=repeats, day_off=off, corrections=tuple(makeups))
        return _single(base, tz, shift, now)
    last = counted[-1]
    if len(counted) == 2:
        breaks, unpaired = _NO_TIME, 0
    else:
        middle = counted[1:-1]
        breaks = sum((middle[k + 1] - middle[k] for k in range(0, len(middle) - 1, 2)), _NO_TIME)
        unpaired = len(middle) % 2
    worked = last - first - breaks
    early = max(0, whole_minutes(end - last)) if scheduled else 0
    overtime = 0
    if shift is not None and worked > _NO_TIME:
        beyond = whole_minutes(worked - (end - start))  # planned: 0 when not scheduled
        overtime = beyond if beyond >= max(shift.overtime_after_min, 1) else 0
    return DayRecord(day, DayStatus.PRESENT, first, last, late, early, len(times),
                     whole_minutes(worked), whole_minutes(breaks), overtime, repeats, unpaired,
                     off, tuple(makeups))


_NO_TIME = timedelta()


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
