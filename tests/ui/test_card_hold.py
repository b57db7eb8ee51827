"""Issue #16: the card holds while the badge that produced it is still in front of the
camera, clears a moment after it leaves (at the latest after ``[ui] card_hold_max_s``),
and the badge held up is one scan. Only the camera (a synthetic one whose badge a test
holds up and takes away) and the clock are fake; the server is real, on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from kiosk.app import KioskApp, KioskOptions
from kiosk.scan.frame_source import FrameSource
from kiosk.scan.synthetic import render_frame
from kiosk.services.memory_secrets import MemorySecretStore
from kiosk.ui.card import LEAVE_LINGER_MS
from tests.helpers.clock import FakeClock
from tests.helpers.live_server import live_server
from tests.helpers.stalls import StallMeter
from tests.helpers.ui import MONDAY_0850, card_text, enrolled_config, seed_site

FRAME_S = 0.05  # 20 frames per second, like a camera (and no busy loop)


class HandSource(FrameSource):
    """A synthetic camera in front of which a test holds a badge up (``held``) or not."""

    def __init__(self, token: str) -> None:
        self._badge = render_frame(token)
        self._blank = render_frame(None)
        self.held = threading.Event()
        self._closed = threading.Event()
        self.state, self.state_detail = "ok", "Test camera."

    def read(self) -> np.ndarray | None:
        if self._closed.wait(FRAME_S):
            return None
        return self._badge if self.held.is_set() else self._blank

    def close(self) -> None:
        self._closed.set()


@contextmanager
def kiosk_with_hand(qtbot, tmp_path, **ui) -> Iterator[tuple[KioskApp, HandSource]]:
    clock = FakeClock(MONDAY_0850)
    store = MemorySecretStore()
    with live_server(tmp_path, clock=clock) as srv:
        site = seed_site(srv.admin)
        hand = HandSource(site.tokens["alice"])
        config, paths = enrolled_config(srv.url, site.code, tmp_path / "kiosk", store, **ui)
        app = KioskApp(config, paths, store,
                       KioskOptions(fullscreen=False, camera="", sounds=False, preview_fps=10,
                                    source_factory=lambda: hand),
                       clock=clock, keyring_label=store.description)
        try:
            app.start()
            qtbot.addWidget(app.window)
            qtbot.waitUntil(lambda: app._roster.roster is not None, timeout=10000)
            yield app, hand
        finally:
            app.shutdown()
            app.wait_stopped()


def _stays(qtbot, app, seconds: float) -> None:
    """The card is not idle at any moment of ``seconds`` (polled while the loop runs)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        assert not app.window.card.is_idle(), "the card cleared while the badge was held up"
        qtbot.wait(50)


def test_card_stays_while_badge_held_and_clears_after_it_left(qtbot, tmp_path):
    with kiosk_with_hand(qtbot, tmp_path, card_seconds=0.5, card_hold_max_s=20) as (app, hand):
        meter = StallMeter()
        meter.start(app.window)
        hand.held.set()
        qtbot.waitUntil(lambda: "Alice Example" in card_text(app), timeout=15000)
        assert app.window.card.held
        _stays(qtbot, app, 2.0)  # four times card_seconds: still there
        assert app.counts["scans"] == 1  # held up all along: one scan, not a second
        left = time.monotonic()
        hand.held.clear()
        qtbot.waitUntil(app.window.card.is_idle, timeout=5000)
        took = time.monotonic() - left
        assert took >= LEAVE_LINGER_MS / 1000 * 0.8  # a moment after, not at once
        assert app.counts["scans"] == 1
        meter.stop()
        assert meter.ticks > 20, "the event loop did not run"
        assert meter.longest_ms <= 250, meter.worst()


def test_badge_left_on_the_glass_holds_the_card_only_so_long(qtbot, tmp_path):
    with kiosk_with_hand(qtbot, tmp_path, card_seconds=0.5, card_hold_max_s=2) as (app, hand):
        hand.held.set()
        qtbot.waitUntil(lambda: "Alice Example" in card_text(app), timeout=15000)
        shown = time.monotonic()
        qtbot.waitUntil(app.window.card.is_idle, timeout=6000)
        assert time.monotonic() - shown >= 1.5  # the upper bound, not card_seconds
        qtbot.wait(500)
        assert app.counts["scans"] == 1 and app.window.card.is_idle()  # still held: no rescan


def test_wedge_scan_keeps_the_fixed_timeout(qtbot, tmp_path):
    with kiosk_with_hand(qtbot, tmp_path, card_seconds=0.5, card_hold_max_s=20) as (app, hand):
        hand.held.set()  # a badge in front of the camera does not hold a wedge scan's card
        qtbot.waitUntil(lambda: "Alice Example" in card_text(app), timeout=15000)
        hand.held.clear()
        qtbot.waitUntil(app.window.card.is_idle, timeout=5000)
        hand.held.set()
        qtbot.wait(300)
        app.submit("https://example.com/not-a-badge", "wedge", 0.0)
        qtbot.waitUntil(lambda: "Not a badge" in card_text(app), timeout=10000)
        assert not app.window.card.held
        qtbot.waitUntil(app.window.card.is_idle, timeout=3000)
