"""Debounce (one badge held up is one scan) and cooldown (a repeat is not a second punch)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk.core.policies import Cooldown, Debouncer
from tests.helpers.clock import FakeClock


def test_same_text_in_consecutive_frames_is_one_scan():
    d = Debouncer(max_dropout=2)
    frames = [["A"], ["A"], ["A"], [], ["A"], [], [], ["A"], ["A"]]
    assert [d.feed(f) for f in frames] == [["A"], [], [], [], [], [], [], [], []]


def test_text_gone_longer_than_dropout_is_a_new_scan():
    d = Debouncer(max_dropout=2)
    frames = [["A"], [], [], [], ["A"]]
    assert [d.feed(f) for f in frames] == [["A"], [], [], [], ["A"]]
    assert d.in_view() == {"A"}


def test_two_codes_and_duplicates_in_one_frame():
    d = Debouncer(max_dropout=0)
    assert d.feed(["A", "B", "A"]) == ["A", "B"]
    assert d.feed(["B"]) == []
    assert d.feed(["A", "B"]) == ["A"]  # A left for one frame with no dropout allowed
    d.reset()
    assert d.feed(["B"]) == ["B"]


def test_debouncer_rejects_negative_dropout():
    with pytest.raises(ValueError):
        Debouncer(-1)


def test_cooldown_repeat_inside_window_only_after_mark():
    clock = FakeClock()
    c = Cooldown(60, clock)
    assert not c.is_repeat("b1") and c.last_seen("b1") is None
    # checking does not start the window: only a durably recorded punch does
    assert not c.is_repeat("b1")
    recorded_at = clock.now()
    c.mark("b1")
    clock.advance(59)
    assert c.is_repeat("b1")
    assert c.last_seen("b1") == recorded_at
    assert not c.is_repeat("b2")
    clock.advance(1)
    assert not c.is_repeat("b1") and c.last_seen("b1") is None


def test_cooldown_uses_monotonic_time_not_wall_clock():
    clock = FakeClock()
    c = Cooldown(60, clock)
    when = clock.now() - timedelta(seconds=5)
    c.mark("b1", when)
    assert c.last_seen("b1") == when  # the time shown is the one recorded
    clock._now += timedelta(hours=2)  # a wall-clock correction
    assert c.is_repeat("b1")


def test_cooldown_zero_window_never_repeats_and_forget():
    clock = FakeClock()
    assert not Cooldown(0, clock).is_repeat("x")
    c = Cooldown(30, clock)
    c.mark("x")
    c.forget("x")
    assert not c.is_repeat("x")
    with pytest.raises(ValueError):
        Cooldown(-1, clock)


def test_cooldown_memory_is_bounded():
    clock = FakeClock()
    c = Cooldown(60, clock, max_entries=10)
    for i in range(25):
        c.mark(f"b{i}")
        clock.advance(0.1)
    assert len(c._marks) <= 10
    assert c.is_repeat("b24")
