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

The rules run on integer microseconds since the epoch (:func:`day_facts`): a month's report
for thousands of employees evaluates them for every employee and day, and integer
arithmetic with one zone lookup per hour (:class:`Zone`) is several times faster than
aware datetimes, with the same results to the microsecond (``datetime.fromtimestamp``
rounds to microseconds, and so does :func:`micros_from_timestamp`).
:func:`summarize_days` is the datetime interface over it.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache, partial
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .calendar import DayOff
from .punch import PunchKind, min_presence
from .shifts import DAY, ShiftRule, _window


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


US = 1_000_000
MINUTE_US = 60 * US
HOUR_US = 3600 * US
DAY_US = 86400 * US
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ONE_US = timedelta(microseconds=1)


class DayFacts(NamedTuple):
    """A :class:`DayRecord` with its check-in and check-out as UTC microseconds: what the
    reports read (a tuple, cheap to make by the ten thousand)."""

    work_date: date
    status: DayStatus
    check_in_us: int | None = None
    check_out_us: int | None = None
    late_min: int = 0
    early_leave_min: int = 0
    punches: int = 0
    worked_min: int = 0
    break_min: int = 0
    overtime_min: int = 0
    repeats: int = 0
    unpaired: int = 0
    day_off: DayOff | None = None
    corrections: tuple[MakeUp, ...] = ()

    def record(self, instants: Mapping[int, datetime] | None = None) -> DayRecord:
        """The DayRecord; ``instants`` maps microseconds back to the caller's datetimes."""
        got = instants or {}
        cin = None if self.check_in_us is None else (
            got.get(self.check_in_us) or utc_from_micros(self.check_in_us))
        cout = None if self.check_out_us is None else (
            got.get(self.check_out_us) or utc_from_micros(self.check_out_us))
        return DayRecord(self.work_date, self.status, cin, cout, *self[4:])


def micros(when: datetime) -> int:
    """An aware datetime as microseconds since the epoch (exact)."""
    return (when - EPOCH) // _ONE_US


def micros_from_timestamp(t: float) -> int:
    """Epoch seconds as microseconds, rounded as ``datetime.fromtimestamp`` rounds them
    (half to even, on the fraction)."""
    frac, whole = math.modf(t)
    return int(whole) * US + round(frac * US)


