"""The status panel's scanner and camera checks: what arrived and how, on the real kiosk."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from kiosk.scan.burst import BurstDetector
from kiosk.scan.camera_check import CameraCheck, CameraMeter, focus_measure, thumbnail_gray
from kiosk.scan.decoder import ScanPipeline
from kiosk.scan.synthetic import Perturb, render_frame
from kiosk.services.memory_secrets import MemorySecretStore
from kiosk.services.status import Status, StatusModel
from kiosk.ui.status_panel import StatusPanel
from tests.core.test_layouts import typed_on
from tests.helpers.clock import FakeClock
from tests.helpers.hid import scanner_strokes
from tests.helpers.live_server import live_server
from tests.helpers.ui import MONDAY_0850, enrolled_config, running_kiosk, seed_site


def _feed(det: BurstDetector, text: str, start: float, step: float) -> float:
    ts = start
    for ch in text:
        det.key(ch, ts)
        ts += step
    return ts


def test_the_last_burst_says_timing_enter_and_doubling():
    det = BurstDetector(30, 8)
    _feed(det, "ABCDEFGHIJ\r", 0, 4)
    info = det.last_burst
    assert (info.text, info.median_gap_ms, info.enter, info.doubled) == ("ABCDEFGHIJ", 4.0, True, False)
    _feed(det, "ABCDEFGHIJ\r", 60, 4)  # the scanner's second output
    assert det.last_burst.doubled and det.doubled == 1
    ts = _feed(det, "KLMNOPQRST", 5000, 6)
    det.flush()
    assert det.last_burst.text == "KLMNOPQRST" and not det.last_burst.enter and det.last_burst.max_gap_ms == 6
    del ts


def test_focus_and_brightness_and_read_rate(token):
    sharp = render_frame(token, perturb=Perturb(scale=0.5), seed=1)
    soft = render_frame(token, perturb=Perturb(scale=0.5, blur=3.0), seed=1)
    assert focus_measure(thumbnail_gray(sharp)) > 2 * focus_measure(thumbnail_gray(soft))
    meter, pipe = CameraMeter(window=10, sample_every=1), ScanPipeline()
    for frame in [sharp] * 3 + [render_frame(None, seed=2)] * 2:
        found = pipe.decode(frame)
        meter.feed(frame, pipe.last_pass > 0, bool(found))
    check = meter.check(12.0)
    assert (check.frames, check.located, check.read, check.read_rate) == (5, 3, 3, 1.0)
    assert 30 < check.brightness < 230 and check.fps == 12.0
    assert CameraMeter().check(0).read_rate is None


def test_the_panel_shows_the_camera_check(qtbot):
    model = StatusModel(Status())
    panel = StatusPanel(model, lambda n: [])
    qtbot.addWidget(panel)
    model.update_camera_check(CameraCheck(fps=15, brightness=128, focus=321, frames=100, located=40, read=38))
    assert "focus 321, brightness 128, read 95% of 40 frames with a code" in panel.fields["camera"].text()
    model.update_camera_check(CameraCheck(fps=15, brightness=20, focus=3, frames=100))
    assert "no code in the last 100 frames" in panel.fields["camera"].text()


def test_scan_a_test_code_on_the_running_kiosk(qtbot, tmp_path):
    clock = FakeClock(MONDAY_0850)
    store = MemorySecretStore()
    with live_server(tmp_path, clock=clock) as srv:
        site = seed_site(srv.admin)
        config, paths = enrolled_config(srv.url, site.code, tmp_path / "kiosk", store)
        with running_kiosk(qtbot, config, paths, store, clock) as app:
            panel = app.window.status_panel
            panel.scanner_button.click()
            assert "Scan a code with the scanner now" in panel.action_result.text()
            target = app.window
            token = site.tokens["alice"]
            for stroke in scanner_strokes(typed_on("qwertz", token) + "\r", "de", "x11"):
                QApplication.sendEvent(target, stroke.event())
            qtbot.waitUntil(lambda: "Arrived:" in panel.action_result.text(), timeout=5000)
            text = panel.action_result.text()
            assert "a badge (b" in text and token not in text  # named by its id, never shown
            assert "Enter at the end: yes" in text and "doubled output: no" in text
            assert "German (QWERTZ)" in text
            assert app.counts["scans"] == 0  # a test is not a punch
            # a URL, typed twice by a scanner with two outputs, without Enter
            panel.scanner_button.click()
            url = "https://example.com/menu"
            for stroke in scanner_strokes(url + url, "us", "x11", start_ms=30_000):
                QApplication.sendEvent(target, stroke.event())
            qtbot.waitUntil(lambda: "doubled output: yes" in panel.action_result.text(), timeout=5000)
            assert url in panel.action_result.text() and "Enter at the end: no" in panel.action_result.text()
            # the next scan is a scan again
            for stroke in scanner_strokes(token + "\r", "us", "x11", start_ms=60_000):
                QApplication.sendEvent(target, stroke.event())
            qtbot.waitUntil(lambda: app.counts["scans"] == 1, timeout=5000)
