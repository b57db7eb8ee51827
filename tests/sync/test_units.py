"""Pure pieces of the sync engine: clock offset, backoff, Retry-After, the wake-up."""

from __future__ import annotations

import random
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from kiosk.core.clock import SystemClock
from kiosk.store import Outbox
from kiosk.sync.client import parse_retry_after
from kiosk.sync.clock_offset import ClockOffset
from kiosk.sync.engine import SyncEngine, backoff_delay
from tests.helpers.clock import FakeClock
from tests.sync.conftest import Terminal, fill

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)


def test_offset_uses_the_midpoint_of_the_round_trip() -> None:
    clock = FakeClock(NOW)
    est = ClockOffset(clock)
    assert (est.offset_s, est.known) == (0.0, False)
    # sent at 08:00:00, answered after 2 s; the server stamped 08:10:01 -> midpoint 08:00:01
    est.observe(NOW, 2.0, NOW + timedelta(minutes=10, seconds=1))
    assert est.offset_s == pytest.approx(600.0)
    assert est.server_now() == NOW + timedelta(seconds=600)
    est.observe(NOW, 0.0, NOW + timedelta(seconds=601))  # small jitter is smoothed
    assert 600.0 < est.offset_s < 601.0
    est.observe(NOW, 0.0, NOW - timedelta(seconds=30))  # a stepped clock is taken at once
    assert est.offset_s == pytest.approx(-30.0)


def test_date_header_only_until_a_precise_sample() -> None:
    clock = FakeClock(NOW)
    est = ClockOffset(clock)
    est.observe_date_header(NOW, 0.0, format_datetime(NOW + timedelta(seconds=300), usegmt=True))
    assert est.known and est.offset_s == pytest.approx(300.5)
    est.observe(NOW, 0.0, NOW + timedelta(seconds=299.2))
    est.observe_date_header(NOW, 0.0, format_datetime(NOW, usegmt=True))
    assert est.offset_s == pytest.approx(299.2)
    est.observe_date_header(NOW, 0.0, "garbage")  # ignored, no exception


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    rng = random.Random(5)
    for attempt, ceiling in [(0, 1.0), (1, 2.0), (3, 8.0), (20, 30.0)]:
        samples = [backoff_delay(attempt, 1.0, 30.0, rng) for _ in range(300)]
        assert all(0.0 <= s <= ceiling for s in samples)
        assert max(samples) > 0.8 * ceiling and min(samples) < 0.2 * ceiling  # full jitter


def test_retry_after_both_forms() -> None:
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after(format_datetime(NOW + timedelta(seconds=90), usegmt=True),
                             NOW) == pytest.approx(90.0)
    assert parse_retry_after(format_datetime(NOW - timedelta(seconds=90), usegmt=True),
                             NOW) == 0.0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_wake_drains_at_once_without_waiting_for_the_timer(server, terminal: Terminal) -> None:
    cfg = terminal.tune(interval_s=120.0)
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
    stop = threading.Event()
    worker = threading.Thread(target=engine.run, args=(stop,))
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while engine.state().last_sync is None and engine.state().server_url is None \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        fill(box, terminal, 3)
        engine.wake()
        while box.stats().pending and time.monotonic() < deadline:
            time.sleep(0.02)
        assert box.stats().pending == 0  # long before the 120 s timer
    finally:
        stop.set()
        worker.join(10)
    assert not worker.is_alive()
    box.close()


def test_online_follows_the_last_answer(server, terminal: Terminal) -> None:
    cfg = terminal.tune(heartbeat_s=0.001)
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
    assert not engine.state().online
    engine.sync_once()
    assert engine.state().online
    server.stop()
    time.sleep(0.01)
    engine.sync_once()  # nothing pending; the heartbeat finds the server gone
    assert not engine.state().online
    server.start()
    time.sleep(0.01)
    engine.sync_once()
    assert engine.state().online
    box.close()
