"""Pure attendance rules (no I/O, no database): shifts and work days, what a punch means,
day status, breaks, worked time and overtime, holidays and leave, make-up punches.

The storage layer loads the facts (punches, shifts, calendars, approved corrections) and
hands them in; everything here is a function of its arguments, so it is table-tested and
property-tested (tests/server/test_rules_*.py).
"""

from .calendar import HOLIDAY, LEAVE_KINDS, DayOff, Leave, days_off
from .day import (
    EPOCH_ORDINAL,
    HOUR_US,
    SPLIT,
    WITHOUT_PUNCH,
    DayFacts,
    DayRecord,
    DayStatus,
    MakeUp,
    Zone,
    day_facts,
    micros,
    micros_from_timestamp,
    summarize_days,
    utc_from_micros,
    window_us,
)
from .punch import Classification, PunchKind, classify, min_presence
from .shifts import (
    DAY,
    DEFAULT_MIN_PRESENCE_MIN,
    DEFAULT_OVERTIME_AFTER_MIN,
    WEEKDAYS,
    ShiftRule,
    early_leave_minutes,
    format_weekdays,
    late_minutes,
    parse_hhmm,
    parse_weekdays,
    whole_minutes,
    work_date,
)
from .summary import SUMMARY_FIELDS, Summary, summarize

__all__ = [
    "DAY", "DEFAULT_MIN_PRESENCE_MIN", "EPOCH_ORDINAL", "HOUR_US", "SPLIT", "DEFAULT_OVERTIME_AFTER_MIN", "HOLIDAY", "LEAVE_KINDS",
    "SUMMARY_FIELDS", "WEEKDAYS", "WITHOUT_PUNCH", "Classification", "DayFacts", "DayOff", "DayRecord",
    "DayStatus", "Leave", "MakeUp", "PunchKind", "ShiftRule", "Summary", "classify", "days_off",
    "Zone", "day_facts", "early_leave_minutes", "format_weekdays", "late_minutes", "micros", "micros_from_timestamp", "min_presence", "parse_hhmm",
    "parse_weekdays", "summarize", "summarize_days", "utc_from_micros", "whole_minutes", "window_us", "work_date",
]
