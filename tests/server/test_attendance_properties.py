"""Properties of the attendance rules over arbitrary punches and shifts (hypothesis)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from server_stub import attendance as rules

START = datetime(2026, 10, 20, tzinfo=timezone.utc)  # spans the 25 Oct DST change
ZONES = [ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")]

shifts = st.builds(
    lambda sh, sm, dur, grace: rules.ShiftRule(
        "s", time(sh, sm), (datetime(2000, 1, 1, sh, sm) + timedelta(minutes=dur)).time(), grace),
    st.integers(0, 23), st.sampled_from([0, 15, 30, 45]), st.integers(4 * 60, 12 * 60),
    st.integers(0, 30),
)
punch_times = st.lists(
    st.integers(0, 14 * 86400).map(lambda s: START + timedelta(seconds=s)), max_size=40)


@settings(max_examples=150, deadline=None, database=None)
@given(punches=punch_times, shift=st.one_of(st.none(), shifts), tz=st.sampled_from(ZONES))
def test_every_punch_is_counted_once_and_first_last_are_right(punches, shift, tz):
    d_from, d_to = date(2026, 10, 21), date(2026, 11, 1)
    now = START + timedelta(days=30)
    days = rules.summarize_days(punches, tz, shift, d_from, d_to, now)
    inside = [p for p in punches if d_from <= rules.work_date(p, tz, shift) <= d_to]
    assert sum(d.punches for d in days) == len(inside)
    assert len({d.work_date for d in days}) == len(days)
    for d in days:
        mine = sorted(p for p in inside if rules.work_date(p, tz, shift) == d.work_date)
        if not mine:
            assert d.status == rules.ABSENT and shift is not None
            continue
        assert d.check_in == mine[0]
        assert d.check_out == (mine[-1] if len(mine) > 1 else None)
        assert d.status == (rules.PRESENT if len(mine) > 1 else rules.MISSING_CHECK_OUT)
        if shift is None:
            assert d.late_min == d.early_leave_min == 0
        else:
            assert d.late_min == 0 or d.late_min > shift.grace_min


@settings(max_examples=200, deadline=None, database=None)
@given(when=punch_times.filter(bool).map(lambda ps: ps[0]), shift=shifts,
       tz=st.sampled_from(ZONES))
def test_a_punch_belongs_to_the_nearest_shift(when, shift, tz):
    """The work day's shift window is the nearest one: never more than half the off-duty
    gap (plus a DST hour) away from the punch."""
    day = rules.work_date(when, tz, shift)
    start, end = shift.window(day, tz)
    gap = timedelta(days=1) - shift.duration
    slack = gap / 2 + timedelta(hours=1)
    assert start - slack <= when <= end + slack
    assert day in (when.astimezone(tz).date(), when.astimezone(tz).date() - timedelta(days=1),
                   when.astimezone(tz).date() + timedelta(days=1))
