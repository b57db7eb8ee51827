"""Issue #14 item 5: a make-up punch (补卡) filed at the kiosk after a scan.

The real app (offscreen) against a real server on 127.0.0.1; only the clock is fake (no
camera: the scan comes from the wedge path). Scan, tap "Forgot a punch?", fill the touch
screen, confirm: the request is signed by the terminal and waits for approval in
``kiosk-server corrections list``. Offline: it waits on the terminal's disk and arrives
once when the server is back.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

from PySide6.QtCore import Qt

from server_stub.cli import main as server_cli
from tests.helpers.clock import FakeClock
from tests.helpers.ui import MONDAY_0912, card_text, kiosk_on_site


def _listed(srv) -> list[dict]:
    out = io.StringIO()
    with redirect_stdout(out):
        assert server_cli(["corrections", "list", "--json", "--data", str(srv.data_dir)]) == 0
    return json.loads(out.getvalue())


def _scan_and_file(qtbot, app, site, *, tap_minutes: int = 0):
    app.submit(site.tokens["alice"], "wedge", 0.0)
    button = app.window.card.correction_button
    qtbot.waitUntil(button.isVisible, timeout=10000)
    assert button.minimumHeight() >= 48
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    screen = app.window.correction_screen
    assert app.window.pages.currentWidget() is screen
    assert "Alice Example" in screen.title.text()  # the scanned employee only, no choice
    for _ in range(tap_minutes // 5):
        screen.press_stepper("m+")
    qtbot.mouseClick(screen.confirm, Qt.MouseButton.LeftButton)
    assert app.window.pages.currentWidget() is app.window.kiosk_page


def test_scan_tap_file_and_it_waits_for_approval(qtbot, tmp_path):
    clock = FakeClock(MONDAY_0912)
    with kiosk_on_site(qtbot, tmp_path, clock) as (srv, site, app):
        _scan_and_file(qtbot, app, site, tap_minutes=15)  # yesterday, check out, 17:15
        qtbot.waitUntil(lambda: "waiting for approval" in card_text(app), timeout=15000)
        (row,) = _listed(srv)
        assert (row["status"], row["employee_id"], row["direction"]) == \
            ("pending", "E1001", "check_out")
        assert (row["work_date"], row["local_time"]) == ("2026-11-01", "2026-11-01T17:15+00:00")  # yesterday
        assert row["reason"] == "Forgot to scan"
        assert row["requested_by"].startswith("terminal:")  # signed by the terminal
        assert not list((app.paths.data_dir / "corrections").glob("*.json"))  # sent, gone


def test_offline_request_waits_on_disk_and_arrives_once(qtbot, tmp_path):
    clock = FakeClock(MONDAY_0912)
    with kiosk_on_site(qtbot, tmp_path, clock) as (srv, site, app):
        srv.stop()
        _scan_and_file(qtbot, app, site)
        qtbot.waitUntil(lambda: "Request saved" in card_text(app), timeout=5000)
        queued = app.paths.data_dir / "corrections"
        qtbot.waitUntil(lambda: len(list(queued.glob("*.json"))) == 1, timeout=10000)
        srv.start()
        app.sync.wake()
        qtbot.waitUntil(lambda: not list(queued.glob("*.json")), timeout=20000)
        app.sync.wake()  # another pass sends nothing more
        qtbot.wait(500)
        (row,) = _listed(srv)  # exactly one, though sent after the outage
        assert (row["status"], row["employee_id"]) == ("pending", "E1001")
        qtbot.waitUntil(lambda: "waiting for approval" in card_text(app), timeout=5000)


def test_the_offer_can_be_switched_off(qtbot, tmp_path):
    clock = FakeClock(MONDAY_0912)
    with kiosk_on_site(qtbot, tmp_path, clock, corrections_offer_s=0) as (srv, site, app):
        app.submit(site.tokens["alice"], "wedge", 0.0)
        qtbot.waitUntil(lambda: "Alice Example" in card_text(app), timeout=10000)
        qtbot.wait(300)
        assert not app.window.card.correction_button.isVisible()


def test_a_refusal_is_shown_in_words(qtbot, tmp_path):
    """The same make-up punch twice: the server refuses the second (duplicate)."""
    clock = FakeClock(MONDAY_0912)
    with kiosk_on_site(qtbot, tmp_path, clock) as (srv, site, app):
        _scan_and_file(qtbot, app, site)
        qtbot.waitUntil(lambda: "waiting for approval" in card_text(app), timeout=15000)
        clock.advance(120)  # past the cooldown is not needed: "already recorded" offers too
        _scan_and_file(qtbot, app, site)
        qtbot.waitUntil(lambda: "Request not accepted" in card_text(app), timeout=15000)
        assert "requested already" in card_text(app)
        assert len(_listed(srv)) == 1


def test_a_form_left_alone_goes_back_to_the_kiosk(qtbot, tmp_path):
    clock = FakeClock(MONDAY_0912)
    with kiosk_on_site(qtbot, tmp_path, clock) as (srv, site, app):
        app.submit(site.tokens["alice"], "wedge", 0.0)
        qtbot.waitUntil(app.window.card.correction_button.isVisible, timeout=10000)
        app.window.correction_idle.setInterval(300)  # (60 s at the door)
        qtbot.mouseClick(app.window.card.correction_button, Qt.MouseButton.LeftButton)
        assert app.window.pages.currentWidget() is app.window.correction_screen
        qtbot.waitUntil(lambda: app.window.pages.currentWidget() is app.window.kiosk_page,
                        timeout=3000)
        assert _listed(srv) == []  # nothing filed
