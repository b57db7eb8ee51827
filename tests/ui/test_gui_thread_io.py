"""Nothing that waits on disk or network runs on the GUI thread once the kiosk is up.

A Python audit hook (``sys.addaudithook``) sees every file open, SQLite connect and socket
connect in the process; while a test arms it, it records those made on the main (GUI)
thread. The kiosk then does real work: scans, verdicts, the status panel, sync now.
"""

from __future__ import annotations

import sys
import threading

from kiosk.services.memory_secrets import MemorySecretStore
from tests.helpers.clock import FakeClock
from tests.helpers.live_server import live_server
from tests.helpers.ui import (
    MONDAY_0850,
    card_text,
    enrolled_config,
    kiosk_on_site,
    running_kiosk,
    seed_site,
)

WATCHED = ("open", "sqlite3.connect", "socket.connect", "os.listdir", "os.scandir",
           "shutil.copyfile", "os.rename", "os.remove")
_armed: list[list[str]] = []
_MAIN = threading.main_thread().ident


def _hook(event: str, args: tuple) -> None:
    # get_ident() takes no lock (current_thread() may, inside threading's own bookkeeping)
    if _armed and event in WATCHED and threading.get_ident() == _MAIN:
        _armed[-1].append(f"{event} {args[:1]!r}")


sys.addaudithook(_hook)  # hooks cannot be removed: this one does nothing unless armed


class gui_thread_io:
    def __enter__(self) -> list[str]:
        self.seen: list[str] = []
        _armed.append(self.seen)
        return self.seen

    def __exit__(self, *exc: object) -> None:
        _armed.remove(self.seen)


def test_the_hook_sees_an_open_on_the_gui_thread(tmp_path):
    with gui_thread_io() as seen:
        (tmp_path / "x").write_text("x")
    assert any(s.startswith("open") for s in seen)


def test_outbox_is_opened_off_the_gui_thread_and_a_corrupt_one_is_reported(qtbot, tmp_path):
    clock = FakeClock(MONDAY_0850)
    store = MemorySecretStore()
    with live_server(tmp_path, clock=clock) as srv:
        site = seed_site(srv.admin)
        config, paths = enrolled_config(srv.url, site.code, tmp_path / "kiosk", store)
        paths.outbox_file.write_bytes(b"this is not a sqlite file" * 200)
        with gui_thread_io() as seen:
            with running_kiosk(qtbot, config, paths, store, clock) as app:
                panel = app.window.status_panel
                qtbot.waitUntil(lambda: "corrupt" in panel.fields["problem"].text(),
                                timeout=10000)
                app.submit(site.tokens["alice"], "wedge", 0.0)
                qtbot.waitUntil(lambda: "Checked in" in card_text(app), timeout=10000)
                assert "corrupt" in panel.fields["problem"].text()  # stays after new stats
        outbox_opens = [s for s in seen
                        if s.startswith("sqlite3.connect") or paths.outbox_file.name in s]
        assert outbox_opens == []


def test_no_disk_or_network_on_the_gui_thread_while_running(qtbot, tmp_path):
    from kiosk.core.pin import hash_pin

    clock = FakeClock(MONDAY_0850)
    with kiosk_on_site(qtbot, tmp_path, clock,
                       admin_pin_hash=hash_pin("2468", n=2 ** 4)) as (_srv, site, app):
        win = app.window
        with gui_thread_io() as seen:
            app.submit(site.tokens["alice"], "wedge", 0.0)
            qtbot.waitUntil(lambda: "Checked in" in card_text(app), timeout=10000)
            win._open_status()
            win.status_panel.sync_button.click()
            win.status_panel.diag_button.click()
            qtbot.waitUntil(lambda: "Diagnostics saved" in
                            win.status_panel.action_result.text(), timeout=10000)
            app.recorder.request_stats()
            qtbot.waitUntil(lambda: app.status.status.sent == 1, timeout=10000)
            win.show_kiosk()
            qtbot.wait(300)
        assert seen == []
