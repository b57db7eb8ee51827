"""The kiosk against a server that lies: implausible times, answers without a receipt."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kiosk.cli import main as kiosk_main
from kiosk.core.clock import SystemClock
from kiosk.core.paths import default_paths
from kiosk.core.problems import ProblemCode
from kiosk.core.protocol import new_secret
from kiosk.store import Outbox
from kiosk.sync.clock_offset import ClockOffset
from kiosk.sync.engine import SyncEngine
from kiosk.sync.enroll import EnrollError, enroll
from kiosk.sync.secrets import KeyringSecretStore
from tests.helpers.clock import FakeClock
from tests.helpers.faulty_proxy import FaultyProxy, http_response
from tests.helpers.keyring_backend import MemoryKeyring
from tests.sync.conftest import Terminal, fill

ABSURD_TIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                "2019-12-31T23:59:59+00:00", "2100-01-01T00:00:00+00:00"]


def test_an_implausible_server_time_is_ignored_and_logged_once(caplog) -> None:
    clock = FakeClock(datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc))
    offset = ClockOffset(clock, 1.5)
    caplog.set_level(logging.WARNING, logger="kiosk.sync.clock_offset")
    for text in ABSURD_TIMES:
        assert offset.observe(clock.now(), 0.01, datetime.fromisoformat(text)) == 1.5
    offset.observe_date_header(clock.now(), 0.01, "Mon, 01 Jan 0001 00:00:00 GMT")
    assert offset.offset_s == 1.5 and offset.ignored == 5 and not offset.precise
    assert len([r for r in caplog.records if "implausible" in r.getMessage()]) == 1
    assert offset.observe(clock.now(), 0.0, datetime(2026, 11, 2, 8, 0, 3, tzinfo=timezone.utc)) \
        == 3.0  # a plausible one is still taken


def test_a_server_answering_year_one_neither_crashes_nor_moves_the_clock(
    server, terminal: Terminal, capsys
) -> None:
    with FaultyProxy(server.port) as proxy:
        cfg = terminal.tune(urls=[proxy.url])
        box = Outbox(terminal.paths.outbox_file, SystemClock())
        fill(box, terminal, 2)
        engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
        for text in ABSURD_TIMES[:2]:
            body = ('{"server_time": "%s"}' % text).encode()
            proxy.set_mode("respond", response=http_response(
                200, "OK", {"Content-Type": "application/json"}, body))
            report = engine.sync_once()  # must not raise
            assert report.error is not None
            assert abs(engine.clock_offset_s) < 5 and box.stats().pending == 2
            # The command line too: one line, no traceback, non-zero.
            assert kiosk_main(["--home", str(terminal.paths.config_dir.parent), "sync", "--once"]) != 0
            err = capsys.readouterr().err
            assert "Traceback" not in err
        proxy.set_mode("pass")
        assert engine.sync_once().accepted == 2  # and it keeps working
        box.close()


def _accepted_for(punches) -> bytes:
    results = [{"event_id": str(p.event_id), "status": "accepted", "direction": "check_in",
                "message": "Checked in."} for p in punches]
    return json.dumps({"results": results,
                       "server_time": datetime.now(timezone.utc).isoformat()}).encode()


def test_a_fake_server_answering_accepted_marks_nothing_sent(server, terminal: Terminal) -> None:
    """A server that answers 'accepted' without storing (and so without a receipt)."""
    with FaultyProxy(server.port) as proxy:
        cfg = terminal.tune(urls=[proxy.url], batch_size=50)
        box = Outbox(terminal.paths.outbox_file, SystemClock())
        engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
        assert engine.sync_once().ok  # time and roster from the real server
        punches = fill(box, terminal, 20)
        fake = http_response(200, "OK", {"Content-Type": "application/json"},
                             _accepted_for(punches))
        proxy.set_mode("respond", response=fake)
        for secret in (None, new_secret()):  # no receipt, then one made with a wrong key
            proxy.receipt_secret = secret
            report = engine.sync_once()
            assert report.sent == 0 and box.stats().pending == 20 and box.stats().sent == 0
            assert report.problem.code is ProblemCode.NOT_AUTHENTICATED
            assert not engine.state().online
        proxy.receipt_secret = terminal.secrets.get(cfg.terminal.id)
        assert engine.sync_once().sent == 20  # the same answer, signed: believed
        box.close()


def test_unsigned_revocation_and_roster_are_not_believed(server, terminal: Terminal) -> None:
    with FaultyProxy(server.port) as proxy:
        cfg = terminal.tune(urls=[proxy.url], roster_refresh_s=0.001)
        box = Outbox(terminal.paths.outbox_file, SystemClock())
        engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
        assert engine.sync_once().ok
        roster = terminal.paths.roster_cache.read_bytes()
        fill(box, terminal, 1)
        revoked = json.dumps({"error": "terminal_revoked", "message": "revoked"}).encode()
        proxy.set_mode("respond", response=http_response(
            403, "Forbidden", {"Content-Type": "application/json"}, revoked))
        report = engine.sync_once()
        assert not report.revoked and not engine.state().terminal_revoked
        forged = json.loads(roster)
        forged["roster"]["revoked"] = [b for b, _ in terminal.badges]
        proxy.set_mode("respond", response=http_response(
            200, "OK", {"Content-Type": "application/json"},
            json.dumps(forged["roster"]).encode()))
        engine.sync_once()
        assert terminal.paths.roster_cache.read_bytes() == roster
        proxy.set_mode("pass")
        assert engine.sync_once().accepted == 1
        box.close()


def test_an_unsigned_stale_401_does_not_move_the_clock(server, terminal: Terminal) -> None:
    with FaultyProxy(server.port) as proxy:
        cfg = terminal.tune(urls=[proxy.url])
        box = Outbox(terminal.paths.outbox_file, SystemClock())
        fill(box, terminal, 1)
        engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
        later = (datetime.now(timezone.utc) + timedelta(hours=5)).isoformat()
        body = json.dumps({"error": "stale_timestamp", "message": "m",
                           "server_time": later}).encode()
        proxy.set_mode("respond", response=http_response(
            401, "Unauthorized", {"Content-Type": "application/json"}, body))
        engine.sync_once()
        assert abs(engine.clock_offset_s) < 5 and box.stats().pending == 1
        box.close()


def test_enrolment_without_a_receipt_saves_nothing(server, tmp_path: Path) -> None:
    answer = json.dumps({"terminal_id": "tfake", "secret": new_secret(), "name": "Fake",
                         "site": "HQ", "server_time": datetime.now(timezone.utc).isoformat()})
    paths = default_paths(tmp_path / "k")
    backend = MemoryKeyring()
    with FaultyProxy(server.port, mode="respond") as proxy:
        proxy.response = http_response(200, "OK", {"Content-Type": "application/json"},
                                       answer.encode())
        with pytest.raises(EnrollError, match="not authenticated") as err:
            enroll(proxy.url, "ABCD-EFGH", paths, KeyringSecretStore(backend))
    assert err.value.code is ProblemCode.ENROL_NOT_AUTHENTICATED
    assert not paths.config_file.exists() and backend.get_password("checkin-kiosk", "tfake") is None
