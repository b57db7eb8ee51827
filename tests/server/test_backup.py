"""``kiosk-server backup`` while a real server takes uploads, then ``restore`` elsewhere.

The snapshot must be one committed state: terminals upload one batch after another (seq
1, 2, 3 ...), so a consistent backup holds, per terminal, a prefix of its sequence with no
hole; punches uploaded after the snapshot was fixed (``on_snapshot``) are not in it; and the
restored server's ``export`` equals the source's for every punch the backup holds. Moves
between SQLite and PostgreSQL go through the same file.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from server_stub import cli
from server_stub.runner import EmbeddedServer
from server_stub.store import backup as backup_mod
from server_stub.store import engine as store_engine
from server_stub.store import migrate
from tests.helpers import databases
from tests.helpers.live_server import LiveServer, live_server

from .terminal_client import Term, enroll

UPLOADERS = 2
BATCH = 5
MAX_BATCHES = 60  # per uploader: the uploads are bounded even if the backup hangs
DURING = 10  # punches sent from inside the snapshot


@contextmanager
def _db(backend: str) -> Iterator[str | None]:
    with databases.database_url(backend) as url:
        yield url


def _staff(srv: LiveServer) -> list[str]:
    a = srv.admin
    a.add_site("HQ", "Head office", "Europe/Berlin")
    a.add_shift("day", "09:00", "17:00", 5)
    tokens = []
    for i in range(6):
        a.add_employee(f"E{i}", f"Person {i}", "HQ", "day")
        tokens.append(a.issue_badge(f"E{i}",
                                    issued_at=datetime(2026, 10, 1, tzinfo=timezone.utc)).token)
    return tokens


class Uploader(threading.Thread):
    """One terminal posting batches in order until stopped (or MAX_BATCHES)."""

    def __init__(self, term: Term, tokens: list[str], stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.term, self.tokens, self.stop_event = term, tokens, stop
        self.sent = 0
        self.error: str | None = None

    def run(self) -> None:
        try:
            for k in range(MAX_BATCHES):
                if self.stop_event.is_set():
                    return
                batch = [self.term.punch(self.tokens[(k + i) % len(self.tokens)])
                         for i in range(BATCH)]
                r = self.term.send(batch)
                if r.status_code != 200:
                    self.error = r.text
                    return
                self.sent += len(batch)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = repr(exc)


def _main(*argv: str) -> int:
    return cli.main([str(a) for a in argv])


def _export(data: Path, out: Path) -> list[dict]:
    assert _main("export", "--data", data, "--out", out) == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(("source", "target"), [
    ("sqlite", "sqlite"), ("sqlite", "postgresql"), ("postgresql", "sqlite")])
def test_backup_while_uploading_then_restore_exports_the_same(tmp_path, clock, source, target,
                                                              capsys):
    with ExitStack() as stack:
        src_url = stack.enter_context(_db(source))
        dst_url = stack.enter_context(_db(target))
        srv = stack.enter_context(live_server(tmp_path / "src", clock=clock,
                                              database_url=src_url))
        tokens = _staff(srv)
        stop = threading.Event()
        terms = [enroll(srv.url, srv.admin.add_terminal(f"Door {i}", "HQ"), clock)
                 for i in range(UPLOADERS)]
        late = enroll(srv.url, srv.admin.add_terminal("Late", "HQ"), clock)
        uploaders = [Uploader(t, tokens, stop) for t in terms]
        for u in uploaders:
            u.start()
        try:
            while sum(u.sent for u in uploaders) < 4 * BATCH and all(
                    u.is_alive() for u in uploaders):
                threading.Event().wait(0.02)
            during: list[str] = []

            def on_snapshot() -> None:  # the snapshot is fixed: these must not be in it
                punches = [late.punch(tokens[i % len(tokens)]) for i in range(DURING)]
                assert late.send(punches).status_code == 200
                during.extend(p["event_id"] for p in punches)

            out = tmp_path / "site.zip"
            summary = backup_mod.backup(srv.data_dir, out, on_snapshot=on_snapshot)
            # and a second one through the command line, still uploading
            assert _main("backup", "--data", srv.data_dir, "--out", tmp_path / "cli.zip") == 0
        finally:
            stop.set()
            for u in uploaders:
                u.join(60)
        assert all(u.error is None for u in uploaders), [u.error for u in uploaders]
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(tmp_path / "cli.zip").st_mode) == 0o600
        assert "Backed up" in capsys.readouterr().out

        restored = tmp_path / "restored"
        args = ["restore", out, "--data", restored]
        if dst_url:
            args += ["--database-url", dst_url]
        assert _main(*args) == 0
        assert "Restored" in capsys.readouterr().out

        src_rows = _export(srv.data_dir, tmp_path / "src.jsonl")
        dst_rows = _export(restored, tmp_path / "dst.jsonl")
        ids = {r["event_id"] for r in dst_rows}
        assert len(dst_rows) == summary.rows["punches"] >= 4 * BATCH
        assert [r for r in src_rows if r["event_id"] in ids] == dst_rows
        assert len(src_rows) == sum(u.sent for u in uploaders) + DURING
        assert not ids & set(during), "punches sent after the snapshot are in the backup"
        for t in terms:  # a consistent snapshot: a prefix of each terminal's sequence
            seqs = sorted(r["seq"] for r in dst_rows if r["terminal_id"] == t.terminal_id)
            assert seqs == list(range(1, len(seqs) + 1))
        late_seqs = [r["seq"] for r in src_rows if r["terminal_id"] == late.terminal_id]
        assert sorted(late_seqs) == list(range(1, DURING + 1))
        for t in (*terms, late):
            t.close()


def test_the_restored_server_takes_uploads_and_its_ids_continue(
    tmp_path, clock, empty_database_url
):
    database_url = empty_database_url  # a restore target holds no tables
    with live_server(tmp_path / "src", clock=clock) as srv:
        tokens = _staff(srv)
        term = enroll(srv.url, srv.admin.add_terminal("Door", "HQ"), clock)
        assert len(term.verdicts([term.punch(tokens[0])])) == 1
        assert _main("add-leave", "--data", srv.data_dir, "E1", "--from", "2026-11-03",
                     "--to", "2026-11-04", "--kind", "annual") == 0
        out = tmp_path / "b.zip"
        assert _main("backup", "--data", srv.data_dir, "--out", out, "--include-keys") == 0
    restored = tmp_path / "restored"
    args = ["restore", out, "--data", restored]
    if database_url:
        args += ["--database-url", database_url]
    assert _main(*args) == 0
    assert stat.S_IMODE(os.stat(restored).st_mode) == 0o700
    assert sorted(p.name for p in (restored / "keys").iterdir()) == sorted(
        p.name for p in (srv.data_dir / "keys").iterdir())
    # a serial id after the restored ones (PostgreSQL's sequences were advanced)
    assert _main("add-leave", "--data", restored, "E2", "--from", "2026-11-05",
                 "--to", "2026-11-05", "--kind", "sick") == 0
    with EmbeddedServer(restored, clock=clock) as again:
        term.url = again.url  # the same terminal, its secret opened with the restored key
        assert term.verdicts([term.punch(tokens[1])])[0]["status"] == "accepted"
    term.close()


def test_restore_refuses_a_target_that_holds_data(tmp_path, clock, database_url, capsys):
    with live_server(tmp_path / "src", clock=clock, database_url=database_url) as srv:
        _staff(srv)
        out = tmp_path / "b.zip"
        assert _main("backup", "--data", srv.data_dir, "--out", out) == 0
        capsys.readouterr()
        # into the live folder itself
        assert _main("restore", out, "--data", srv.data_dir) == 1
        assert "already a server data folder" in capsys.readouterr().err
        # into a new folder but the live database
        live_db = database_url or f"sqlite:///{srv.data_dir / 'server.sqlite3'}"
        assert _main("restore", out, "--data", tmp_path / "new", "--database-url", live_db) == 1
        err = capsys.readouterr().err
        assert "already holds tables" in err and "nothing was changed" in err
        assert not (tmp_path / "new" / "server.json").exists()
        assert len(srv.admin.employees()) == 6
    assert _main("restore", tmp_path / "nothing.zip", "--data", tmp_path / "x") == 1
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    assert _main("restore", tmp_path / "junk.zip", "--data", tmp_path / "x") == 1
    assert "not a kiosk server backup" in capsys.readouterr().err


def test_a_backup_of_an_older_schema_is_restored_and_upgraded(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / "server.json").write_text(json.dumps({"database_url": "sqlite:///server.sqlite3"}))
    engine = store_engine.open_engine(old, must_exist=False)
    with engine.begin() as conn:
        migrate.upgrade_to(conn, "0004_console")
        conn.execute(text("INSERT INTO sites (code, name, timezone) VALUES ('HQ', 'H', 'UTC')"))
    engine.dispose()
    out = tmp_path / "old.zip"
    assert backup_mod.backup(old, out).revision == "0004_console"
    with zipfile.ZipFile(out) as zf:
        assert "nonces" not in json.loads(zf.read("manifest.json"))["tables"]
    assert _main("restore", out, "--data", tmp_path / "new") == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'new' / 'server.sqlite3'}")
    with engine.connect() as conn:
        assert migrate.current(conn) == migrate.head()
        assert conn.execute(text("SELECT name FROM sites")).scalar() == "H"
    engine.dispose()


def test_without_the_keys_the_backup_says_so_and_copying_keys_restores_the_terminals(
        tmp_path, clock, capsys):
    import shutil

    with live_server(tmp_path / "src", clock=clock) as srv:
        tokens = _staff(srv)
        term = enroll(srv.url, srv.admin.add_terminal("Door", "HQ"), clock)
        out = tmp_path / "b.zip"
        assert _main("backup", "--data", srv.data_dir, "--out", out) == 0
        assert "keys are not in the backup" in capsys.readouterr().err
    with zipfile.ZipFile(out) as zf:
        assert not [n for n in zf.namelist() if n.startswith("keys/")]
        assert json.loads(zf.read("manifest.json"))["keys_included"] is False
    restored = tmp_path / "restored"
    assert _main("restore", out, "--data", restored) == 0
    assert "keys are not in the backup" in capsys.readouterr().err
    shutil.copytree(srv.data_dir / "keys", restored / "keys", dirs_exist_ok=True)
    with EmbeddedServer(restored, clock=clock) as again:
        term.url = again.url
        assert term.verdicts([term.punch(tokens[1])])[0]["status"] == "accepted"
    term.close()
