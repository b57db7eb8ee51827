"""Attendance rules: pure functions, no I/O, no database (tested table-driven).

A shift has a start, an end and grace minutes, in the site's local time. A *work day* is
the day its shift started: a punch belongs to the work day whose shift window is nearest,
i.e. the boundary between two work days is the middle of the off-duty gap. So for a night
shift 22:00-06:00 a punch at 05:50 on Tuesday belongs to Monday; for a day shift
09:00-17:00 the boundary is 01:00.

The first punch of a work day is the check-in, any later one a check-out (the last counts).
Late is measured from the shift start in whole minutes and counts only beyond the grace:
with 09:00 and grace 5, 09:05:59 is on time, 09:06:00 is late 6 min. Early leave is whole
minutes before the shift end.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_hhmm(text: str) -> time:
    """'09:00' -> time(9, 0); ValueError with a readable message otherwise."""
    try:
        hh, mm = text.strip().split(":")
        if len(hh) not in (1, 2) or len(mm) != 2:
            raise ValueError
        return time(int(hh), int(mm))
    except ValueError:
        raise ValueError(f"{text!r} is not a time like 09:00") from None


def parse_weekdays(text: str) -> frozenset[int]:
    """'mon-fri' / 'mon,wed,fri' / 'all' -> set of weekday numbers (Monday = 0)."""
    text = text.strip().lower()
    if text in ("", "all", "daily"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in text.split(","):
        ends = part.strip().split("-")
        try:
            idx = [WEEKDAYS.index(e.strip()[:3]) for e in ends]
        except ValueError:
            raise ValueError(f"{part!r} is not a weekday like mon, tue-fri") from None
        if len(idx) == 1:
            days.add(idx[0])
        elif len(idx) == 2:
            a, b = idx
            days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        else:
            raise ValueError(f"{part!r} is not a weekday range")
    return frozenset(days)


def format_weekdays(days: frozenset[int]) -> str:
    if days == frozenset(range(7)):
        return "all"
    return ",".join(WEEKDAYS[d] for d in sorted(days))


@dataclass(frozen=True)
class ShiftRule:
    """A shift in site-local time; ``end <= start`` means it runs across midnight."""

    name: str
    start: time
    end: time
    grace_min: int = 0
    weekdays: frozenset[int] = field(default_factory=lambda: frozenset(range(7)))

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    @property
    def duration(self) -> timedelta:
        d = datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)
        return d + DAY if d <= timedelta(0) else d

    @property
    def day_boundary(self) -> timedelta:
        """Offset from local midnight where one work day ends and the next begins."""
        start = timedelta(hours=self.start.hour, minutes=self.start.minute)
        return start - (DAY - self.duration) / 2

    def window(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The shift's start and end on ``day`` as UTC instants (DST-correct)."""
        start = datetime.combine(day, self.start, tzinfo=tz)
        end = datetime.combine(day + DAY if self.overnight else day, self.end, tzinfo=tz)
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)

    def works_on(self, day: date) -> bool:
        return day.weekday() in self.weekdays


def work_date(when: datetime, tz: ZoneInfo, shift: ShiftRule | None) -> date:
    """The work day a punch at the instant ``when`` belongs to."""
    local = when.astimezone(tz).replace(tzinfo=None)
    if shift is None:
        return local.date()
    return (local - shift.day_boundary).date()


def late_minutes(when: datetime, day: date, tz: ZoneInfo, shift: ShiftRule) -> int:
    """Minutes late for a check-in at ``when``; 0 if within the grace."""
    start, _ = shift.window(day, tz)
    minutes = math.floor((when - start).total_seconds() / 60)
    return minutes if minutes > shift.grace_min else 0


def early_leave_minutes(when: datetime, day: date, tz: ZoneInfo, shift: ShiftRule) -> int:
    """Whole minutes before the shift end for a check-out at ``when``; 0 if not early."""
    _, end = shift.window(day, tz)
    return max(0, math.floor((end - when).total_seconds() / 60))


@dataclass(frozen=True)
class Classification:
    """What one punch means, as the verdict tells the kiosk."""

    work_date: date
    check_in: bool
    late_min: int = 0
    early_leave_min: int = 0


def classify(
    when: datetime,
    tz: ZoneInfo,
    shift: ShiftRule | None,
    earlier_on_day: bool,
) -> Classification:
    """Classify a punch given whether an earlier punch exists on its work day."""
    day = work_date(when, tz, shift)
    if not earlier_on_day:
        late = late_minutes(when, day, tz, shift) if shift else 0
        return Classification(day, True, late_min=late)
    early = early_leave_minutes(when, day, tz, shift) if shift else 0
    return Classification(day, False, early_leave_min=early)


# Day status codes in reports.
PRESENT = "present"
MISSING_CHECK_OUT = "missing_check_out"
OPEN = "open"  # today, checked in, shift not over yet
ABSENT = "absent"


@dataclass(frozen=True)
class DayRecord:
    work_date: date
    status: str
    check_in: datetime | None = None
    check_out: datetime | None = None
    late_min: int = 0
    early_leave_min: int = 0
    punches: int = 0


def summarize_days(
    punches: Iterable[datetime],
    tz: ZoneInfo,
    shift: ShiftRule | None,
    date_from: date,
    date_to: date,
    now: datetime,
    absent_from: date | None = None,
) -> list[DayRecord]:
    """One record per work day in [date_from, date_to] for one employee.

    Days with punches: first = check-in, last = check-out (missing if only one punch and
    the shift is over). Days without punches on the shift's weekdays whose shift has
    started (and not before ``absent_from``, e.g. the hiring day): absent. Employees without a shift are never absent and never late.
    """
    by_day: dict[date, list[datetime]] = {}
    for p in punches:
        d = work_date(p, tz, shift)
        if date_from <= d <= date_to:
            by_day.setdefault(d, []).append(p)
    out: list[DayRecord] = []
    day = date_from
    while day <= date_to:
        times = sorted(by_day.get(day, ()))
        if times:
            out.append(_day_with_punches(day, times, tz, shift, now))
        elif (
            shift is not None
            and shift.works_on(day)
            and shift.window(day, tz)[0] <= now
            and (absent_from is None or day >= absent_from)
        ):
            out.append(DayRecord(day, ABSENT))
        day += DAY
    return out


def _day_with_punches(
    day: date, times: Sequence[datetime], tz: ZoneInfo, shift: ShiftRule | None, now: datetime
) -> DayRecord:
    first = times[0]
    late = late_minutes(first, day, tz, shift) if shift else 0
    if len(times) == 1:
        if shift is not None:
            over = shift.window(day, tz)[1] <= now
        else:
            over = datetime.combine(day + DAY, time(), tzinfo=tz) <= now
        return DayRecord(day, MISSING_CHECK_OUT if over else OPEN, first, None, late, 0, 1)
    last = times[-1]
    early = early_leave_minutes(last, day, tz, shift) if shift else 0
    return DayRecord(day, PRESENT, first, last, late, early, len(times))
