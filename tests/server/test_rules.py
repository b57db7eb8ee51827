"""Attendance rules, table-driven (pure functions: no server, no database)."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from server_stub import rules
from server_stub.rules import DayStatus as S
from server_stub.rules import PunchKind as K

BERLIN = ZoneInfo("Europe/Berlin")
DAY = rules.ShiftRule("day", time(9), time(17), 5, rules.parse_weekdays("mon-fri"))
NIGHT = rules.ShiftRule("night", time(22), time(6), 10)
CLOSING = rules.ShiftRule("closing", time(9), time(17), 5, rules.parse_weekdays("mon-fri"),
                          auto_close=True)


def local(y: int, mo: int, d: int, h: int, mi: int, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=BERLIN).astimezone(timezone.utc)


MON = date(2026, 11, 2)


@pytest.mark.parametrize(
    ("case", "when", "shift", "check_in", "expect"),
    [
        # (work date, kind, late, early)
        ("early arrival", local(2026, 11, 2, 8, 40), DAY, None, (MON, K.CHECK_IN, 0, 0)),
        ("exactly on time", local(2026, 11, 2, 9, 0), DAY, None, (MON, K.CHECK_IN, 0, 0)),
        ("grace edge, last on-time second", local(2026, 11, 2, 9, 5, 59), DAY, None,
         (MON, K.CHECK_IN, 0, 0)),
        ("first late minute", local(2026, 11, 2, 9, 6), DAY, None, (MON, K.CHECK_IN, 6, 0)),
        ("late 37 min", local(2026, 11, 2, 9, 37, 30), DAY, None, (MON, K.CHECK_IN, 37, 0)),
        ("a second scan 7 min later is a repeat, not an early leave",
         local(2026, 11, 2, 9, 4, 16), DAY, local(2026, 11, 2, 8, 57, 35), (MON, K.REPEAT, 0, 0)),
        ("29:59 after the check-in: still a repeat", local(2026, 11, 2, 9, 29, 59), DAY,
         local(2026, 11, 2, 9, 0), (MON, K.REPEAT, 0, 0)),
        ("30:00 after the check-in: a check-out", local(2026, 11, 2, 9, 30), DAY,
         local(2026, 11, 2, 9, 0), (MON, K.CHECK_OUT, 0, 450)),
        ("check-out on time", local(2026, 11, 2, 17, 2), DAY, local(2026, 11, 2, 9, 0),
         (MON, K.CHECK_OUT, 0, 0)),
        ("early leave", local(2026, 11, 2, 16, 30), DAY, local(2026, 11, 2, 9, 0),
         (MON, K.CHECK_OUT, 0, 30)),
        ("a later check-in is no check-in: out of order upload", local(2026, 11, 2, 8, 50), DAY,
         local(2026, 11, 2, 9, 0), (MON, K.CHECK_IN, 0, 0)),
        ("late-evening check-out stays on the day", local(2026, 11, 3, 0, 59), DAY,
         local(2026, 11, 2, 9, 0), (MON, K.CHECK_OUT, 0, 0)),
        ("day boundary 01:00 starts the next day", local(2026, 11, 3, 1, 0), DAY, None,
         (date(2026, 11, 3), K.CHECK_IN, 0, 0)),
        ("saturday: nobody is late on a day off", local(2026, 11, 7, 11, 0), DAY, None,
         (date(2026, 11, 7), K.CHECK_IN, 0, 0)),
        ("night check-in late beyond grace", local(2026, 11, 2, 22, 15), NIGHT, None,
         (MON, K.CHECK_IN, 15, 0)),
        ("night check-in inside grace", local(2026, 11, 2, 22, 10), NIGHT, None,
         (MON, K.CHECK_IN, 0, 0)),
        ("night check-out after midnight belongs to the start day", local(2026, 11, 3, 5, 30),
         NIGHT, local(2026, 11, 2, 22, 0), (MON, K.CHECK_OUT, 0, 30)),
        ("night shift across DST end (25 Oct, 9 h shift)", local(2026, 10, 25, 5, 30), NIGHT,
         local(2026, 10, 24, 22, 0), (date(2026, 10, 24), K.CHECK_OUT, 0, 30)),
        ("no shift: calendar day, never late", local(2026, 11, 2, 11, 0), None, None,
         (MON, K.CHECK_IN, 0, 0)),
        ("no shift: repeat within the default 30 min", local(2026, 11, 2, 11, 10), None,
         local(2026, 11, 2, 11, 0), (MON, K.REPEAT, 0, 0)),
        ("no shift: never early", local(2026, 11, 2, 12, 0), None, local(2026, 11, 2, 11, 0),
         (MON, K.CHECK_OUT, 0, 0)),
    ],
)
def test_classify(case, when, shift, check_in, expect):
    c = rules.classify(when, BERLIN, shift, check_in)
    assert (c.work_date, c.kind, c.late_min, c.early_leave_min) == expect, case
    assert c.checked_in_at == (None if c.kind is K.CHECK_IN else check_in)


NOW = local(2026, 11, 6, 12, 0)  # Friday noon
P = local


@pytest.mark.parametrize(
    ("case", "punches", "shift", "now", "expect"),
    [
        # (status, late, early, worked, break, overtime, punches, repeats, unpaired)
        ("present, a lunch break", [P(2026, 11, 2, 9, 7), P(2026, 11, 2, 12, 0),
                                    P(2026, 11, 2, 12, 45), P(2026, 11, 2, 16, 50)], DAY, NOW,
         (S.PRESENT, 7, 10, 418, 45, 0, 4, 0, 0)),
        ("a repeat right after the check-in is ignored", [P(2026, 11, 2, 8, 57, 35),
                                                           P(2026, 11, 2, 9, 4, 16),
                                                           P(2026, 11, 2, 17, 0)], DAY, NOW,
         (S.PRESENT, 0, 0, 482, 0, 0, 3, 1, 0)),
        ("only a check-in and a repeat: missing check-out", [P(2026, 11, 2, 8, 57, 35),
                                                              P(2026, 11, 2, 9, 4, 16)], DAY, NOW,
         (S.MISSING_CHECK_OUT, 0, 0, 0, 0, 0, 2, 1, 0)),
        ("unpaired punch between in and out is flagged", [P(2026, 11, 2, 9, 0),
                                                          P(2026, 11, 2, 12, 0),
                                                          P(2026, 11, 2, 17, 0)], DAY, NOW,
         (S.PRESENT, 0, 0, 480, 0, 0, 3, 0, 1)),
        ("overtime beyond the 30 min threshold", [P(2026, 11, 2, 8, 30), P(2026, 11, 2, 18, 0)],
         DAY, NOW, (S.PRESENT, 0, 0, 570, 0, 90, 2, 0, 0)),
        ("29 min beyond the shift is not overtime", [P(2026, 11, 2, 9, 0), P(2026, 11, 2, 17, 29)],
         DAY, NOW, (S.PRESENT, 0, 0, 509, 0, 0, 2, 0, 0)),
        ("saturday work is all overtime, never late", [P(2026, 11, 7, 10, 0), P(2026, 11, 7, 14, 0)],
         DAY, local(2026, 11, 9, 12, 0), (S.PRESENT, 0, 0, 240, 0, 240, 2, 0, 0)),
        ("missing check-out", [P(2026, 11, 3, 8, 59)], DAY, NOW,
         (S.MISSING_CHECK_OUT, 0, 0, 0, 0, 0, 1, 0, 0)),
        ("auto-closed at shift end", [P(2026, 11, 3, 8, 59)], CLOSING, NOW,
         (S.AUTO_CLOSED, 0, 0, 481, 0, 0, 1, 0, 0)),
        ("open: today, shift not over", [P(2026, 11, 6, 9, 2)], DAY, NOW,
         (S.OPEN, 0, 0, 0, 0, 0, 1, 0, 0)),
        ("auto-close waits for the shift end", [P(2026, 11, 6, 9, 2)], CLOSING, NOW,
         (S.OPEN, 0, 0, 0, 0, 0, 1, 0, 0)),
        ("night shift: two punches one work day", [P(2026, 11, 4, 22, 30), P(2026, 11, 5, 6, 5)],
         NIGHT, NOW, (S.PRESENT, 30, 0, 455, 0, 0, 2, 0, 0)),
        ("night shift over DST end: 9 h planned, 9 h worked, no overtime",
         [P(2026, 10, 24, 22, 0), P(2026, 10, 25, 6, 0)], NIGHT, NOW,
         (S.PRESENT, 0, 0, 540, 0, 0, 2, 0, 0)),
        ("night shift over DST start: 7 h planned", [P(2026, 3, 28, 22, 0), P(2026, 3, 29, 7, 0)],
         NIGHT, NOW, (S.PRESENT, 0, 0, 480, 0, 60, 2, 0, 0)),
        ("no shift: present, never late, no overtime", [P(2026, 11, 4, 10, 0), P(2026, 11, 4, 20, 0)],
         None, NOW, (S.PRESENT, 0, 0, 600, 0, 0, 2, 0, 0)),
    ],
)
def test_day_with_punches(case, punches, shift, now, expect):
    day = rules.work_date(punches[0], BERLIN, shift)
    (d,) = rules.summarize_days(punches, BERLIN, shift, day, day, now)
    assert (d.status, d.late_min, d.early_leave_min, d.worked_min, d.break_min, d.overtime_min,
            d.punches, d.repeats, d.unpaired) == expect, case
    assert d.check_in == min(punches)


@pytest.mark.parametrize(
    ("case", "now", "off", "expect"),
    [
        ("before start + grace: expected", local(2026, 11, 2, 9, 5, 59), None, S.EXPECTED),
        ("inside the grace at 09:04 is never absent", local(2026, 11, 2, 9, 4), None, S.EXPECTED),
        ("past the grace: not in", local(2026, 11, 2, 9, 6), None, S.NOT_IN),
        ("shift over: absent", local(2026, 11, 2, 17, 0), None, S.ABSENT),
        ("a holiday is never absent", local(2026, 11, 3, 12, 0),
         rules.DayOff(rules.HOLIDAY, "Founders' day"), S.HOLIDAY),
        ("leave is never absent", local(2026, 11, 3, 12, 0), rules.DayOff("sick", ""), S.LEAVE),
    ],
)
def test_day_without_punches(case, now, off, expect):
    (d,) = rules.summarize_days([], BERLIN, DAY, MON, MON, now, off={MON: off} if off else None)
    assert d.status is expect, case
    assert d.day_off == off


def test_holiday_wins_over_leave():
    off = rules.days_off({date(2026, 11, 3): "Holiday"},
                         [rules.Leave(date(2026, 11, 2), date(2026, 11, 4), "annual")],
                         date(2026, 11, 1), date(2026, 11, 3))
    assert {d: o.kind for d, o in off.items()} == {
        date(2026, 11, 2): "annual", date(2026, 11, 3): rules.HOLIDAY}


def test_make_up_check_out_closes_a_forgotten_day():
    """An approved make-up check-out at 17:00 turns a missing check-out into a present day,
    marked with who approved it; it is never a repeat."""
    approved = local(2026, 11, 4, 10, 0)
    mk = rules.MakeUp(local(2026, 11, 3, 17, 0), date(2026, 11, 3), K.CHECK_OUT, "admin:hr",
                      approved)
    (d,) = rules.summarize_days([local(2026, 11, 3, 9, 0)], BERLIN, DAY, date(2026, 11, 3),
                                date(2026, 11, 3), NOW, makeups=[mk])
    assert (d.status, d.worked_min, d.punches, d.corrections) == (S.PRESENT, 480, 1, (mk,))
    early = rules.MakeUp(local(2026, 11, 3, 9, 10), date(2026, 11, 3), K.CHECK_OUT, "a", approved)
    (d,) = rules.summarize_days([local(2026, 11, 3, 9, 0)], BERLIN, DAY, date(2026, 11, 3),
                                date(2026, 11, 3), NOW, makeups=[early])
    assert (d.status, d.repeats, d.check_out) == (S.PRESENT, 0, early.at)


def test_week_follows_weekdays_and_now():
    """Mon-Fri shift, week Mon 2 .. Sun 8, now Friday 09:03: Sat/Sun get no record, Friday is
    expected (inside the grace)."""
    got = rules.summarize_days([local(2026, 11, 2, 9, 0), local(2026, 11, 2, 17, 0)], BERLIN,
                               DAY, date(2026, 11, 2), date(2026, 11, 8), local(2026, 11, 6, 9, 3))
    assert [(d.work_date.day, d.status) for d in got] == [
        (2, S.PRESENT), (3, S.ABSENT), (4, S.ABSENT), (5, S.ABSENT), (6, S.EXPECTED)]
    hired = rules.summarize_days([], BERLIN, DAY, date(2026, 11, 2), date(2026, 11, 6), NOW,
                                 absent_from=date(2026, 11, 5))
    assert [(d.work_date.day, d.status) for d in hired] == [(5, S.ABSENT), (6, S.NOT_IN)]


def test_summary_counts():
    days = rules.summarize_days(
        [local(2026, 11, 2, 9, 10), local(2026, 11, 2, 18, 0), local(2026, 11, 3, 9, 0)],
        BERLIN, DAY, date(2026, 11, 2), date(2026, 11, 6), local(2026, 11, 7, 12, 0),
        off={date(2026, 11, 5): rules.DayOff(rules.HOLIDAY, "H"),
             date(2026, 11, 6): rules.DayOff("annual", "")})
    s = rules.summarize(days)
    assert (s.days_present, s.late_count, s.late_min, s.absent_days, s.missing_check_out,
            s.holiday_days, s.leave_days, s.worked_min, s.overtime_min) == (
        2, 1, 10, 1, 1, 1, 1, 530, 50)


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
