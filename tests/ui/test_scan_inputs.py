"""Both scan inputs into the real kiosk: the synthetic camera and a keyboard-wedge scanner."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from kiosk.services.memory_secrets import MemorySecretStore
from tests.helpers.clock import FakeClock
from tests.helpers.live_server import live_server
from tests.helpers.ui import MONDAY_0850, card_text, enrolled_config, running_kiosk, seed_site


def _type(widget, text: str, start_ms: int, gap_ms: int, enter: bool = True) -> int:
    """Key presses/releases with explicit event timestamps (no real waiting needed)."""
    t = start_ms
    keys = [(ord(c.upper()) if c.isalpha() else ord(c), c) for c in text]
    if enter:
        keys.append((Qt.Key.Key_Return, "\r"))
    for key, ch in keys:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            ev = QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch)
            ev.setTimestamp(t)
            QApplication.sendEvent(widget, ev)
        t += gap_ms
    return t


@pytest.fixture
def kiosk_env(tmp_path):
    clock = FakeClock(MONDAY_0850)
    store = MemorySecretStore()
    with live_server(tmp_path, clock=clock) as srv:
        site = seed_site(srv.admin)
        config, paths = enrolled_config(srv.url, site.code, tmp_path / "kiosk", store)
        yield clock, store, srv, site, config, paths


def test_synthetic_camera_badge_updates_the_card(qtbot, kiosk_env):
    clock, store, srv, site, config, paths = kiosk_env
    with running_kiosk(qtbot, config, paths, store, clock, camera="synthetic",
                       tokens=[site.tokens["alice"]]) as app:
        qtbot.waitUntil(lambda: "Checked in – on time" in card_text(app), timeout=20000)
        assert "Alice Example" in card_text(app)
        assert app.window.preview.frames_shown > 0
        assert app.status.status.camera_state == "ok"
        # the status panel's "Test camera": a fresh worker, frames flow again
        old_worker, shown = app.camera.worker, app.window.preview.frames_shown
        app.window.status_panel.camera_button.click()  # returns at once: joined off the GUI
        qtbot.waitUntil(lambda: app.camera.worker not in (None, old_worker)
                        and app.camera.worker.running, timeout=10000)
        assert not old_worker.running
        qtbot.waitUntil(lambda: app.window.preview.frames_shown > shown + 3, timeout=10000)
        assert "Camera restarted" in app.window.status_panel.action_result.text()
    punches = srv.admin.export_punches()
    assert len(punches) == 1 and punches[0]["source"] == "camera"


def test_wedge_burst_records_but_typing_by_hand_does_not(qtbot, kiosk_env):
    clock, store, srv, site, config, paths = kiosk_env
    with running_kiosk(qtbot, config, paths, store, clock) as app:
        target = app.window.kiosk_page
        # a person typing the same characters, 180 ms apart: never a scan
        _type(target, site.tokens["wang"][:20], 10_000, 180)
        qtbot.wait(300)
        assert app.counts["scans"] == 0
        # the scanner: the whole badge, 3 ms per character, then Enter
        _type(target, site.tokens["alice"], 50_000, 3)
        qtbot.waitUntil(lambda: "Checked in – on time" in card_text(app), timeout=10000)
        assert app.counts["scans"] == 1 and app.counts["recorded"] == 1
    punches = srv.admin.export_punches()
    assert len(punches) == 1 and punches[0]["source"] == "wedge"


def test_status_panel_says_why_the_camera_is_not_working(qtbot, kiosk_env):
    """IT reads the camera source's own sentence (which device, and why not), not only a
    state word: here a camera number with no device behind it, read through V4L2."""
    import sys
    from pathlib import Path

    from kiosk.scan.v4l2_capture import v4l2_unavailable

    if not sys.platform.startswith("linux") or v4l2_unavailable():
        pytest.skip("the V4L2 camera backend runs on Linux with linuxpy")
    index = next(i for i in range(63, 0, -1) if not Path(f"/dev/video{i}").exists())
    clock, store, srv, site, config, paths = kiosk_env
    with running_kiosk(qtbot, config, paths, store, clock, camera=str(index)) as app:
        field = app.window.status_panel.fields["camera"]
        want = f"Camera {index}: no camera at /dev/video{index} (is it plugged in?); retrying"
        qtbot.waitUntil(lambda: want in field.text(), timeout=10000)
        assert field.text().startswith("reconnecting")
        assert app.status.status.camera_detail.startswith(want)
        # the wedge scanner still records while the camera is away
        app.submit(site.tokens["alice"], "wedge", 0.0)
        qtbot.waitUntil(lambda: "Alice Example" in card_text(app), timeout=10000)
