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
