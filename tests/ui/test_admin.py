"""The IT side: PIN lockout with a moving clock, the status panel, diagnostics, shutdown."""

from __future__ import annotations

import logging
import threading
import zipfile

from PySide6.QtCore import QPoint, Qt

from kiosk.core.pin import PinLock, hash_pin
from kiosk.services.log_buffer import LogBuffer
from kiosk.services.memory_secrets import MemorySecretStore
from kiosk.services.pin_check import PinCheck
from kiosk.services.status import Status, StatusModel
from kiosk.ui.main_window import KioskWindow
from tests.helpers.clock import FakeClock
from tests.helpers.live_server import live_server
from tests.helpers.ui import MONDAY_0850, enrolled_config, running_kiosk, seed_site

FAST = dict(n=2**4)  # cheap scrypt for tests; the format is the same


def _window(qtbot, pin_hash, clock):
    status = StatusModel(Status(terminal_id="t1", terminal_name="Door", site="HQ"))
    buffer = LogBuffer()  # the real handler the app attaches, fed by a real logger
    logger = logging.getLogger("kiosk.test.admin")
    logger.addHandler(buffer)
    logger.warning("line one")
    logger.warning("line two")
    logger.removeHandler(buffer)
    win = KioskWindow(clock=clock, status=status, pin_check=PinCheck(PinLock(pin_hash, clock)),
                      log_lines=buffer.lines, kiosk_mode=False)
    qtbot.addWidget(win)
    with qtbot.waitActive(win):
        win.show()
        win.activateWindow()
    return win, status


def _type_pin(qtbot, win, pin):
    """Type and submit; the check runs off the GUI thread: wait for its answer."""
    qtbot.keyClicks(win.pin_pad.entry, pin)
    qtbot.keyClick(win.pin_pad.entry, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not win.pin_pad.busy, timeout=5000)


def test_pin_pad_lockout_in_the_window(qtbot):
    clock = FakeClock()
    win, _ = _window(qtbot, hash_pin("2468", **FAST), clock)
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.AltModifier)
    assert win.pages.currentWidget() is win.pin_pad
    for _ in range(5):
        _type_pin(qtbot, win, "1111")
    assert "locked for 5 min" in win.pin_pad.message.text()
    _type_pin(qtbot, win, "2468")
    assert win.pages.currentWidget() is win.pin_pad  # still locked
    clock.advance(301)
    _type_pin(qtbot, win, "2468")
    assert win.pages.currentWidget() is win.status_panel
    assert "line two" in win.status_panel.log_view.toPlainText()
    win.kiosk_mode = True
    win.status_panel.leave_button.click()
    assert win.kiosk_mode is False and not win.isFullScreen()
    win.status_panel.close_button.click()
    assert win.pages.currentWidget() is win.kiosk_page


