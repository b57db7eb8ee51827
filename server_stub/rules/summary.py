"""The monthly summary per employee HR signs off: counts and minutes from the day records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

from .day import DayFacts, DayRecord, DayStatus

_CHECKED_IN = frozenset({DayStatus.PRESENT, DayStatus.OPEN, DayStatus.MISSING_CHECK_OUT,
                         DayStatus.AUTO_CLOSED})


@dataclass
class Summary:
    """Totals over one employee's day records (of any range, usually a month)."""

    days_present: int = 0
    late_count: int = 0
    late_min: int = 0
    early_leave_count: int = 0
    early_leave_min: int = 0
    absent_days: int = 0
    missing_check_out: int = 0
    auto_closed: int = 0
    worked_min: int = 0
    break_min: int = 0
    overtime_min: int = 0
    leave_days: int = 0
    holiday_days: int = 0
    corrections: int = 0
    unpaired: int = 0

    def add(self, d: DayRecord | DayFacts) -> None:
        if d.status in _CHECKED_IN:
            self.days_present += 1
        self.late_count += d.late_min > 0
        self.late_min += d.late_min
        self.early_leave_count += d.early_leave_min > 0
        self.early_leave_min += d.early_leave_min
        self.absent_days += d.status is DayStatus.ABSENT
        self.missing_check_out += d.status is DayStatus.MISSING_CHECK_OUT
        self.auto_closed += d.status is DayStatus.AUTO_CLOSED
        self.worked_min += d.worked_min
        self.break_min += d.break_min
        self.overtime_min += d.overtime_min
        self.leave_days += d.status is DayStatus.LEAVE
        self.holiday_days += d.status is DayStatus.HOLIDAY
        self.corrections += len(d.corrections)
        self.unpaired += d.unpaired


SUMMARY_FIELDS = tuple(f.name for f in fields(Summary))


def summarize(days: Iterable[DayRecord | DayFacts]) -> Summary:
    s = Summary()
    for d in days:
        s.add(d)
    return s
