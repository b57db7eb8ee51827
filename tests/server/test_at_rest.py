"""Secrets at rest: a private data folder, sealed terminal secrets, no bearer tokens stored,
and an older data folder converted on first start."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from kiosk.core.protocol import parse_badge
from server_stub import secretbox
from server_stub.secretbox import SecretBox, SecretBoxError
from tests.helpers.live_server import live_server

from .terminal_client import enroll


def _loose(data_dir: Path) -> list[str]:
    """Paths in the data folder that anyone but the owner can read (or enter)."""
    return [f"{p} {oct(p.stat().st_mode & 0o777)}" for p in [data_dir, *data_dir.rglob("*")]
            if p.stat().st_mode & 0o077]


def _signature_part(token: str) -> bytes:
    """The tail of a badge token that holds its signature (KB1: after the last dot; KB2:
    base32 of the packed fields, whose last 86 characters are the signature's)."""
    return (token.rsplit(".", 1)[1] if token.startswith("KB1") else token[-80:]).encode()


def _db_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.glob("server.sqlite3*"))


def test_data_folder_is_private_and_holds_no_secret_or_token(world, term):
    verdicts = term.verdicts([term.punch(world.tokens["E1"])])
    assert verdicts[0]["status"] == "accepted"
    beat = json.dumps({"app_version": "t", "pending": 0}).encode()
    assert term.request("POST", "/heartbeat", beat).status_code == 200
    data = world.srv.data_dir
    assert _loose(data) == []
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    engine = world.srv.admin.engine
    if engine.dialect.name == "sqlite":
        assert {p.name for p in data.glob("server.sqlite3*")} >= {"server.sqlite3",
                                                                  "server.sqlite3-wal"}
        raw = _db_bytes(data)
        assert term.secret.encode() not in raw
        assert world.tokens["E1"].encode() not in raw
        token_sig = _signature_part(world.tokens["E1"])
        assert token_sig not in raw  # not even the signature part
    with engine.connect() as conn:
        secret, = conn.exec_driver_sql(
            "SELECT secret FROM terminals WHERE terminal_id = '%s'" % term.terminal_id).one()
        badge, badge_id, kid = conn.exec_driver_sql(
            "SELECT badge, badge_id, kid FROM punches").one()
    assert secret.startswith(secretbox.PREFIX) and term.secret not in secret
    assert (badge, badge_id, kid) == ("", world.badge_ids["E1"], parse_badge(world.tokens["E1"]).kid)


def test_a_sealed_secret_opens_only_with_its_key_and_terminal(tmp_path):
    box = SecretBox.for_data_dir(tmp_path / "a")
    other = SecretBox.for_data_dir(tmp_path / "b")
    sealed = box.seal("T1", "s3cret")
    assert box.open("T1", sealed) == "s3cret"
    assert SecretBox.for_data_dir(tmp_path / "a").open("T1", sealed) == "s3cret"  # key kept
    with pytest.raises(SecretBoxError):
        other.open("T1", sealed)  # a copy of the database without the key file
    with pytest.raises(SecretBoxError):
        box.open("T2", sealed)  # moved onto another terminal's row
    key = tmp_path / "a" / "keys" / secretbox.KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700


def test_an_older_data_folder_is_converted_on_first_start(tmp_path, clock):
    with live_server(tmp_path, clock=clock) as srv:
        srv.admin.add_site("HQ", "Head office")
        srv.admin.add_employee("E1", "Ana", "HQ")
        token = srv.admin.issue_badge("E1").token
        term = enroll(srv.url, srv.admin.add_terminal("Door", "HQ"), clock)
        assert term.verdicts([term.punch(token)])[0]["status"] == "accepted"
    data = srv.data_dir
    # Make it look like a folder written before #11: plain secret, tokens, loose modes.
    with sqlite3.connect(data / "server.sqlite3") as conn:
        conn.execute("UPDATE terminals SET secret = ?", (term.secret,))
        conn.execute("UPDATE punches SET badge = ?", (token,))
        conn.execute("UPDATE punches SET kid = NULL")
    for p in [data, *data.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    assert _loose(data)
    with live_server(tmp_path, clock=clock) as srv:
        # The same terminal still signs (its secret was sealed, not lost).
        term.url = srv.url
        clock.advance(120)
        assert term.verdicts([term.punch(token)])[0]["status"] == "accepted"
        assert _loose(data) == []
        raw = _db_bytes(data)
        assert term.secret.encode() not in raw and token.encode() not in raw
        with sqlite3.connect(data / "server.sqlite3") as conn:
            rows = conn.execute("SELECT badge, kid FROM punches").fetchall()
            secret, = conn.execute("SELECT secret FROM terminals").fetchone()
        assert rows == [("", parse_badge(token).kid)] * 2
        assert secret.startswith(secretbox.PREFIX)
    term.close()
