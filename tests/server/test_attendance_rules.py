"""Attendance rules, table-driven (pure functions: no server, no database)."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from server_stub import attendance as rules

BERLIN = ZoneInfo("Europe/Berlin")
DAY = rules.ShiftRule("day", time(9), time(17), 5, rules.parse_weekdays("mon-fri"))
NIGHT = rules.ShiftRule("night", time(22), time(6), 10)


def local(y: int, mo: int, d: int, h: int, mi: int, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=BERLIN).astimezone(timezone.utc)


@pytest.mark.parametrize(
    ("case", "when", "shift", "earlier", "expect"),
    [
        # (work date, check-in?, late, early)
        ("early arrival", local(2026, 11, 2, 8, 40), DAY, False, (date(2026, 11, 2), True, 0, 0)),
        ("exactly on time", local(2026, 11, 2, 9, 0), DAY, False, (date(2026, 11, 2), True, 0, 0)),
        ("grace edge, last on-time second", local(2026, 11, 2, 9, 5, 59), DAY, False,
         (date(2026, 11, 2), True, 0, 0)),
        ("first late minute", local(2026, 11, 2, 9, 6), DAY, False, (date(2026, 11, 2), True, 6, 0)),
        ("late 37 min", local(2026, 11, 2, 9, 37, 30), DAY, False, (date(2026, 11, 2), True, 37, 0)),
        ("check-out on time", local(2026, 11, 2, 17, 2), DAY, True, (date(2026, 11, 2), False, 0, 0)),
        ("early leave", local(2026, 11, 2, 16, 30), DAY, True, (date(2026, 11, 2), False, 0, 30)),
        ("late-evening check-out stays on the day", local(2026, 11, 3, 0, 59), DAY, True,
         (date(2026, 11, 2), False, 0, 0)),
        ("day boundary 01:00 starts the next day", local(2026, 11, 3, 1, 0), DAY, False,
         (date(2026, 11, 3), True, 0, 0)),
        ("night check-in on time", local(2026, 11, 2, 21, 55), NIGHT, False,
         (date(2026, 11, 2), True, 0, 0)),
        ("night check-in late beyond grace", local(2026, 11, 2, 22, 15), NIGHT, False,
         (date(2026, 11, 2), True, 15, 0)),
        ("night check-in inside grace", local(2026, 11, 2, 22, 10), NIGHT, False,
         (date(2026, 11, 2), True, 0, 0)),
        ("night check-out after midnight belongs to the start day", local(2026, 11, 3, 5, 30),
         NIGHT, True, (date(2026, 11, 2), False, 0, 30)),
        ("night check-out on time", local(2026, 11, 3, 6, 1), NIGHT, True,
         (date(2026, 11, 2), False, 0, 0)),
        ("night shift across DST end (25 Oct, 9 h shift)", local(2026, 10, 25, 5, 30), NIGHT, True,
         (date(2026, 10, 24), False, 0, 30)),
        ("no shift: calendar day, never late", local(2026, 11, 2, 11, 0), None, False,
         (date(2026, 11, 2), True, 0, 0)),
        ("no shift: never early", local(2026, 11, 2, 12, 0), None, True,
         (date(2026, 11, 2), False, 0, 0)),
    ],
)
def test_classify(case, when, shift, earlier, expect):
    c = rules.classify(when, BERLIN, shift, earlier_on_day=earlier)
    assert (c.work_date, c.check_in, c.late_min, c.early_leave_min) == expect, case


NOW = local(2026, 11, 6, 12, 0)  # Friday noon


@pytest.mark.parametrize(
    ("case", "punches", "shift", "now", "absent_from", "expect"),
    [
        ("present: first in, last out", [local(2026, 11, 2, 9, 7), local(2026, 11, 2, 12, 0),
                                         local(2026, 11, 2, 16, 50)], DAY, NOW, None,
         [("2026-11-02", rules.PRESENT, 7, 10, 3)]),
        ("missing check-out", [local(2026, 11, 3, 8, 59)], DAY, NOW, None,
         [("2026-11-03", rules.MISSING_CHECK_OUT, 0, 0, 1)]),
        ("open: today, shift not over", [local(2026, 11, 6, 9, 2)], DAY, NOW, None,
         [("2026-11-06", rules.OPEN, 0, 0, 1)]),
        ("absent on a work day", [], DAY, NOW, None, [("2026-11-04", rules.ABSENT, 0, 0, 0)]),
        ("not absent before hiring", [], DAY, NOW, date(2026, 11, 5), []),
        ("night shift: two punches one work day", [local(2026, 11, 4, 22, 30),
                                                    local(2026, 11, 5, 6, 5)], NIGHT, NOW, None,
         [("2026-11-04", rules.PRESENT, 30, 0, 2)]),
        ("no shift: present, never absent", [local(2026, 11, 4, 10, 0), local(2026, 11, 4, 15, 0)],
         None, NOW, None, [("2026-11-04", rules.PRESENT, 0, 0, 2)]),
    ],
)
def test_summarize_one_day(case, punches, shift, now, absent_from, expect):
    day = date.fromisoformat(expect[0][0]) if expect else date(2026, 11, 4)
    got = rules.summarize_days(punches, BERLIN, shift, day, day, now, absent_from)
    assert [(d.work_date.isoformat(), d.status, d.late_min, d.early_leave_min, d.punches)
            for d in got] == expect, case


def test_week_absences_follow_weekdays_and_now():
    """Mon-Fri shift, week Mon 2 .. Sun 8, now Friday noon: Sat/Sun never absent, Fri is
    absent once its shift has started, no record for the future."""
    got = rules.summarize_days([local(2026, 11, 2, 9, 0), local(2026, 11, 2, 17, 0)], BERLIN,
                               DAY, date(2026, 11, 2), date(2026, 11, 8), NOW)
    assert [(d.work_date.day, d.status) for d in got] == [
        (2, rules.PRESENT), (3, rules.ABSENT), (4, rules.ABSENT), (5, rules.ABSENT),
        (6, rules.ABSENT),
    ]
    early = rules.summarize_days([], BERLIN, DAY, date(2026, 11, 6), date(2026, 11, 6),
                                 local(2026, 11, 6, 8, 0))
    assert early == []


@pytest.mark.parametrize(
    ("text", "days"),
    [("mon-fri", {0, 1, 2, 3, 4}), ("all", set(range(7))), ("sat,sun", {5, 6}),
     ("fri-mon", {4, 5, 6, 0})],
)
def test_weekdays(text, days):
    assert rules.parse_weekdays(text) == days


@pytest.mark.parametrize("bad", ["25:00", "9", "nine", "09:0"])
def test_bad_times_refused(bad):
    with pytest.raises(ValueError):
        rules.parse_hhmm(bad)
