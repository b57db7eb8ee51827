"""Real screenshots of the running kiosk, for the README and docs/ui.md.

    Xvfb :99 -screen 0 1280x800x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python scripts/screenshots.py

Runs the real app (embedded server_stub with the demo data, real outbox, the synthetic
camera holding up badges) once per language and grabs the window at the moments that
matter: a punch checked in, a refused badge, a punch saved while the server is down, the
PIN pad, the IT status panel, a late arrival, and the enrolment screen of a new terminal.
Writes ``docs/screenshots/<lang>-<shot>.png``.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
# Monday 2 Nov 2026, 08:57 in Berlin: a plausible morning at the door.
MORNING = datetime(2026, 11, 2, 7, 57, 10, tzinfo=timezone.utc)
PIN = "1234"


def shoot(language: str, size: tuple[int, int]) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from kiosk.app import KioskApp, KioskOptions
    from kiosk.core.config import save_config
    from kiosk.core.paths import default_paths
    from kiosk.services.memory_secrets import MemorySecretStore
    from kiosk.sync.enroll import enroll
    from kiosk.ui.i18n import install_translator
    from kiosk.core.pin import hash_pin
    from server_stub.admin import Admin
    from server_stub.demo_data import seed_demo
    from server_stub.runner import EmbeddedServer
    from tests.helpers.clock import FakeClock

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("kiosk").setLevel(logging.INFO)  # the status panel's recent log
    app = QApplication.instance() or QApplication([sys.argv[0]])
    translator = install_translator(app, language)  # noqa: F841 (kept referenced)
    clock = FakeClock(MORNING)
    tmp = Path(tempfile.mkdtemp(prefix="kiosk-shots-"))
    admin = Admin.init(tmp / "server", clock=clock)
    seed = seed_demo(admin)
    server = EmbeddedServer(tmp / "server", clock=clock)
    server.start()
    store = MemorySecretStore()
    paths = default_paths(tmp / "kiosk").ensure()
    config = enroll(server.url, seed.enrol_code, paths, store)
    config.ui.admin_pin_hash = hash_pin(PIN)
    config.ui.card_seconds = 30
    config.ui.sounds = False
    config.sync.interval_s = 0.5
    config.sync.backoff_base_s = 0.3
    config.sync.backoff_cap_s = 1.0
    config.server.connect_timeout_s = 1.0
    save_config(config, paths.config_file)
    tokens = [seed.tokens["E1003"], seed.revoked_token, seed.tokens["E1001"]]
    kiosk = KioskApp(config, paths, store,
                     KioskOptions(fullscreen=False, camera="synthetic", synthetic_tokens=tokens,
                                  sounds=False, preview_fps=15),
                     clock=clock, keyring_label=store.description)
    shots: list[Path] = []

    def wait(pred, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > end:
                raise TimeoutError(f"{language}: waited {timeout} s; card: {card()!r}")
            app.processEvents()
            time.sleep(0.01)

    def card() -> str:
        return kiosk.window.card.message.title if kiosk.window else ""

    def grab(name: str, widget=None) -> None:
        app.processEvents()
        path = OUT / f"{language}-{name}.png"
        (widget or kiosk.window).grab().save(str(path))
        shots.append(path)
        print(f"wrote {path.relative_to(ROOT)}")

    from kiosk.ui import messages

    def title(fn) -> str:
        return fn().title

    try:
        kiosk.start()
        kiosk.window.resize(*size)
        wait(lambda: kiosk._roster.roster is not None)
        on_time = title(lambda: messages.for_verdict(_Verdict("check_in", 0)))
        wait(lambda: card() == on_time)
        time.sleep(0.05)
        grab("recorded")
        revoked = title(lambda: messages.for_outcome(_refused()))
        wait(lambda: card() == revoked)
        grab("rejected")
        server.stop()  # the network goes down: the next punch waits on the terminal
        offline = title(lambda: messages.saved_offline(_recorded()))
        wait(lambda: card() == offline)
        grab("offline")
        kiosk.recorder.request_stats()
        wait(lambda: kiosk.status.status.pending >= 1)
        kiosk.window.open_admin()
        kiosk.window.pin_pad.entry.setText(PIN[:2])
        grab("pin")
        kiosk.window.pin_pad.entry.setText(PIN)
        kiosk.window.pin_pad.submit()
        wait(lambda: kiosk.window.pages.currentWidget() is kiosk.window.status_panel)
        time.sleep(0.3)
        app.processEvents()
        kiosk.window.status_panel.refresh_log()
        grab("status")
        # 09:12 in Berlin, the network is back: Jonas arrives late for the 09:00 shift
        kiosk.window.show_kiosk()
        kiosk.camera.stop()
        server.start()
        clock.set(datetime(2026, 11, 2, 8, 12, 30, tzinfo=timezone.utc))
        kiosk.window.header.update_clock()
        kiosk.sync.wake()
        wait(lambda: kiosk.status.status.pending == 0 and kiosk.status.status.online)
        kiosk.camera.show_badges([seed.tokens["E1002"]])
        kiosk.camera.start()
        wait(lambda: kiosk.window.card.message.tone is messages.Tone.WARN)
        grab("late")
        # "Forgot a punch?" on that card opens the make-up punch screen (补卡)
        wait(lambda: kiosk.window.card.correction_button.isVisible())
        kiosk.window.open_correction()
        kiosk.window.correction_screen.press_stepper("m+")
        app.processEvents()
        grab("correction")
        kiosk.window.show_kiosk()
        from kiosk.ui.enroll_screen import EnrollScreen

        screen = EnrollScreen(server.url)  # a terminal's first start, before enrolment
        screen.resize(*size)
        screen.show()
        for key in "H2SD-KLC":
            screen.pad.press(key)
        app.processEvents()
        grab("enrol", screen)
        screen.close()
    finally:
        kiosk.shutdown()
        kiosk.wait_stopped()
        server.stop()
        admin.close()
    return shots


class _Verdict:
    """Just enough of a Verdict to ask the card for its title in this language."""

    def __init__(self, direction: str, late: int) -> None:
        self.event_id = "x"
        self.status = "accepted"
        self.direction = direction
        self.late_min = late
        self.early_leave_min = 0
        self.shift_start = "09:00"
        self.shift_end = "17:00"
        self.grace_min = 5
        self.reason = None


def _refused():
    from kiosk.core.recorder import Outcome, OutcomeKind, RefuseReason

    return Outcome(OutcomeKind.REFUSED, "camera", reason=RefuseReason.REVOKED)


def _recorded():
    from kiosk.core.recorder import Outcome, OutcomeKind

    return Outcome(OutcomeKind.RECORDED, "camera")


def main() -> int:
    parser = argparse.ArgumentParser(description="screenshots of the running kiosk")
    parser.add_argument("--language", choices=("en", "zh_CN"),
                        help="one language in this process (default: both, one process each)")
    parser.add_argument("--size", default="1280x800")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        print("no DISPLAY: start Xvfb :99 and set DISPLAY=:99 QT_QPA_PLATFORM=xcb",
              file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    w, h = (int(x) for x in args.size.split("x"))
    if args.language:
        shoot(args.language, (w, h))
        return 0
    for lang in ("en", "zh_CN"):  # a fresh process per language: widgets read tr() once
        subprocess.run([sys.executable, __file__, "--language", lang, "--size", args.size],
                       check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
