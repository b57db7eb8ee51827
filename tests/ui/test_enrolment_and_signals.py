"""First run (the enrolment screen) and SIGTERM through the event loop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.app import KioskApp, KioskOptions
from kiosk.core.config import Config
from kiosk.core.paths import default_paths
from kiosk.services.memory_secrets import MemorySecretStore
from tests.helpers.clock import FakeClock
from tests.helpers.live_server import live_server
from tests.helpers.ui import MONDAY_0850, card_text, seed_site

REPO = Path(__file__).resolve().parents[2]


def test_not_enrolled_shows_the_enrolment_screen_then_the_kiosk(qtbot, tmp_path):
    clock = FakeClock(MONDAY_0850)
    store = MemorySecretStore()
    with live_server(tmp_path, clock=clock) as srv:
        site = seed_site(srv.admin)
        paths = default_paths(tmp_path / "kiosk").ensure()
        config = Config()
        config.ui.sounds = False
        app = KioskApp(config, paths, store, KioskOptions(fullscreen=False, camera=""),
                       clock=clock)
        try:
            app.start()
            screen = app.enroll_screen
            qtbot.addWidget(screen)
            assert app.window is None and screen.isVisible()
            # bad address: said in words, nothing sent
            screen.url.setText("ftp://nowhere")
            screen.code.setText(site.code)
            screen.button.click()
            assert "must start with http://" in screen.message.text()
            # a wrong code: the server's refusal, in words
            screen.url.setText(srv.url)
            screen.code.setText("WRNG-WRNG-WRNG-WRNG")
            screen.button.click()
            qtbot.waitUntil(lambda: screen.button.isEnabled(), timeout=10000)
            assert "refused" in screen.message.text().lower()
            assert app.window is None
            # the right code: enrolled, and the kiosk replaces the screen
            screen.code.setText(site.code)
            screen.button.click()
            qtbot.waitUntil(lambda: app.window is not None, timeout=10000)
            qtbot.addWidget(app.window)
            assert app.config.enrolled and store.get(app.config.terminal.id)
            qtbot.waitUntil(lambda: app._roster.roster is not None, timeout=10000)
            app.submit(site.tokens["alice"], "wedge", 0.0)
            qtbot.waitUntil(lambda: "Checked in – on time" in card_text(app), timeout=10000)
        finally:
            app.shutdown()
            app.wait_stopped()


@pytest.mark.slow
def test_sigterm_stops_the_demo_cleanly(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO),
               KIOSK_LOG_TO_STDERR="1")  # the assertions below read the log on stderr
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--home", str(tmp_path / "demo"), "demo"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        outbox = tmp_path / "demo" / "kiosk" / "data" / "outbox.sqlite3"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if outbox.exists():
                break
            time.sleep(0.2)
        time.sleep(4)  # the synthetic camera shows the first badge after about a second
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "signal 15 received: shutting down" in err
    assert "stopped" in err and "threads still running" not in err
    assert "Traceback" not in err
    assert any(line.startswith("demo:") for line in out.splitlines()), out


def _run_cmd(tmp_path, *extra_env):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return subprocess.run([sys.executable, "-m", "kiosk", "--home", str(tmp_path), "run",
                           "--windowed"], env=env, capture_output=True, text=True, timeout=60)


def test_run_without_a_keyring_says_what_to_install(tmp_path):
    proc = _run_cmd(tmp_path)
    assert proc.returncode == 1
    assert "No usable keyring backend" in proc.stderr and "Traceback" not in proc.stderr


def test_run_with_a_bad_config_names_the_key(tmp_path):
    cfg = tmp_path / "config" / "kiosk.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text("[ui]\ncard_secs = 3\n")
    proc = _run_cmd(tmp_path)
    assert proc.returncode == 1
    assert "card_secs" in proc.stderr and "card_seconds" in proc.stderr
    assert "Traceback" not in proc.stderr
