"""kill -9 of the running kiosk while the server is down; the restarted kiosk drains what
it left. Real processes (``kiosk run`` offscreen), the real server on 127.0.0.1, real QR
images through the folder camera, ``kiosk status --json`` as a monitoring script reads it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import qrcode

REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    for key in ("KIOSK_HOME", "NOTIFY_SOCKET", "WATCHDOG_USEC"):
        env.pop(key, None)
    return env


def _kiosk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", "--home", str(home), *args],
                          env=_env(), capture_output=True, text=True, timeout=60)


def _start(home: Path, camera: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--home", str(home), "run", "--windowed",
         "--camera", camera],
        env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _status(home: Path) -> dict:
    return json.loads(_kiosk(home, "status", "--json").stdout)


def _wait(what: str, check: Callable[[], bool], proc: subprocess.Popen[str] | None,
          timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the kiosk exited ({proc.returncode}) while waiting for {what}: "
                        f"{proc.stderr.read()[-2000:] if proc.stderr else ''}")
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


@pytest.mark.slow
def test_restarted_kiosk_drains_what_a_killed_one_left(tmp_path: Path) -> None:
    from server_stub.admin import Admin
    from server_stub.demo_data import seed_demo
    from server_stub.runner import EmbeddedServer

    admin = Admin.init(tmp_path / "server")
    seed = seed_demo(admin)
    server = EmbeddedServer(tmp_path / "server")
    server.start()
    home = tmp_path / "terminal"
    (home / "config").mkdir(parents=True)
    (home / "config" / "kiosk.toml").write_text('[secrets]\nstore = "file"\n')
    badges = tmp_path / "badges"
    badges.mkdir()
    for i, emp in enumerate(("E1001", "E1002")):
        qrcode.make(seed.tokens[emp], box_size=6).save(badges / f"{i}.png")
    first = second = third = None
    try:
        enrolled = _kiosk(home, "enroll", "--server", server.url, "--code", seed.enrol_code)
        assert enrolled.returncode == 0, enrolled.stderr
        # 1. A first run while the server is up caches the roster (the badge keys).
        first = _start(home, "")
        _wait("the roster cache", (home / "data" / "roster.json").exists, first)
        _stop(first)

        # 2. The server goes away; two badges are scanned and wait in the outbox.
        port = server.port
        server.stop()
        second = _start(home, str(badges))
        _wait("two pending punches", lambda: (_status(home)["pending"] or 0) >= 2, second)
        second.kill()  # kill -9: no shutdown, no flush
        second.wait(timeout=30)
        if second.stderr:
            second.stderr.close()
        left = _status(home)
        assert left["pending"] >= 2 and left["sent"] == 0

        # 3. Server back on the same address; a restarted kiosk (no camera) drains it all.
        server = EmbeddedServer(tmp_path / "server", port=port)
        server.start()
        third = _start(home, "")
        _wait("the outbox to drain", lambda: _status(home)["pending"] == 0, third)
        _stop(third)
    finally:
        for proc in (first, second, third):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        server.stop()

    done = _status(home)
    assert done["sent"] == left["pending"] and done["rejected"] == 0
    stored = admin.export_punches()
    admin.close()
    assert len(stored) == left["pending"]  # every punch stored, none twice
    assert len({p["event_id"] for p in stored}) == len(stored)
    assert sorted(p["seq"] for p in stored) == list(range(1, len(stored) + 1))
    assert {p["employee_id"] for p in stored} == {"E1001", "E1002"}
