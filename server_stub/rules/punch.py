"""What one punch means at the moment it is uploaded: check-in, repeat or check-out.

The first punch of a work day is the check-in. A punch within the shift's minimum presence
after it is a *repeat* (someone scanned twice), never a check-out: the card says "Already
checked in at 08:53". Any later punch is, for now, the check-out; the report decides later
which of several punches were a break and its return (:mod:`.day`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from .shifts import (
    DEFAULT_MIN_PRESENCE_MIN,
    ShiftRule,
    early_leave_minutes,
    late_minutes,
    work_date,
)


class PunchKind(str, enum.Enum):
    CHECK_IN = "check_in"
    REPEAT = "repeat"
    CHECK_OUT = "check_out"


@dataclass(frozen=True)
class Classification:
    """What one punch means, as the verdict tells the kiosk."""

    work_date: date
    kind: PunchKind
    late_min: int = 0
    early_leave_min: int = 0
    checked_in_at: datetime | None = None  # the day's check-in, for a repeat or check-out

    @property
    def check_in(self) -> bool:
        return self.kind is PunchKind.CHECK_IN


def min_presence(shift: ShiftRule | None) -> timedelta:
    return _minutes(shift.min_presence_min if shift else DEFAULT_MIN_PRESENCE_MIN)


@lru_cache(maxsize=256)
def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def classify(
    when: datetime, tz: ZoneInfo, shift: ShiftRule | None, check_in_at: datetime | None
) -> Classification:
    """Classify a punch given the day's check-in so far (None: this punch is the first).

    ``check_in_at`` must be an earlier punch of the same work day (the caller looks it up).
    On a day the shift does not work (a weekend) nobody is late or leaves early.
    """
    day = work_date(when, tz, shift)
    scheduled = shift is not None and shift.works_on(day)
    if check_in_at is None or check_in_at > when:
        late = late_minutes(when, day, tz, shift) if shift and scheduled else 0
        return Classification(day, PunchKind.CHECK_IN, late_min=late)
    if when - check_in_at < min_presence(shift):
        return Classification(day, PunchKind.REPEAT, checked_in_at=check_in_at)
    early = early_leave_minutes(when, day, tz, shift) if shift and scheduled else 0
    return Classification(day, PunchKind.CHECK_OUT, early_leave_min=early, checked_in_at=check_in_at)
