"""Holidays and leave: days an employee is not expected at work, so never absent.

Pure lookups over data the storage layer loaded: a site's holiday calendar and an
employee's leave periods become one ``{date: DayOff}`` map that :mod:`.day` consults.
A holiday wins over leave on the same day (a holiday does not use up leave).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

HOLIDAY = "holiday"
LEAVE_KINDS = ("annual", "sick", "unpaid", "parental", "training", "other")


@dataclass(frozen=True)
class DayOff:
    """Why a day is off: ``kind`` is "holiday" or a leave kind; ``name`` is for people."""

    kind: str
    name: str

    @property
    def holiday(self) -> bool:
        return self.kind == HOLIDAY

    @property
    def label(self) -> str:
        return self.name if self.holiday else (f"{self.kind}: {self.name}" if self.name else self.kind)


@dataclass(frozen=True)
class Leave:
    """One leave period, both ends included."""

    date_from: date
    date_to: date
    kind: str
    note: str = ""


def days_off(
    holidays: Mapping[date, str], leaves: Iterable[Leave], date_from: date, date_to: date
) -> dict[date, DayOff]:
    """The days off in [date_from, date_to]: the site's holidays, then the employee's leave."""
    out: dict[date, DayOff] = {}
    for lv in leaves:
        day = max(lv.date_from, date_from)
        while day <= min(lv.date_to, date_to):
            out[day] = DayOff(lv.kind, lv.note)
            day += timedelta(days=1)
    for day, name in holidays.items():
        if date_from <= day <= date_to:
            out[day] = DayOff(HOLIDAY, name)
    return out
