"""`kiosk demo --exit-after N` as a user runs it: a subprocess, offscreen, end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_records_a_punch_end_to_end(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO),
               KIOSK_HOME=str(tmp_path / "unused"))
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk", "--home", str(tmp_path / "demo"), "demo",
         "--exit-after", "10"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    summary = [line for line in proc.stdout.splitlines() if line.startswith("demo:")]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(summary) == 1, proc.stdout
    m = re.match(r"demo: (\d+) scans, (\d+) recorded, (\d+) acknowledged", summary[0])
    assert m and int(m.group(2)) >= 1 and int(m.group(3)) >= 1, summary[0]
    assert summary[0].endswith("OK")
    assert "Traceback" not in proc.stderr
    # the punches really are in the server's database (kept because --home was given)
    from server_stub.admin import Admin

    admin = Admin.open(tmp_path / "demo" / "server")
    try:
        assert len(admin.export_punches()) >= int(m.group(2))
    finally:
        admin.close()


def test_display_check_before_qt_can_abort(tmp_path):
    """No display: Qt's xcb plugin would print an xcb-cursor0 hint and abort (exit 134)."""
    from kiosk.commands._display import display_problem

    sockets = tmp_path / "x11"
    sockets.mkdir()
    (sockets / "X16").touch()
    assert display_problem({}, "linux", sockets).startswith("there is no display")
    assert display_problem({"DISPLAY": ":7"}, "linux", sockets) == \
        "there is no X server on DISPLAY=:7"
    assert display_problem({"DISPLAY": ":16"}, "linux", sockets) is None
    assert display_problem({"DISPLAY": ":16.0"}, "linux", sockets) is None
    assert display_problem({"DISPLAY": "remote:0"}, "linux", sockets) is None  # cannot tell
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux", sockets) is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", sockets) is None
    assert display_problem({}, "win32", sockets) is None


def _headless_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return dict(env, PYTHONPATH=str(REPO))


def test_plain_demo_without_a_display_says_what_to_do(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "kiosk", "--home", str(tmp_path), "demo"],
                          cwd=tmp_path, env=_headless_env(), capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "no display" in lines[0] and "QT_QPA_PLATFORM=offscreen kiosk demo" in lines[0]
    assert "xcb-cursor0" not in proc.stderr and "Fatal Python error" not in proc.stderr


@pytest.mark.slow
def test_demo_smoke_test_without_a_display_draws_offscreen(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "kiosk", "demo", "--home", str(tmp_path),
                           "--exit-after", "8"], cwd=tmp_path, env=_headless_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "drawing offscreen" in proc.stderr and "Fatal Python error" not in proc.stderr
    summary = [line for line in proc.stdout.splitlines() if line.startswith("demo:")]
    assert len(summary) == 1 and "already recorded" in summary[0], proc.stdout