def test_long_press_on_a_corner_opens_the_pin_pad(qtbot):
    win, _ = _window(qtbot, hash_pin("2468", **FAST), FakeClock())
    win.resize(800, 600)
    win._long_press.setInterval(50)  # the 3 s press, shortened
    qtbot.mousePress(win.preview, Qt.MouseButton.LeftButton, pos=win.preview.rect().center())
    qtbot.wait(120)
    assert win.pages.currentWidget() is win.kiosk_page  # the middle does nothing
    qtbot.mouseRelease(win.preview, Qt.MouseButton.LeftButton)
    qtbot.mousePress(win.header, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    qtbot.waitUntil(lambda: win.pages.currentWidget() is win.pin_pad, timeout=2000)


def test_no_pin_configured_keeps_the_panel_shut(qtbot):
    win, _ = _window(qtbot, "", FakeClock())
    win.open_admin()
    _type_pin(qtbot, win, "")
    assert win.pages.currentWidget() is win.pin_pad
    assert "No admin PIN" in win.pin_pad.message.text()


def test_status_panel_follows_pending_and_exports_diagnostics(qtbot, tmp_path):
    clock = FakeClock(MONDAY_0850)
    store = MemorySecretStore()
    with live_server(tmp_path, clock=clock) as srv:
        site = seed_site(srv.admin)
        config, paths = enrolled_config(srv.url, site.code, tmp_path / "kiosk", store,
                                        admin_pin_hash=hash_pin("2468", **FAST))
        (paths.log_dir / "kiosk.log").write_text("an old log line\n")
        with running_kiosk(qtbot, config, paths, store, clock) as app:
            win = app.window
            win.open_admin()
            _type_pin(qtbot, win, "2468")
            panel = win.status_panel
            assert panel.isVisible()
            assert panel.fields["terminal"].text() == f"Front door ({config.terminal.id})"
            srv.stop()
            for i, who in enumerate(("alice", "wang")):
                app.submit(site.tokens[who], "wedge", 0.0)
                qtbot.waitUntil(lambda i=i: panel.fields["pending"].text() == str(i + 1),
                                timeout=10000)
            qtbot.waitUntil(lambda: panel.fields["connection"].text() == "unreachable",
                            timeout=10000)
            assert panel.fields["oldest"].text() != "–"
            srv.start()
            panel.sync_button.click()
            qtbot.waitUntil(lambda: panel.fields["pending"].text() == "0", timeout=15000)
            # the sync loop says "reachable" once its pass ends (after the verdicts)
            qtbot.waitUntil(lambda: panel.fields["connection"].text().startswith("reachable"),
                            timeout=10000)

            panel.diag_button.click()
            qtbot.waitUntil(lambda: "Diagnostics saved to" in panel.action_result.text(),
                            timeout=10000)
            zip_path = panel.action_result.text().split("Diagnostics saved to ", 1)[1]
            with zipfile.ZipFile(zip_path) as zf:
                names = set(zf.namelist())
                blob = b"".join(zf.read(n) for n in names)
            assert {"config.toml", "status.json", "about.json", "logs/kiosk.log"} <= names
            assert store.get(config.terminal.id).encode() not in blob  # no secret
            assert b"scrypt$" not in blob  # not even the PIN hash
            assert site.tokens["alice"].encode() not in blob  # no badge text


def test_clean_shutdown_leaves_no_thread(qtbot, tmp_path):
    clock = FakeClock(MONDAY_0850)
    store = MemorySecretStore()
    before = set(threading.enumerate())
    with live_server(tmp_path, clock=clock) as srv:
        site = seed_site(srv.admin)
        config, paths = enrolled_config(srv.url, site.code, tmp_path / "kiosk", store)
        with running_kiosk(qtbot, config, paths, store, clock) as app:
            app.submit(site.tokens["alice"], "wedge", 0.0)
            done = []
            app.finished.connect(lambda: done.append(True))
            app.window.close()  # the close path runs the staged shutdown, off the GUI thread
            qtbot.waitUntil(lambda: done == [True], timeout=30000)
            assert app.recorder.threads() == [] and app.sync.threads() == []
            left = [t.name for t in set(threading.enumerate()) - before
                    if t.name.startswith(("kiosk-", "scan-worker"))]
            assert not left
        # the queued scan was finished before the recorder stopped: it is on disk
        from kiosk.store import Outbox
        with Outbox(paths.outbox_file, clock) as ob:
            assert ob.stats().last_seq == 1


def test_an_exception_in_a_slot_is_logged_not_fatal(qtbot, caplog):
    import sys

    from PySide6.QtCore import QObject, Signal

    from kiosk.services.process import install_excepthook

    class Emitter(QObject):
        fired = Signal()

    def broken_slot():
        raise RuntimeError("boom in a slot")

    saved = sys.excepthook, threading.excepthook
    try:
        install_excepthook(dump_hangs=False)
        emitter = Emitter()
        emitter.fired.connect(broken_slot)
        with caplog.at_level("CRITICAL", logger="kiosk.process"):
            emitter.fired.emit()
            t = threading.Thread(target=broken_slot, name="kiosk-test-thread")
            t.start()
            t.join()
    finally:
        sys.excepthook, threading.excepthook = saved
    messages = [r.getMessage() for r in caplog.records]
    assert "unhandled exception" in messages
    assert "unhandled exception in thread kiosk-test-thread" in messages


def test_kiosk_mode_ignores_close_events_until_left_from_the_panel(qtbot):
    """Alt+F4 and a window manager's close arrive as a QCloseEvent: in kiosk mode nothing
    closes; once IT left kiosk mode from the panel, the same event closes the window."""
    from PySide6.QtGui import QCloseEvent
    from PySide6.QtWidgets import QApplication

    win, _ = _window(qtbot, hash_pin("2468", **FAST), FakeClock())
    win.kiosk_mode = True
    closing = []
    win.close_requested.connect(lambda: closing.append(True))
    event = QCloseEvent()
    QApplication.sendEvent(win, event)
    assert not event.isAccepted() and win.isVisible() and closing == []
    win.close()  # a stray programmatic close is refused too
    assert win.isVisible() and closing == []
    win.status_panel.leave_button.click()
    event = QCloseEvent()
    QApplication.sendEvent(win, event)
    assert event.isAccepted() and closing == [True]


def test_status_panel_times_are_the_sites_like_the_header(qtbot):
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from kiosk.services.recorder_service import StorageSnapshot

    clock = FakeClock(datetime(2026, 11, 2, 7, 58, tzinfo=timezone.utc))
    win, status = _window(qtbot, hash_pin("2468", **FAST), clock)
    status.update_storage(StorageSnapshot(
        sent=1, last_sync=datetime(2026, 11, 2, 7, 57, 10, tzinfo=timezone.utc)))
    win.set_timezone(ZoneInfo("Asia/Shanghai"))  # UTC+8, whatever the machine's zone
    assert win.status_panel.fields["last_sync"].text() == "2026-11-02 15:57:10 CST"  # the zone named
    assert win.header.clock_label.text() == "15:58:00"


def test_the_next_pin_is_taken_as_soon_as_the_answer_arrives(qtbot):
    """The pad takes the next PIN the moment it shows an answer; the checking thread may
    not have ended yet then (seen under load: the right PIN after a wrong one was dropped)."""
    check = PinCheck(PinLock(hash_pin("2468", **FAST), FakeClock()))
    taken: list[bool] = []
    # Direct: the slot runs in the checking thread, before that thread can end.
    check.answered.connect(lambda _a: taken.append(check.check("2468")) if not taken else None,
                           Qt.ConnectionType.DirectConnection)
    assert check.check("1111")
    qtbot.waitUntil(lambda: len(taken) == 1 and not check.busy, timeout=5000)
    assert taken == [True]
