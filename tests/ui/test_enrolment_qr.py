"""Enrolment without a keyboard: the enrolment QR read by the camera or typed by a wedge
scanner (through a layout mix-up); the status panel tells IT about a scanner's layout."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from kiosk.app import KioskApp, KioskOptions
from kiosk.core.config import Config
from kiosk.core.paths import default_paths
from kiosk.core.protocol.enrolment import enrolment_text
from kiosk.services.memory_secrets import MemorySecretStore
from kiosk.services.status import Status, StatusModel
from kiosk.ui.status_panel import StatusPanel
from server_stub.badge_print import enrolment_png
from tests.core.test_layouts import typed_on
from tests.helpers.clock import FakeClock
from tests.helpers.hid import scanner_strokes
from tests.helpers.live_server import live_server
from tests.helpers.ui import MONDAY_0850, seed_site


def _unenrolled_app(tmp_path: Path, camera: str, clock: FakeClock) -> tuple[KioskApp, MemorySecretStore]:
    store = MemorySecretStore()
    config = Config()
    config.ui.sounds = False
    paths = default_paths(tmp_path / "kiosk").ensure()
    return KioskApp(config, paths, store, KioskOptions(fullscreen=False, camera=camera), clock=clock), store


def test_the_camera_reads_the_enrolment_qr_and_the_terminal_enrols(qtbot, tmp_path):
    clock = FakeClock(MONDAY_0850)
    with live_server(tmp_path, clock=clock) as srv:
        site = seed_site(srv.admin)
        shots = tmp_path / "shots"
        shots.mkdir()
        (shots / "enrol.png").write_bytes(enrolment_png(enrolment_text(srv.url, site.code), "Door (HQ)"))
        app, store = _unenrolled_app(tmp_path, str(shots), clock)
        try:
            app.start()  # (the screen is not given to qtbot: the app deletes it once enrolled)
            assert app.camera is not None  # reading for the enrolment screen
            worker = app.camera.worker
            qtbot.waitUntil(lambda: app.window is not None, timeout=20000)
            qtbot.addWidget(app.window)
            assert app.config.enrolled and store.get(app.config.terminal.id)
            assert app.config.server.urls[0].rstrip("/") == srv.url.rstrip("/")
            # the kiosk took the running camera over (no second open, no join on the GUI
            # thread), and the status panel knows its state though it was reported earlier
            assert app.camera.worker is worker and worker.running
            qtbot.waitUntil(lambda: app.status.status.camera_state == "ok", timeout=5000)
        finally:
            app.shutdown()
            app.wait_stopped()


def test_a_wedge_scanner_on_a_german_terminal_enrols_it(qtbot, tmp_path):
    clock = FakeClock(MONDAY_0850)
    with live_server(tmp_path, clock=clock) as srv:
        site = seed_site(srv.admin)
        app, store = _unenrolled_app(tmp_path, "", clock)
        try:
            app.start()
            screen = app.enroll_screen
            typed = typed_on("qwertz", enrolment_text(srv.url, site.code))
            for stroke in scanner_strokes(typed + "\r", "de", "x11"):
                QApplication.sendEvent(screen.code, stroke.event())
            qtbot.waitUntil(lambda: app.window is not None, timeout=20000)
            qtbot.addWidget(app.window)
            assert app.config.enrolled and store.get(app.config.terminal.id)
        finally:
            app.shutdown()
            app.wait_stopped()


def test_a_scanned_badge_on_the_enrolment_screen_says_what_it_is(qtbot, tmp_path, token):
    app, _ = _unenrolled_app(tmp_path, "", FakeClock(MONDAY_0850))
    try:
        app.start()
        screen = app.enroll_screen
        qtbot.addWidget(screen)
        screen.read_scan(token)
        assert "not an enrolment code" in screen.message.text() and screen.button.isEnabled()
        screen.read_scan(enrolment_text("https://x.example", "ABCD-EFGH")[:-3] + "AAA")
        assert "not read completely" in screen.message.text()
        assert screen.code.text() == ""  # nothing filled in from a damaged read
    finally:
        app.shutdown()
        app.wait_stopped()


def test_the_status_panel_names_the_scanners_layout(qtbot):
    model = StatusModel(Status())
    panel = StatusPanel(model, lambda n: [])
    qtbot.addWidget(panel)
    assert panel.fields["scanner"].text() == "no layout problem seen"
    model.update_scanner_layout("qwertz+caps_lock")
    text = panel.fields["scanner"].text()
    assert "German (QWERTZ)" in text and "program the scanner" in text and "Caps Lock" in text
    model.update_scanner_layout(None)  # a later clean scan does not hide it
    assert "German" in panel.fields["scanner"].text()
