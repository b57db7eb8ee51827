"""The kiosk command's first-day stumbles (issue #16): enrol with the address `serve`
prints, one sentence for a failed sync, readable times, `kiosk set-pin`."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import main as kiosk_main
from kiosk.core.clock import SystemClock
from kiosk.core.config import load_config, save_config
from kiosk.core.paths import default_paths
from kiosk.core.pin import check_pin
from kiosk.store import Outbox
from tests.sync.conftest import Terminal, fill

REPO = Path(__file__).resolve().parents[2]


def _error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("kiosk: error: ") and "Traceback" not in err
    return lines[0]


def test_enrol_with_the_address_serve_prints_including_api_v1(server, tmp_path, memory_keyring,
                                                              capsys) -> None:
    server.admin.add_site("HQ", "Head office")
    code = server.admin.add_terminal("Door", "HQ")
    home = tmp_path / "k"
    assert kiosk_main(["--home", str(home), "enroll", "--server", server.url + "/api/v1/",
                       "--code", code]) == 0
    cfg = load_config(default_paths(home).config_file)
    assert cfg.server.urls == [server.url]


def test_enrol_at_a_wrong_path_says_check_the_address(server, tmp_path, memory_keyring,
                                                      capsys) -> None:
    server.admin.add_site("HQ", "Head office")
    code = server.admin.add_terminal("Door", "HQ")
    assert kiosk_main(["--home", str(tmp_path / "k"), "enroll", "--server",
                       server.url + "/kiosk", "--code", code]) == 1
    line = _error_line(capsys)
    assert "has no enrolment endpoint" in line and "check the address" in line
    assert "Not Found (not_found)" not in line


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_sync_once_against_a_wrong_url_is_one_sentence(terminal: Terminal, capsys) -> None:
    dead = _dead_url()
    terminal.tune(urls=[dead])
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    fill(box, terminal, 1)
    box.close()
    home = str(terminal.paths.config_dir.parent)
    env = {**os.environ, "PYTHONPATH": str(REPO), "KIOSK_LOG_TO_STDERR": "1"}
    cfg = load_config(terminal.paths.config_file)
    cfg.secrets.store = "file"  # the subprocess cannot see this process's memory keyring
    save_config(cfg, terminal.paths.config_file)
    from kiosk.sync.secrets import open_secret_store

    open_secret_store(cfg, terminal.paths).set(cfg.terminal.id, terminal.secrets.get(
        cfg.terminal.id))
    proc = subprocess.run([sys.executable, "-m", "kiosk", "--home", home, "sync", "--once"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr  # no INFO line, no library text over several lines
    host = dead.removeprefix("http://")
    assert lines[0].startswith(f"kiosk: error: Server unreachable: connection refused ({host})")
    assert "1 punch(es) still pending" in lines[0] and "check the network" in lines[0]
    assert "HTTPConnectionPool" not in proc.stderr + proc.stdout
    assert "Sent 0" not in proc.stdout

    assert kiosk_main(["--home", home, "status"]) == 0
    out = capsys.readouterr().out
    last_error = next(x for x in out.splitlines() if x.startswith("Last error:"))
    assert "Server unreachable: connection refused" in last_error
    assert "HTTPConnectionPool" not in out
    assert " UTC)" in last_error and "." not in last_error.split("(at ")[1]  # whole seconds


def test_status_times_are_whole_seconds_in_utc(server, terminal: Terminal, capsys, monkeypatch) -> None:
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    fill(box, terminal, 1)
    box.close()
    home = str(terminal.paths.config_dir.parent)
    from kiosk.sync.engine import SyncEngine

    with Outbox(terminal.paths.outbox_file, SystemClock()) as sync_box:
        SyncEngine(terminal.config, sync_box, terminal.secrets, SystemClock()).sync_once()
    import kiosk.commands.status as status_cmd

    monkeypatch.setattr(status_cmd, "open_secret_store", lambda config, paths: terminal.secrets)
    assert kiosk_main(["--home", home, "status"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("Last sync:"))
    import re

    assert re.fullmatch(r"Last sync:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", line), line


def test_set_pin_asks_twice_and_stores_only_the_hash(tmp_path, capsys, monkeypatch) -> None:
    home = str(tmp_path / "k")
    monkeypatch.setattr(sys, "stdin", io.StringIO("482913\n482913\n"))
    assert kiosk_main(["--home", home, "set-pin"]) == 0
    text = default_paths(home).config_file.read_text(encoding="utf-8")
    assert "482913" not in text
    assert check_pin("482913", load_config(default_paths(home).config_file).ui.admin_pin_hash)
    assert "Admin PIN set" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("typed", "needle"),
    [
        ("482913\n482914\n", "the two PINs differ"),
        ("12\n12\n", "4 to 12 digits, not 2"),
        ("12ab\n12ab\n", "digits only"),
        ("1111\n1111\n", "one digit repeated"),
        ("", "no PIN given"),
    ],
)
def test_set_pin_refuses_and_changes_nothing(tmp_path, capsys, monkeypatch, typed,
                                            needle) -> None:
    home = str(tmp_path / "k")
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
    assert kiosk_main(["--home", home, "set-pin"]) == 2
    assert needle in _error_line(capsys)
    assert not default_paths(home).config_file.exists() or not load_config(
        default_paths(home).config_file).ui.admin_pin_hash


def test_set_pin_in_a_subprocess_as_the_packaged_command_runs_it(tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "kiosk", "set-pin", "--home", str(tmp_path)],
                          input="5731\n5731\n", env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert check_pin("5731", load_config(default_paths(tmp_path).config_file).ui.admin_pin_hash)


def test_status_json_is_unchanged_by_the_readable_text(tmp_path, capsys) -> None:
    kiosk_main(["--home", str(tmp_path), "status", "--json"])
    info = json.loads(capsys.readouterr().out)
    assert info["last_sync"] is None and info["last_error"] is None
