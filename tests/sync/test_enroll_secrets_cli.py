"""Secret stores, enrolment and the terminal commands (enroll, status, sync)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from keyring.backends import fail

from kiosk.cli import main as kiosk_main
from kiosk.core.clock import SystemClock
from kiosk.core.config import Config, load_config, save_config
from kiosk.core.paths import default_paths
from kiosk.store import Outbox
from kiosk.sync.enroll import EnrollError, enroll
from kiosk.sync.secrets import (
    FileSecretStore,
    KeyringSecretStore,
    SecretStoreError,
    open_secret_store,
)
from tests.helpers.keyring_backend import MemoryKeyring
from tests.sync.conftest import Terminal, fill

REPO = Path(__file__).resolve().parents[2]


def test_no_keyring_backend_says_what_to_install() -> None:
    with pytest.raises(SecretStoreError) as info:
        KeyringSecretStore(fail.Keyring())
    text = str(info.value)
    assert "gnome-keyring" in text and "keyrings.alt" in text and 'store = "file"' in text


def test_keyring_store_round_trip() -> None:
    backend = MemoryKeyring()
    store = KeyringSecretStore(backend)
    assert store.get("t1") is None
    store.set("t1", "s3cret")
    assert backend.get_password("checkin-kiosk", "t1") == "s3cret"
    store.delete("t1")
    store.delete("t1")  # idempotent
    assert store.get("t1") is None


def test_file_store_is_0600_and_chosen_only_explicitly(tmp_path: Path) -> None:
    paths = default_paths(tmp_path)
    cfg = Config()
    with pytest.raises(SecretStoreError):
        open_secret_store(cfg, paths, fail.Keyring())  # default is the keyring, no fallback
    assert isinstance(open_secret_store(cfg, paths, MemoryKeyring()), KeyringSecretStore)
    cfg.secrets.store = "file"
    store = open_secret_store(cfg, paths)
    assert isinstance(store, FileSecretStore) and "weaker" in store.description
    store.set("t1", "abc")
    store.set("t2", "def")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert (store.get("t1"), store.get("t2")) == ("abc", "def")
    store.path.write_text("[1, 2]")
    with pytest.raises(SecretStoreError):
        store.get("t1")


def test_enroll_stores_secret_and_writes_config(server, tmp_path: Path) -> None:
    server.admin.add_site("HQ", "Head office")
    code = server.admin.add_terminal("Front door", "HQ")
    paths = default_paths(tmp_path / "k")
    backend = MemoryKeyring()
    cfg = enroll(server.url + "/", code, paths, KeyringSecretStore(backend))
    assert cfg.enrolled and cfg.server.urls == [server.url]
    assert (cfg.terminal.name, cfg.terminal.site) == ("Front door", "HQ")
    assert load_config(paths.config_file) == cfg
    assert backend.get_password("checkin-kiosk", cfg.terminal.id)
    assert "secret" not in paths.config_file.read_text().lower().replace("[secrets]", "")
    with pytest.raises(EnrollError, match="refused"):  # one-time code
        enroll(server.url, code, paths, KeyringSecretStore(backend))


def test_enroll_errors_are_clear_and_change_nothing(server, tmp_path: Path) -> None:
    paths = default_paths(tmp_path / "k")
    store = KeyringSecretStore(MemoryKeyring())
    with pytest.raises(EnrollError, match="refused"):
        enroll(server.url, "WRONG-CODE-0000", paths, store)
    with pytest.raises(EnrollError, match="must start with http"):
        enroll("ftp://x", "ABCD-EFGH", paths, store)
    port = server.port
    server.stop()
    with pytest.raises(EnrollError, match="Cannot reach"):
        enroll(f"http://127.0.0.1:{port}", "ABCD-EFGH", paths, store)
    server.start()
    assert not paths.config_file.exists()


class _BrokenStore:
    description = "broken"

    def get(self, terminal_id: str) -> str | None:
        raise SecretStoreError("No usable keyring backend")

    def set(self, terminal_id: str, secret: str) -> None:
        raise AssertionError("never reached")

    def delete(self, terminal_id: str) -> None:
        pass


def test_enroll_does_not_spend_the_code_without_a_secret_store(server, tmp_path: Path) -> None:
    server.admin.add_site("HQ", "Head office")
    code = server.admin.add_terminal("Door", "HQ")
    paths = default_paths(tmp_path / "k")
    with pytest.raises(EnrollError, match="keyring"):
        enroll(server.url, code, paths, _BrokenStore())
    cfg = enroll(server.url, code, paths, KeyringSecretStore(MemoryKeyring()))
    assert cfg.enrolled  # the code still worked


def test_cli_enroll_status_and_sync(server, tmp_path: Path, memory_keyring, capsys) -> None:
    home = tmp_path / "k"
    assert kiosk_main(["--home", str(home), "status", "--json"]) == 2
    info = json.loads(capsys.readouterr().out)
    assert info["status"] == "critical" and not info["enrolled"]

    server.admin.add_site("HQ", "Head office")
    server.admin.add_employee("E1", "Ada", "HQ")
    badge = server.admin.issue_badge("E1")
    code = server.admin.add_terminal("Door", "HQ")
    assert kiosk_main(["--home", str(home), "enroll", "--server", server.url,
                       "--code", code]) == 0
    assert "Enrolled as terminal" in capsys.readouterr().out
    assert kiosk_main(["--home", str(home), "enroll", "--server", server.url,
                       "--code", code]) == 1
    assert "refused" in capsys.readouterr().err

    paths = default_paths(home)
    cfg = load_config(paths.config_file)
    box = Outbox(paths.outbox_file, SystemClock())
    term = Terminal(paths, cfg, KeyringSecretStore(memory_keyring), [(badge.badge_id,
                                                                      badge.token)])
    fill(box, term, 4)
    assert kiosk_main(["--home", str(home), "status", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["pending"], info["last_seq"], info["secret_present"]) == (4, 4, True)

    assert kiosk_main(["--home", str(home), "sync", "--once"]) == 0
    assert "Sent 4 punches" in capsys.readouterr().out
    assert (paths.log_dir / "sync.log").is_file()  # its own rotating log, beside kiosk.log
    assert kiosk_main(["--home", str(home), "status"]) == 0
    text = capsys.readouterr().out
    assert "OK" in text and "Pending:       0" in text

    server.admin.revoke_badge(badge.badge_id)
    fill(box, term, 1)
    kiosk_main(["--home", str(home), "sync", "--once"])
    capsys.readouterr()
    assert kiosk_main(["--home", str(home), "status", "--json"]) == 1  # warning: rejected
    info = json.loads(capsys.readouterr().out)
    assert info["status"] == "warning" and info["rejected"] == 1

    server.admin.revoke_terminal(cfg.terminal.id)
    fill(box, term, 1)
    assert kiosk_main(["--home", str(home), "sync", "--once"]) == 1
    capsys.readouterr()
    assert kiosk_main(["--home", str(home), "status", "--json"]) == 2
    info = json.loads(capsys.readouterr().out)
    assert info["terminal_revoked"] and info["pending"] == 1
    box.close()


def test_status_json_keys_are_stable(tmp_path: Path, capsys) -> None:
    kiosk_main(["--home", str(tmp_path), "status", "--json"])
    keys = set(json.loads(capsys.readouterr().out))
    assert keys == {
        "status", "problems", "warnings", "enrolled", "terminal_id", "terminal_name", "site",
        "server_urls", "secret_store", "secret_present", "terminal_revoked", "outbox_path",
        "outbox_recovered_from", "pending", "oldest_pending_age_s", "rejected", "sent",
        "last_seq", "last_sync", "last_error", "last_error_code", "last_error_arg",
        "last_error_at",
        "clock_offset_s",
    }


def test_sync_process_stops_on_sigterm(server, terminal: Terminal) -> None:
    """``kiosk sync`` (the loop) in its own process, with the explicit file secret store."""
    cfg = terminal.tune()
    cfg.secrets.store = "file"
    save_config(cfg, terminal.paths.config_file)
    store = open_secret_store(cfg, terminal.paths)
    store.set(cfg.terminal.id, terminal.secrets.get(cfg.terminal.id))
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    fill(box, terminal, 10)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--home", str(terminal.paths.config_dir.parent),
         "sync"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = 30
        start = time.monotonic()
        while box.stats().pending and time.monotonic() - start < deadline:
            time.sleep(0.05)
        assert box.stats().pending == 0
        proc.terminate()
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    box.close()


def test_status_reports_a_corrupt_outbox_without_moving_it(tmp_path: Path, capsys) -> None:
    paths = default_paths(tmp_path).ensure()
    paths.outbox_file.write_bytes(b"garbage, not sqlite" * 50)
    assert kiosk_main(["--home", str(tmp_path), "status", "--json"]) == 2
    info = json.loads(capsys.readouterr().out)
    assert any("corrupt" in p for p in info["problems"])
    assert paths.outbox_file.read_bytes().startswith(b"garbage")  # left for the app
    box = Outbox(paths.outbox_file, SystemClock())  # the app moves it aside
    moved = box.recovered_from
    box.close()
    kiosk_main(["--home", str(tmp_path), "status", "--json"])
    info = json.loads(capsys.readouterr().out)
    assert info["outbox_recovered_from"] == str(moved)
    assert any("corrupt" in w for w in info["warnings"])
    moved.unlink()  # IT has taken it
    kiosk_main(["--home", str(tmp_path), "status", "--json"])
    assert json.loads(capsys.readouterr().out)["outbox_recovered_from"] is None


def test_status_reports_an_outbox_of_another_shape_without_a_traceback(
    tmp_path: Path, capsys
) -> None:
    """A valid SQLite file with our table names but other columns: refused with a sentence
    (at the schema check when opening, or at the first read), never a traceback."""
    import sqlite3

    paths = default_paths(tmp_path).ensure()
    with sqlite3.connect(paths.outbox_file) as conn:
        conn.executescript("CREATE TABLE meta (k); CREATE TABLE seqs (k); "
                           "CREATE TABLE punches (k);")
    conn.close()
    assert kiosk_main(["--home", str(tmp_path), "status", "--json"]) == 2
    info = json.loads(capsys.readouterr().out)
    assert any(p.startswith("outbox unusable") for p in info["problems"])
    assert info["pending"] is None
    cfg = Config()
    cfg.terminal.id, cfg.server.urls, cfg.secrets.store = "t1", ["http://127.0.0.1:9"], "file"
    save_config(cfg, paths.config_file)
    assert kiosk_main(["--home", str(tmp_path), "sync", "--once"]) == 1
    err = capsys.readouterr().err
    assert "punch buffer could not be" in err and "Traceback" not in err  # opened or read


def test_status_says_the_last_error_with_the_panels_sentence(tmp_path: Path, capsys) -> None:
    """``kiosk status`` in another process reads the stored code, not the words."""
    from kiosk.core.problems import Problem, ProblemCode

    paths = default_paths(tmp_path).ensure()
    box = Outbox(paths.outbox_file, SystemClock())
    box.note_problem(Problem(ProblemCode.REFUSED, "127.0.0.1:9", "connection failed (...)"))
    box.close()
    kiosk_main(["--home", str(tmp_path), "status"])
    out = capsys.readouterr().out
    assert "Last error:    Server unreachable: connection refused (127.0.0.1:9) (at " in out
    kiosk_main(["--home", str(tmp_path), "status", "--json"])
    info = json.loads(capsys.readouterr().out)
    assert (info["last_error_code"], info["last_error_arg"]) == ("refused", "127.0.0.1:9")
