"""The kiosk-server CLI end to end, as a user runs it (subprocess, real files).

The commands run as processes of their own forked from one that imported the server once
(:class:`benchmarks.forkserver.CommandForker`: own working folder, environment, stdin,
output and exit status), so each costs its work, not 1.5 s of imports; ``serve`` and
``--help`` below start cold, as ``python -m server_stub.cli``.
"""

from __future__ import annotations

import atexit
import json
import os
import stat
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from PIL import Image

from benchmarks.forkserver import CommandForker
from kiosk.core.protocol import BadgeVerifier, parse_badge, public_key_from_text
from server_stub.admin import Admin

REPO = Path(__file__).resolve().parents[2]


@cache
def _forker() -> CommandForker:
    forker = CommandForker()
    atexit.register(forker.close)
    return forker


def run(*args: str, cwd: Path, ok: bool = True, cold: bool = False,
        stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``kiosk-server ARGS`` in its own process (``cold``: a new interpreter)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("KIOSK_SERVER_DATA", None)
    if cold:
        p = subprocess.run([sys.executable, "-m", "server_stub.cli", *args], cwd=cwd, env=env,
                           input=stdin, capture_output=True, text=True, timeout=60)
    else:
        p = _forker().run(args, cwd=cwd, env=env, stdin=stdin, timeout=60)
    if ok:
        assert p.returncode == 0, p.stderr
    return p


@pytest.mark.slow
def test_cli_end_to_end(tmp_path):
    d = ["--data", str(tmp_path / "data")]
    run("init", *d, cwd=tmp_path)
    key = tmp_path / "data" / "keys" / "k1.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data" / "admin_token").stat().st_mode) == 0o600
    run("add-site", "HQ", "Head office", "--timezone", "Europe/Berlin", *d, cwd=tmp_path)
    run("add-shift", "day", "--start", "09:00", "--end", "17:00", "--grace", "5", *d, cwd=tmp_path)
    run("add-employee", "E1", "Ana Souza", "--site", "HQ", "--shift", "day", *d, cwd=tmp_path)
    (tmp_path / "staff.csv").write_text("employee_id,name,site,shift\nE2,王芳,HQ,day\nE3,Bo Li,HQ,\n",
                                        encoding="utf-8")
    assert "Imported 2" in run("import-employees", "staff.csv", *d, cwd=tmp_path).stdout
    token = run("issue-badge", "E2", "--png", "e2.png", *d, cwd=tmp_path).stdout.strip()
    assert Image.open(tmp_path / "e2.png").size[0] > 100
    run("print-badges", "--out", "sheet.html", "--site", "HQ", *d, cwd=tmp_path)
    html = (tmp_path / "sheet.html").read_text(encoding="utf-8")
    assert html.count("<img") == 3 and "王芳" in html
    run("print-badges", "--out", "sheet.png", "--employees", "E1", "E3", *d, cwd=tmp_path)
    assert Image.open(tmp_path / "sheet.png").size[0] > 400
    code = run("add-terminal", "Door", "--site", "HQ", *d, cwd=tmp_path).stdout.strip()
    assert len(code.replace("-", "")) == 16
    admin = Admin.open(tmp_path / "data")
    try:
        keys = {k["kid"]: public_key_from_text(k["public_key"]) for k in admin.keys()}
        from datetime import datetime, timezone

        assert BadgeVerifier(keys).verify(token, datetime.now(timezone.utc)).employee_id == "E2"
        badge_id = parse_badge(token).badge_id
        run("revoke-badge", badge_id, *d, cwd=tmp_path)
        run("add-key", *d, cwd=tmp_path)
        assert [k["kid"] for k in admin.keys()] == ["k1", "k2"]
    finally:
        admin.close()
    run("export", "--out", "punches.jsonl", *d, cwd=tmp_path)
    assert (tmp_path / "punches.jsonl").read_text() == ""
    report = run("report", "--from", "2026-11-02", "--to", "2026-11-03", "--format", "json", *d,
                 cwd=tmp_path)
    assert isinstance(json.loads(report.stdout), list)
    assert "terminal" not in run("terminals", *d, cwd=tmp_path).stderr