def utc_from_micros(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


SPLIT = 1 << 62  # an hour with a change of offset in it: look each instant up
_Plan = tuple[bool, int, int]  # the shift works that day, its start and end (UTC µs)


class Zone:
    """A time zone's UTC offset at an instant, in microseconds, looked up in zoneinfo once
    per UTC hour (an hour with a transition in it: once per instant, so DST stays exact)."""

    __slots__ = ("_hours", "_plans", "tz")

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._hours: dict[int, int] = {}
        self._plans: dict[tuple[time, time, frozenset[int], date, date], list[_Plan]] = {}

    def plan(self, shift: ShiftRule, date_from: date, date_to: date) -> list[_Plan]:
        """Per day of the range: (the shift works that day, its window as microseconds);
        the same for every employee on this shift and site, so worked out once."""
        key = (shift.start, shift.end, shift.weekdays, date_from, date_to)
        got = self._plans.get(key)
        if got is None:
            got = []
            day = date_from
            while day <= date_to:
                got.append((shift.works_on(day), *window_us(shift.start, shift.end, day,
                                                            self.tz)))
                day += DAY
            if len(self._plans) > 64:
                self._plans.clear()
            self._plans[key] = got
        return got

    def offset(self, us: int) -> int:
        hour = us // HOUR_US
        off = self._hours.get(hour)
        if off is None:
            a, b = self._at(hour * 3600), self._at(hour * 3600 + 3599)
            off = self._hours[hour] = a if a == b else SPLIT
        if off == SPLIT:
            return self._at(us // US)
        return off

    def _at(self, second: int) -> int:
        # zoneinfo finds the offset by the whole second (it ignores microseconds)
        off = datetime.fromtimestamp(second, self.tz).utcoffset()
        assert off is not None
        return off // _ONE_US


@lru_cache(maxsize=8192)
def window_us(start_at: time, end_at: time, day: date, tz: ZoneInfo) -> tuple[int, int]:
    """:meth:`ShiftRule.window` as UTC microseconds."""
    start, end = _window(start_at, end_at, day, tz)
    return micros(start), micros(end)


@lru_cache(maxsize=8192)
def _midnight_us(day: date, tz: ZoneInfo) -> int:
    return micros(datetime.combine(day, time(), tzinfo=tz))


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

    This is :func:`day_facts` over datetimes (tests/server/rules_reference.py keeps the
    plain version both must agree with); check-ins and check-outs are the given datetimes.
    """
    instants: dict[int, datetime] = {}
    times = []
    for p in punches:
        us = micros(p)
        instants.setdefault(us, p)
        times.append(us)
    made = list(makeups)
    for m in made:
        instants.setdefault(micros(m.at), m.at)
    facts = day_facts(times, Zone(tz), shift, date_from, date_to, micros(now), absent_from,
                      makeups=made, off=off)
    return [f.record(instants) for f in facts]


def day_facts(
    punches: Iterable[int],
    zone: Zone,
    shift: ShiftRule | None,
    date_from: date,
    date_to: date,
    now: int,
    absent_from: date | None = None,
    *,
    makeups: Iterable[MakeUp] = (),
    off: Mapping[date, DayOff] | None = None,
) -> list[DayFacts]:
    """:func:`summarize_days` on UTC microseconds (``punches`` and ``now``), in any order.

    This runs once per employee and day of every report, so it is written for speed.
    """
    off = off or {}
    # The work day is the local wall time shifted by the boundary, in whole days.
    boundary = shift.day_boundary // _ONE_US if shift is not None else 0
    lo, hi = date_from.toordinal() - EPOCH_ORDINAL, date_to.toordinal() - EPOCH_ORDINAL
    hours, offset = zone._hours, zone.offset  # Zone.offset() inlined for the usual hour
    by_day: dict[int, list[int]] = {}
    for p in punches:
        o = hours.get(p // HOUR_US)
        if o is None or o == SPLIT:
            o = offset(p)
        d = (p + o - boundary) // DAY_US
        if lo <= d <= hi:
            got = by_day.get(d)
            if got is None:
                by_day[d] = [p]
            else:
                got.append(p)
    made: dict[int, list[MakeUp]] = {}
    for m in makeups:
        if date_from <= m.work_date <= date_to:
            made.setdefault(m.work_date.toordinal() - EPOCH_ORDINAL, []).append(m)
    presence = min_presence(shift) // _ONE_US
    tz = zone.tz
    plan = zone.plan(shift, date_from, date_to) if shift is not None else None
    out: list[DayFacts] = []
    append, present = out.append, DayStatus.PRESENT
    grace, after = (shift.grace_min, max(shift.overtime_after_min, 1)) if shift else (0, 1)
    day = date_from
    for k in range(hi - lo + 1):
        times, extra = by_day.get(lo + k), made.get(lo + k)
        if times and plan is not None and not extra and len(times) > 1:
            # _day_with_punches() inlined for the usual day: a shift, two punches or more,
            # no make-up punch (~40,000 days a month for 2,000 employees)
            times.sort()
            first, n = times[0], len(times)
            limit, j = first + presence, 1
            while j < n and times[j] < limit:  # repeats: within the minimum presence
                j += 1
            if j < n:  # at least one punch counts after the check-in
                last, day_off = times[-1], off.get(day)
                works, start, end = plan[k]
                if works and day_off is None:
                    late = (first - start) // MINUTE_US
                    if late <= grace:
                        late = 0
                    early = (end - last) // MINUTE_US
                    if early < 0:
                        early = 0
                    planned = end - start
                else:
                    late = early = planned = 0
                if n - j == 1:
                    breaks = unpaired = 0
                else:
                    middle = times[j:-1]
                    breaks = sum(middle[i + 1] - middle[i] for i in range(0, len(middle) - 1, 2))
                    unpaired = len(middle) % 2
                worked = last - first - breaks
                overtime = (worked - planned) // MINUTE_US if worked > 0 else 0
                append(_facts((day, present, first, last, late, early, n, worked // MINUTE_US,
                               breaks // MINUTE_US, overtime if overtime >= after else 0,
                               j - 1, unpaired, day_off, ())))
                day += DAY
                continue
        if times or extra:
            if times:
                times.sort()
            out.append(_day_with_punches(day, times or [], extra or [], tz, shift, now,
                                         off.get(day), presence,
                                         None if plan is None else plan[k]))
        elif (shift is not None and plan is not None and plan[k][0]
              and (absent_from is None or day >= absent_from)):
            out.append(_day_without(day, shift, now, off.get(day), plan[k]))
        day += DAY
    return out


_facts = partial(tuple.__new__, DayFacts)  # DayFacts from one tuple, without __new__'s call


def _day_without(day: date, shift: ShiftRule, now: int, off: DayOff | None,
                 plan: _Plan) -> DayFacts:
    if off is not None:
        return DayFacts(day, DayStatus.HOLIDAY if off.holiday else DayStatus.LEAVE, day_off=off)
    _, start, end = plan
    if now < start + (shift.grace_min + 1) * MINUTE_US:
        return DayFacts(day, DayStatus.EXPECTED)
    return DayFacts(day, DayStatus.NOT_IN if now < end else DayStatus.ABSENT)


def _counted(times: Sequence[int], makeups: Sequence[MakeUp],
             presence: int) -> tuple[list[int], int]:
    """The punches that count (repeats within the minimum presence of the check-in
    dropped; make-up punches always count) and the number of repeats."""
    if not makeups:  # the usual day: times are sorted, the first is the check-in
        limit = times[0] + presence
        counted = [times[0]]
        counted += [t for t in times[1:] if t >= limit]
        return counted, len(times) - len(counted)
    events: list[tuple[int, MakeUp | None]] = sorted(
        [(t, None) for t in times] + [(micros(m.at), m) for m in makeups], key=lambda e: e[0])
    counted = []
    repeats = 0
    for t, m in events:
        if counted and m is None and t - counted[0] < presence:
            repeats += 1
            continue
        counted.append(t)
    return counted, repeats


def _overtime(shift: ShiftRule | None, worked: int, planned: int) -> int:
    if shift is None or worked <= 0:
        return 0
    beyond = (worked - planned) // MINUTE_US
    return beyond if beyond >= max(shift.overtime_after_min, 1) else 0


def _day_with_punches(
    day: date, times: Sequence[int], makeups: Sequence[MakeUp], tz: ZoneInfo,
    shift: ShiftRule | None, now: int, off: DayOff | None, presence: int,
    plan: _Plan | None,
) -> DayFacts:
    counted, repeats = _counted(times, makeups, presence)
    first = counted[0]
    scheduled = plan is not None and plan[0] and off is None
    if shift is not None and plan is not None and scheduled:
        _, start, end = plan
        late = (first - start) // MINUTE_US
        if late <= shift.grace_min:
            late = 0
    else:
        start = end = first
        late = 0
    if len(counted) == 1:
        return _single(day, first, late, len(times), repeats, off, tuple(makeups), tz, shift,
                       now, plan)
    last = counted[-1]
    if len(counted) == 2:
        breaks, unpaired = 0, 0
    else:
        middle = counted[1:-1]
        breaks = sum(middle[k + 1] - middle[k] for k in range(0, len(middle) - 1, 2))
        unpaired = len(middle) % 2
    worked = last - first - breaks
    early = max(0, (end - last) // MINUTE_US) if scheduled else 0
    return DayFacts(day, DayStatus.PRESENT, first, last, late, early, len(times),
                    worked // MINUTE_US, breaks // MINUTE_US,
                    _overtime(shift, worked, end - start),  # planned: 0 when not scheduled
                    repeats, unpaired, off, tuple(makeups))


def _single(day: date, first: int, late: int, punches: int, repeats: int, off: DayOff | None,
            corrections: tuple[MakeUp, ...], tz: ZoneInfo, shift: ShiftRule | None,
            now: int, plan: _Plan | None) -> DayFacts:
    """Only a check-in: open, missing its check-out, or closed at shift end by the rule."""
    if shift is None or plan is None:
        over = _midnight_us(day + DAY, tz) <= now
        status = DayStatus.MISSING_CHECK_OUT if over else DayStatus.OPEN
    else:
        works, start, end = plan
        if end > now:
            status = DayStatus.OPEN
        elif not shift.auto_close or end <= first:
            status = DayStatus.MISSING_CHECK_OUT
        else:
            scheduled = works and off is None
            worked = end - first
            return DayFacts(day, DayStatus.AUTO_CLOSED, first, end, late, 0, punches,
                            worked // MINUTE_US, 0,
                            _overtime(shift, worked, end - start if scheduled else 0),
                            repeats, 0, off, corrections)
    return DayFacts(day, status, first, None, late, 0, punches, 0, 0, 0, repeats, 0, off,
                    corrections)
