"""``kiosk-server add-admin / set-password / remove-admin`` as a user runs them (each in a
process of its own, forked by tests/server/test_cli.py's ``run``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from argon2 import PasswordHasher, extract_parameters

from server_stub import audit, db
from server_stub.admin import Admin
from server_stub.console import accounts
from tests.server.test_cli import run


def cli(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run(*args, "--data", str(tmp_path / "data"), cwd=tmp_path, ok=False, stdin=stdin)


def test_accounts_from_the_command_line(tmp_path: Path) -> None:
    assert cli(tmp_path, "init").returncode == 0
    r = cli(tmp_path, "add-admin", "alice", "--role", "hr", stdin="first password\n")
    assert r.returncode == 0 and "alice (hr)" in r.stdout
    for args, stdin, says in (
        (("add-admin", "alice", "--role", "it"), "another one\n", "exists already"),
        (("add-admin", "bob", "--role", "it"), "short\n", "password must be"),
        (("add-admin", "Bad Name", "--role", "it"), "long enough\n", "username must be"),
        (("set-password", "nobody"), "long enough\n", "unknown account"),
        (("remove-admin", "nobody"), "", "unknown account"),
    ):
        r = cli(tmp_path, *args, stdin=stdin)
        assert r.returncode == 1 and says in r.stderr and "Traceback" not in r.stderr, r.stderr
    admin = Admin.open(tmp_path / "data")
    engine = admin.engine
    try:
        with engine.connect() as conn:
            row = conn.execute(db.admins.select()).one()
        assert row.password_hash.startswith("$argon2id$") and "first password" not in str(row)
        assert accounts.verify(engine, "alice", "first password") is not None
        with db.write_txn(engine) as conn:
            from server_stub.console import sessions

            sessions.create(conn, "alice", 0.0, None)
        assert cli(tmp_path, "set-password", "alice", stdin="second password\n").returncode == 0
        assert accounts.verify(engine, "alice", "first password") is None
        assert accounts.verify(engine, "alice", "second password") == accounts.Account(
            "alice", accounts.Role.HR)
        with engine.connect() as conn:  # a new password ends every open session
            assert conn.execute(db.console_sessions.select()).all() == []
        assert cli(tmp_path, "admins").stdout == "alice\thr\n"
        assert cli(tmp_path, "remove-admin", "alice").returncode == 0
        assert accounts.list_admins(engine) == []
        acts = [(e.actor, e.action, e.target) for e in audit.entries(engine)]
        assert acts == [("cli", "admin_removed", "alice"), ("cli", "password_set", "alice"),
                        ("cli", "admin_added", "alice")]
    finally:
        admin.close()


def test_verify_is_argon2id_and_unknown_users_cost_the_same(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    db.metadata.create_all(engine)
    with db.write_txn(engine) as conn:
        accounts.add_admin(conn, "it.person", accounts.Role.IT, "pass word 1", 1.0)
    assert accounts.verify(engine, "it.person", "pass word 1") == accounts.Account(
        "it.person", accounts.Role.IT)
    assert accounts.verify(engine, "it.person", "pass word 2") is None
    assert accounts.verify(engine, "ghost", "pass word 1") is None
    with engine.connect() as conn:
        stored = conn.execute(db.admins.select()).one().password_hash
    assert PasswordHasher().verify(stored, "pass word 1")
    # the unknown user's check runs against a hash with the same parameters (so the same cost)
    assert extract_parameters(accounts._DUMMY_HASH) == extract_parameters(stored)
    engine.dispose()