@pytest.mark.parametrize(
    ("args", "rc", "needle"),
    [
        (("add-employee", "E1", "X"), 2, "--site"),
        (("frobnicate",), 2, "invalid choice"),
        (("add-site", "HQ", "x", "--timezone", "Mars/Base"), 1, "unknown timezone"),
        (("issue-badge", "NOPE"), 1, "unknown employee"),
        (("report", "--from", "yesterday", "--to", "2026-11-02"), 2, "YYYY-MM-DD"),
    ],
)
def test_cli_errors_are_one_line(tmp_path, args, rc, needle):
    run("init", "--data", "d", cwd=tmp_path)
    p = run(*args, "--data", "d", cwd=tmp_path, ok=False)
    assert p.returncode == rc
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], p.stderr
    assert "Traceback" not in p.stderr


def test_cli_without_data_folder_and_help(tmp_path):
    p = run("export", "--data", "missing", cwd=tmp_path, ok=False)
    assert p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1
    assert "kiosk-server init" in p.stderr
    for cmd in ("init", "serve", "issue-badge", "report", "print-badges"):
        assert "usage:" in run(cmd, "--help", cwd=tmp_path, cold=cmd == "init").stdout


@pytest.mark.slow
def test_cli_serve_enrol_and_revoke(tmp_path):
    """`serve` in its own process: a terminal enrols; `revoke-terminal` locks it out."""
    import socket
    import time

    import requests

    from kiosk.core.protocol import API_PREFIX, sign_request

    d = ["--data", str(tmp_path / "data")]
    run("init", *d, cwd=tmp_path)
    run("add-site", "HQ", "Head office", "--timezone", "UTC", *d, cwd=tmp_path)
    code = run("add-terminal", "Door", "--site", "HQ", *d, cwd=tmp_path).stdout.strip()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "server_stub.cli", "serve", *d, "--port",
                             str(port), "--log-level", "warning"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}{API_PREFIX}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/time", timeout=1)
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
        e = requests.post(url + "/enroll", json={"code": code}, timeout=10).json()

        def roster() -> int:
            h = sign_request(e["terminal_id"], e["secret"], "GET", API_PREFIX + "/roster", b"",
                             int(time.time()))
            return requests.get(url + "/roster", headers=h, timeout=10).status_code

        assert roster() == 200
        listing = json.loads(run("terminals", "--json", *d, cwd=tmp_path).stdout)
        assert [t["terminal_id"] for t in listing] == [e["terminal_id"]]
        run("revoke-terminal", e["terminal_id"], *d, cwd=tmp_path)
        assert roster() == 403
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert proc.returncode == 0 or proc.returncode == -15


def test_add_terminal_writes_an_enrolment_qr(tmp_path):
    import numpy as np

    from kiosk.core.protocol.enrolment import parse_enrolment
    from kiosk.scan.decoder import ScanPipeline

    d = ["--data", str(tmp_path / "data")]
    run("init", *d, cwd=tmp_path)
    run("add-site", "HQ", "Head office", "--timezone", "UTC", *d, cwd=tmp_path)
    done = run("add-terminal", "Door", "--site", "HQ", "--qr", "door.png",
               "--url", "https://attendance.example.com", *d, cwd=tmp_path)
    code = done.stdout.strip()
    assert "Enrolment QR written to door.png" in done.stderr and code not in done.stderr
    (found,) = ScanPipeline().decode(np.asarray(Image.open(tmp_path / "door.png").convert("L")))
    enrolment = parse_enrolment(found.text)
    assert (enrolment.server_url, enrolment.code) == ("https://attendance.example.com", code)
    missing = run("add-terminal", "Back", "--site", "HQ", "--qr", "back.png", *d, cwd=tmp_path, ok=False)
    assert missing.returncode == 1 and "--qr needs --url" in missing.stderr
    bad = run("add-terminal", "Back", "--site", "HQ", "--qr", "back.png", "--url", "ftp://x", *d,
              cwd=tmp_path, ok=False)
    assert bad.returncode == 1 and "http:// or https://" in bad.stderr
    assert not (tmp_path / "back.png").exists()
    admin = Admin.open(tmp_path / "data")
    try:
        assert len(admin.terminals()) == 1  # the refused ones added no terminal
    finally:
        admin.close()
