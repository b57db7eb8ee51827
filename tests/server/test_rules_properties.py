"""Properties of the attendance rules over arbitrary punches, shifts and calendars (hypothesis).

Punch times span both daylight-saving changes of 2026 (29 Mar, 25 Oct in Europe; 8 Mar,
1 Nov in New York); shifts start at any quarter hour and last 4-12 h, so many cross
midnight (night shifts). Input order is shuffled: uploads arrive late and out of order.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from server_stub import rules
from server_stub.rules import DayStatus as S

STARTS = [datetime(2026, 3, 5, tzinfo=timezone.utc), datetime(2026, 10, 20, tzinfo=timezone.utc)]
ZONES = [ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")]
SPAN_DAYS = 30

shifts = st.builds(
    lambda sh, sm, dur, grace, presence, ot, close, days: rules.ShiftRule(
        "s", time(sh, sm), (datetime(2000, 1, 1, sh, sm) + timedelta(minutes=dur)).time(), grace,
        days, presence, ot, close),
    st.integers(0, 23), st.sampled_from([0, 15, 30, 45]), st.integers(4 * 60, 12 * 60),
    st.integers(0, 30), st.integers(0, 60), st.integers(0, 60), st.booleans(),
    st.frozensets(st.integers(0, 6), min_size=1),
)


@st.composite
def punch_sets(draw: st.DrawFn) -> tuple[datetime, list[datetime]]:
    start = draw(st.sampled_from(STARTS))
    secs = draw(st.lists(st.integers(0, SPAN_DAYS * 86400), max_size=30))
    # Bursts: a second scan 0-40 min after another one (repeats and short breaks).
    follow = draw(st.lists(st.integers(1, 2400), min_size=len(secs), max_size=len(secs)))
    burst = draw(st.lists(st.booleans(), min_size=len(secs), max_size=len(secs)))
    secs += [s + f for s, f, b in zip(secs, follow, burst) if b]
    return start, [start + timedelta(seconds=s) for s in sorted(set(secs))]


offs = st.dictionaries(
    st.integers(0, SPAN_DAYS), st.sampled_from([rules.DayOff(rules.HOLIDAY, "H"),
                                                rules.DayOff("sick", "")]), max_size=6)


@settings(max_examples=200, deadline=None, database=None)
@given(data=punch_sets(), shift=st.one_of(st.none(), shifts), tz=st.sampled_from(ZONES),
       off_days=offs, order=st.randoms(use_true_random=False))
def test_day_records_are_consistent(data, shift, tz, off_days, order):
    start, punches = data
    d_from = start.date() + timedelta(days=1)
    d_to = d_from + timedelta(days=SPAN_DAYS - 3)
    now = start + timedelta(days=SPAN_DAYS + 2)
    off = {d_from + timedelta(days=k): v for k, v in off_days.items()}
    days = rules.summarize_days(punches, tz, shift, d_from, d_to, now, off=off)
    shuffled = list(punches)
    order.shuffle(shuffled)
    assert rules.summarize_days(shuffled, tz, shift, d_from, d_to, now, off=off) == days
    inside = [p for p in punches if d_from <= rules.work_date(p, tz, shift) <= d_to]
    assert sum(d.punches for d in days) == len(inside)  # every punch counted exactly once
    assert [d.work_date for d in days] == sorted({d.work_date for d in days})
    for d in days:
        mine = sorted(p for p in inside if rules.work_date(p, tz, shift) == d.work_date)
        if not mine:
            assert shift is not None and d.status in rules.WITHOUT_PUNCH
            assert d.status is not S.ABSENT or d.work_date not in off  # never absent when off
            continue
        assert d.check_in == mine[0]
        presence = rules.min_presence(shift)
        assert d.repeats == sum(1 for p in mine[1:] if p - mine[0] < presence)
        counted = len(mine) - d.repeats
        assert d.unpaired == (max(counted - 2, 0) % 2)
        if counted == 1:
            assert d.status in (S.MISSING_CHECK_OUT, S.AUTO_CLOSED)
            assert d.status is S.AUTO_CLOSED or d.worked_min == 0
        else:
            assert d.status is S.PRESENT and d.check_out == mine[-1]
            span = rules.whole_minutes(mine[-1] - mine[0])
            assert 0 <= d.break_min and 0 <= d.worked_min and d.worked_min + d.break_min <= span + 1
        assert 0 <= d.overtime_min <= d.worked_min
        if shift is None or d.work_date in off or not shift.works_on(d.work_date):
            assert d.late_min == d.early_leave_min == 0
        else:
            assert d.late_min == 0 or d.late_min > shift.grace_min


@settings(max_examples=200, deadline=None, database=None)
@given(data=punch_sets(), shift=shifts, tz=st.sampled_from(ZONES))
def test_a_punch_belongs_to_the_nearest_shift(data, shift, tz):
    """The work day's shift window is the nearest one: never more than half the off-duty
    gap (plus a DST hour) away from the punch."""
    for when in data[1][:5]:
        day = rules.work_date(when, tz, shift)
        start, end = shift.window(day, tz)
        slack = (timedelta(days=1) - shift.duration) / 2 + timedelta(hours=1)
        assert start - slack <= when <= end + slack
        here = when.astimezone(tz).date()
        assert day in (here, here - timedelta(days=1), here + timedelta(days=1))


@settings(max_examples=200, deadline=None, database=None)
@given(data=punch_sets(), shift=st.one_of(st.none(), shifts), tz=st.sampled_from(ZONES),
       order=st.randoms(use_true_random=False))
def test_live_verdicts_agree_with_the_report_once_all_punches_are_in(data, shift, tz, order):
    """Punches arrive in any order; each upload is classified against the earliest punch of
    its day seen so far (as the server does). The last check-in given for a day is the
    report's check-in, and a punch the report counts as a repeat was never a check-out
    when it arrived after its check-in."""
    punches = list(data[1])
    order.shuffle(punches)
    first: dict[date, datetime] = {}
    kinds: dict[datetime, rules.PunchKind] = {}
    for p in punches:
        c = rules.classify(p, tz, shift, first.get(rules.work_date(p, tz, shift)))
        if c.check_in:
            first[c.work_date] = p
        kinds[p] = c.kind
    lo, hi = data[0].date() - timedelta(days=2), data[0].date() + timedelta(days=SPAN_DAYS + 2)
    now = data[0] + timedelta(days=SPAN_DAYS + 5)
    for d in rules.summarize_days(punches, tz, shift, lo, hi, now):
        if d.check_in is not None:
            assert first[d.work_date] == d.check_in
            assert kinds[d.check_in] is rules.PunchKind.CHECK_IN


makeup_offsets = st.lists(st.tuples(st.integers(0, SPAN_DAYS * 86400),
                                    st.sampled_from(list(rules.PunchKind))), max_size=4)


@settings(max_examples=300, deadline=None, database=None)
@given(data=punch_sets(), shift=st.one_of(st.none(), shifts), tz=st.sampled_from(ZONES),
       off_days=offs, made=makeup_offsets, now_s=st.integers(0, (SPAN_DAYS + 3) * 86400),
       hired=st.integers(0, SPAN_DAYS),
       edges=st.lists(st.tuples(st.integers(2, SPAN_DAYS - 3), st.booleans(),
                                st.integers(-70, 70)), max_size=12))
def test_the_fast_rules_agree_with_the_plain_reference(data, shift, tz, off_days, made, now_s,
                                                       hired, edges):
    """summarize_days is written for speed; tests/server/rules_reference.py is the plain
    version it replaced. Both give the same records for any punches, make-up punches,
    days off, hiring day and moment (so expected / not in / open days occur too)."""
    from tests.server import rules_reference

    start, punches = data
    d_from = start.date() + timedelta(days=1)
    d_to = d_from + timedelta(days=SPAN_DAYS - 3)
    now = start + timedelta(seconds=now_s)
    if shift is not None:  # whole minutes around shift start and end: the grace's edges
        for day, at_end, minutes in edges:
            w = shift.window(start.date() + timedelta(days=day), tz)[at_end]
            punches = [*punches, w + timedelta(minutes=minutes)]
    off = {d_from + timedelta(days=k): v for k, v in off_days.items()}
    makeups = [rules.MakeUp(start + timedelta(seconds=s), rules.work_date(
        start + timedelta(seconds=s), tz, shift), kind, "admin:hr", start, k)
        for k, (s, kind) in enumerate(made)]
    args = (tz, shift, d_from, d_to, now, d_from + timedelta(days=hired))
    assert rules.summarize_days(list(punches), *args, makeups=makeups, off=off) == \
        rules_reference.summarize_days(list(punches), *args, makeups=makeups, off=off)
