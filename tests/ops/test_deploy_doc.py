"""docs/deploy.md stays true: its config table and status keys match the code."""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "deploy.md"
sys.path.insert(0, str(REPO / "scripts"))

import config_reference  # noqa: E402


def _between(text: str, begin: str, end: str) -> str:
    assert begin in text and end in text, f"markers {begin!r}/{end!r} missing in {DOC}"
    return text.split(begin, 1)[1].split(end, 1)[0]


def test_config_table_matches_the_model() -> None:
    table = _between(DOC.read_text(encoding="utf-8"), config_reference.BEGIN,
                     config_reference.END).strip()
    assert table == config_reference.reference(), (
        "docs/deploy.md's config table is out of date: "
        "run python scripts/config_reference.py --write")


def test_config_table_lists_every_key() -> None:
    from kiosk.core.config import Config

    table = config_reference.reference()
    for section, field in Config.model_fields.items():
        for key in field.annotation.model_fields:
            assert f"| `[{section}]` `{key}` |" in table


def test_status_keys_documented_are_the_ones_printed(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "kiosk", "--home", str(tmp_path), "status",
                           "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2  # not enrolled: critical
    printed = set(json.loads(proc.stdout))
    rows = _between(DOC.read_text(encoding="utf-8"), "<!-- status-keys:begin -->",
                    "<!-- status-keys:end -->")
    documented = {k for line in rows.splitlines() if line.startswith("| `")
                  for k in re.findall(r"`([a-z_]+)`", line.split("|")[1])}
    assert documented == printed


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(REPO / "packaging" / "linux" / name)
    return parser


def test_systemd_units_restart_and_watchdog() -> None:
    for name in ("checkin-kiosk.service", "checkin-kiosk-user.service"):
        svc = _unit(name)["Service"]
        assert svc["Type"] == "notify"
        assert svc["Restart"] == "always"
        assert int(svc["WatchdogSec"]) >= 10
    system = _unit("checkin-kiosk.service")["Service"]
    assert system["NotifyAccess"] == "all"  # the kiosk is cage's child
    assert "env -u WATCHDOG_PID /opt/checkin-kiosk/kiosk run" in system["ExecStart"]
    assert "/opt/checkin-kiosk/kiosk" in DOC.read_text(encoding="utf-8")


def test_windows_task_restarts_and_never_times_out() -> None:
    ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
    root = ET.parse(REPO / "packaging" / "windows" / "checkin-kiosk-task.xml").getroot()
    assert root.findtext("t:Settings/t:ExecutionTimeLimit", namespaces=ns) == "PT0S"
    assert root.find("t:Settings/t:RestartOnFailure", ns) is not None
    assert root.findtext("t:Actions/t:Exec/t:Arguments", namespaces=ns) == "run"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_system_unit_passes_systemd_analyze_verify() -> None:
    unit = REPO / "packaging" / "linux" / "checkin-kiosk.service"
    proc = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                          text=True, timeout=60)
    complaints = [line for line in (proc.stdout + proc.stderr).splitlines()
                  if line.strip() and "/usr/bin/cage is not executable" not in line]
    assert not complaints, complaints  # unknown keys, bad values, syntax errors
