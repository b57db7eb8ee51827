"""Shifts and work days: when a shift runs, which work day a punch belongs to, late and early.

A shift has a start, an end and grace minutes, in the site's local time; ``end <= start``
means it runs across midnight. A *work day* is the day its shift started: a punch belongs
to the work day whose shift window is nearest, i.e. the boundary between two work days is
the middle of the off-duty gap. For a night shift 22:00-06:00 a punch at 05:50 on Tuesday
belongs to Monday; for a day shift 09:00-17:00 the boundary is 01:00. Windows are computed
per calendar day in the site's zone, so they stay right across daylight-saving changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_MIN_PRESENCE_MIN = 30
DEFAULT_OVERTIME_AFTER_MIN = 30


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
            days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(b + 1)])
        else:
            raise ValueError(f"{part!r} is not a weekday range")
    return frozenset(days)


def format_weekdays(days: frozenset[int]) -> str:
    if days == frozenset(range(7)):
        return "all"
    return ",".join(WEEKDAYS[d] for d in sorted(days))


@dataclass(frozen=True)
class ShiftRule:
    """A shift in site-local time, with the rules HR set for it.

    ``min_presence_min``: a punch this soon after the check-in is a repeat, not a check-out.
    ``overtime_after_min``: worked time beyond the shift counts as overtime only from here.
    ``auto_close``: a day with a check-in and no check-out closes at the shift end.
    """

    name: str
    start: time
    end: time
    grace_min: int = 0
    weekdays: frozenset[int] = field(default_factory=lambda: frozenset(range(7)))
    min_presence_min: int = DEFAULT_MIN_PRESENCE_MIN
    overtime_after_min: int = DEFAULT_OVERTIME_AFTER_MIN
    auto_close: bool = False

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    @property
    def duration(self) -> timedelta:
        """Nominal length (wall clock); :meth:`window` gives the real one on a DST day."""
        d = datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)
        return d + DAY if d <= timedelta(0) else d

    @cached_property
    def day_boundary(self) -> timedelta:
        """Offset from local midnight where one work day ends and the next begins."""
        start = timedelta(hours=self.start.hour, minutes=self.start.minute)
        return start - (DAY - self.duration) / 2

    def window(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The shift's start and end on ``day`` as UTC instants (DST-correct)."""
        return _window(self.start, self.end, day, tz)

    def works_on(self, day: date) -> bool:
        return day.weekday() in self.weekdays


@lru_cache(maxsize=8192)
def _window(start_at: time, end_at: time, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Cached: a month's report asks for the same few shifts' windows thousands of times.
    Keyed by the times, not the ShiftRule: each report loads its own (equal) ShiftRules,
    and comparing those field by field on every hit cost more than the window itself."""
    start = datetime.combine(day, start_at, tzinfo=tz)
    end = datetime.combine(day + DAY if end_at <= start_at else day, end_at, tzinfo=tz)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def work_date(when: datetime, tz: ZoneInfo, shift: ShiftRule | None) -> date:
    """The work day a punch at the instant ``when`` belongs to."""
    local = when.astimezone(tz).replace(tzinfo=None)
    if shift is None:
        return local.date()
    return (local - shift.day_boundary).date()


def whole_minutes(delta: timedelta) -> int:
    """Whole minutes of a span, rounded down (59 s is 0 min): HR counts started minutes late."""
    return math.floor(delta.total_seconds() / 60)


def late_minutes(when: datetime, day: date, tz: ZoneInfo, shift: ShiftRule) -> int:
    """Minutes late for a check-in at ``when``; 0 if within the grace."""
    start, _ = shift.window(day, tz)
    minutes = whole_minutes(when - start)
    return minutes if minutes > shift.grace_min else 0


def early_leave_minutes(when: datetime, day: date, tz: ZoneInfo, shift: ShiftRule) -> int:
    """Whole minutes before the shift end for a check-out at ``when``; 0 if not early."""
    _, end = shift.window(day, tz)
    return max(0, whole_minutes(end - when))
