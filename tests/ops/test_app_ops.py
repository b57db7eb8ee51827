"""The real kiosk (``kiosk demo``, offscreen) under a stand-in systemd: notifications in
order, a rotating log file written through kiosk.logging_setup, no token in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ops.conftest import FakeSystemd

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_notifies_systemd_and_logs_to_its_file(
    tmp_path: Path, systemd: FakeSystemd
) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen",
               NOTIFY_SOCKET=systemd.address, WATCHDOG_USEC="1000000",
               WATCHDOG_PID=str(os.getpid()))
    env.pop("KIOSK_HOME", None)
    # WATCHDOG_PID is this test's pid, not the kiosk's: like cage's, it must be ignored ...
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk", "--home", str(tmp_path), "demo", "--exit-after", "8"],
        env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    messages = systemd.drain()
    kinds = [next(iter(m)) for m in messages]
    assert "READY" in kinds and "STOPPING" in kinds
    assert "WATCHDOG" not in kinds  # ... so no pings for someone else's watchdog

    env.pop("WATCHDOG_PID")  # ... and without it, the kiosk pings
    proc, messages = systemd.collect_while(lambda: subprocess.run(
        [sys.executable, "-m", "kiosk", "--home", str(tmp_path / "2"), "demo",
         "--exit-after", "8"], env=env, capture_output=True, text=True, timeout=120))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    kinds = [next(iter(m)) for m in messages]
    assert kinds[0] == "WATCHDOG"  # the first ping as the watchdog starts
    ready = kinds.index("READY")
    assert kinds.count("WATCHDOG") >= 8  # 500 ms period over ~8 s of running loop
    assert kinds[-1] == "STOPPING" and ready < len(kinds) - 1, " ".join(kinds)

    log_file = tmp_path / "2" / "kiosk" / "logs" / "kiosk.log"
    text = log_file.read_text(encoding="utf-8")
    assert "kiosk.recorder [" in text and "punch recorded" in text
    assert "KB1." not in text.upper() and "KB2." not in text.upper()  # badge ids only, never a token
