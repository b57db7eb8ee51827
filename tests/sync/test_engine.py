"""The drain loop against the real server on 127.0.0.1 (and our fault-injecting proxy)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest

from kiosk.core.clock import SystemClock
from kiosk.core.protocol import Roster, Verdict
from kiosk.store import Outbox
from kiosk.sync.engine import SyncEngine, SyncState
from kiosk.sync.roster import RosterCache
from tests.helpers.clock import FakeClock
from tests.helpers.faulty_proxy import FaultyProxy, http_response
from tests.helpers.live_server import live_server
from tests.sync.conftest import Terminal, fill, make_terminal


class Recorder:
    """A listener that keeps what the engine told it."""

    def __init__(self) -> None:
        self.verdicts: list[Verdict] = []
        self.states: list[SyncState] = []
        self.rosters: list[Roster] = []

    def on_verdicts(self, verdicts: list[Verdict]) -> None:
        self.verdicts.extend(verdicts)

    def on_state(self, state: SyncState) -> None:
        self.states.append(state)

    def on_roster(self, roster: Roster) -> None:
        self.rosters.append(roster)


def _wait_until(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def _server_punches(server, terminal_id: str) -> list[dict]:
    return [p for p in server.admin.export_punches() if p["terminal_id"] == terminal_id]


def test_drains_in_order_and_reports_to_the_listener(server, terminal: Terminal) -> None:
    cfg = terminal.tune(batch_size=7)
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    punches = fill(box, terminal, 30)
    rec = Recorder()
    engine = SyncEngine(cfg, box, terminal.secrets, SystemClock(), listener=rec,
                        status_provider=lambda: "running")
    report = engine.sync_once()
    assert (report.sent, report.accepted, report.error) == (30, 30, None)
    assert [v.event_id for v in rec.verdicts] == [p.event_id for p in punches]
    state = rec.states[-1]
    assert state.online and state.pending == 0 and state.server_url == server.url
    assert state.last_sync is not None and not state.terminal_revoked
    assert box.stats().sent == 30
    stored = _server_punches(server, cfg.terminal.id)
    assert sorted(p["seq"] for p in stored) == list(range(1, 31))
    assert rec.rosters and rec.rosters[0].terminal_id == cfg.terminal.id
    overview = {t["terminal_id"]: t for t in server.admin.terminals()}[cfg.terminal.id]
    assert overview["camera_state"] == "running"  # the heartbeat arrived
    box.close()


def test_roster_is_cached_and_verifies_offline_after_restart(server, terminal: Terminal) -> None:
    cfg = terminal.tune()
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
    engine.sync_once()
    etag = engine.roster.etag
    assert etag
    box.close()
    server.stop()  # offline from here on

    cache = RosterCache(terminal.paths.roster_cache)
    assert cache.etag == etag
    badge_id, token = terminal.badges[0]
    badge = cache.verifier().verify(token, datetime.now(timezone.utc))
    assert badge.verified and badge.badge_id == badge_id
    assert cache.display_name(badge.employee_id) == "Employee 0"
    assert cache.display_name("nobody") is None

    terminal.paths.roster_cache.write_text("{ not json")
    assert RosterCache(terminal.paths.roster_cache).roster is None  # ignored, not fatal
    server.start()


def test_roster_refresh_uses_etag(server, terminal: Terminal) -> None:
    cfg = terminal.tune(roster_refresh_s=0.001)
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    rec = Recorder()
    engine = SyncEngine(cfg, box, terminal.secrets, SystemClock(), listener=rec)
    engine.sync_once()
    time.sleep(0.01)
    engine.sync_once()  # unchanged: 304, no new roster announced
    assert len(rec.rosters) == 1
    server.admin.revoke_badge(terminal.badges[1][0])
    time.sleep(0.01)
    engine.sync_once()
    assert len(rec.rosters) == 2 and terminal.badges[1][0] in rec.rosters[1].revoked
    assert engine.roster.verifier().is_revoked(terminal.badges[1][0])
    box.close()


def test_server_down_during_appends_then_everything_drains_in_order(
    server, terminal: Terminal
) -> None:
    cfg = terminal.tune(batch_size=25)
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    sync_box = Outbox(terminal.paths.outbox_file, SystemClock())
    engine = SyncEngine(cfg, sync_box, terminal.secrets, SystemClock())
    server.stop()
    stop = threading.Event()
    worker = threading.Thread(target=engine.run, args=(stop,))
    worker.start()
    try:
        for _ in range(10):
            fill(box, terminal, 15)
            engine.wake()
            time.sleep(0.02)
        assert _wait_until(lambda: box.stats().last_error is not None, 10)
        assert box.stats().pending == 150  # nothing lost or settled while down
        assert not engine.state().online
        server.start()
        engine.wake()
        assert _wait_until(lambda: box.stats().pending == 0, 30)
    finally:
        stop.set()
        worker.join(15)
    assert not worker.is_alive()
    stored = server.admin.export_punches()
    received = [p["seq"] for p in stored if p["terminal_id"] == cfg.terminal.id]
    assert received == list(range(1, 151))  # export is in arrival order: in order, no gap
    assert box.stats().last_error is None and engine.state().online
    box.close()
    sync_box.close()


def test_resets_after_commit_give_no_duplicates(server, terminal: Terminal) -> None:
    with FaultyProxy(server.port, mode="reset", reset_ratio=0.3, seed=7) as proxy:
        cfg = terminal.tune(batch_size=10, urls=[proxy.url])
        box = Outbox(terminal.paths.outbox_file, SystemClock())
        punches = fill(box, terminal, 200)
        engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
        duplicates = 0
        for _ in range(200):  # bounded; each pass drains until the first reset
            report = engine.sync_once()
            duplicates += sum(v.duplicate for v in report.verdicts)
            if box.stats().pending == 0:
                break
        assert proxy.resets >= 5, "the fault must really have hit"
    assert box.stats().pending == 0 and box.stats().sent == 200
    stored = _server_punches(server, cfg.terminal.id)
    ids = Counter(p["event_id"] for p in stored)
    assert set(ids) == {str(p.event_id) for p in punches}
    assert max(ids.values()) == 1
    assert sorted(p["seq"] for p in stored) == list(range(1, 201))
    assert duplicates > 0  # resent batches were answered as replays, not stored again
    box.close()


def test_hanging_server_times_out_and_the_loop_stops(server, terminal: Terminal) -> None:
    with FaultyProxy(server.port, mode="hang") as proxy:
        # 1.5 s, not less: the last pass below goes to the real server, and a loaded CI
        # machine once took > 0.5 s for one of its three requests.
        cfg = terminal.tune(urls=[proxy.url], connect_timeout_s=0.5, read_timeout_s=1.5)
        box = Outbox(terminal.paths.outbox_file, SystemClock())
        fill(box, terminal, 3)
        engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
        report = engine.sync_once()
        assert report.error is not None and "timeout" in report.error
        assert box.stats().pending == 3
        stop = threading.Event()
        worker = threading.Thread(target=engine.run, args=(stop,))
        worker.start()
        time.sleep(0.3)
        stop.set()
        worker.join(20)
        assert not worker.is_alive(), "the loop must get out of a hanging server"
        proxy.set_mode("pass")
        assert engine.sync_once().sent == 3
        box.close()


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_retry_after_is_honoured_in_both_forms(server, terminal: Terminal, status, form) -> None:
    with FaultyProxy(server.port) as proxy:
        cfg = terminal.tune(urls=[proxy.url])
        # The kiosk's clock stands still, so the engine's "server now" when it reads the
        # header is the one the header was made from: no margin for a stalled machine.
        clock = FakeClock(datetime.now(timezone.utc))
        box = Outbox(terminal.paths.outbox_file, clock)
        engine = SyncEngine(cfg, box, terminal.secrets, clock)
        engine.sync_once()  # learn the server's time through the proxy
        fill(box, terminal, 2, clock)
        if form == "seconds":
            value, expected = "7", 7.0
        else:
            when = engine.offset.server_now() + timedelta(seconds=120)
            value, expected = format_datetime(when, usegmt=True), 120.0
        proxy.set_mode("respond", response=http_response(status, "Busy", {"Retry-After": value}))
        report = engine.sync_once()
        assert expected - 1.0 <= report.retry_after_s <= expected  # HTTP dates drop the fraction
        assert box.stats().pending == 2 and str(status) in (box.stats().last_error or "")
        proxy.set_mode("pass")
        assert engine.sync_once().sent == 2
        box.close()


def test_permanent_refusal_marks_the_punch_rejected_with_the_reason(
    server, terminal: Terminal
) -> None:
    body = b'{"error": "invalid_request", "message": "The batch is not acceptable."}'
    with FaultyProxy(server.port) as proxy:
        cfg = terminal.tune(urls=[proxy.url], batch_size=5)
        box = Outbox(terminal.paths.outbox_file, SystemClock())
        engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
        engine.sync_once()
        fill(box, terminal, 3)
        proxy.set_mode("respond", response=http_response(
            422, "Unprocessable", {"Content-Type": "application/json"}, body))
        assert engine.sync_once().rejected == 0  # unsigned: not our server's refusal
        assert box.stats().pending == 3
        proxy.receipt_secret = terminal.secrets.get(cfg.terminal.id)
        report = engine.sync_once()
        assert report.rejected == 3
    stats = box.stats()
    assert (stats.pending, stats.rejected) == (0, 3)
    assert {r.reason for r in box.rejected(10)} == {"invalid_request"}
    assert "not acceptable" in box.rejected(10)[0].message
    box.close()


def test_rejected_verdict_is_kept_with_its_reason(server, terminal: Terminal) -> None:
    cfg = terminal.tune()
    server.admin.revoke_badge(terminal.badges[0][0])
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    fill(box, terminal, 2)  # badge 0 (revoked), badge 1 (fine)
    report = SyncEngine(cfg, box, terminal.secrets, SystemClock()).sync_once()
    assert (report.accepted, report.rejected) == (1, 1)
    [rej] = box.rejected(10)
    assert rej.reason == "badge_revoked" and rej.badge_id == terminal.badges[0][0]
    box.close()


def test_failover_to_the_second_url(server, terminal: Terminal) -> None:
    with FaultyProxy(server.port, mode="drop") as dead:
        cfg = terminal.tune(urls=[dead.url, server.url])
        box = Outbox(terminal.paths.outbox_file, SystemClock())
        fill(box, terminal, 5)
        engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
        report = engine.sync_once()
        assert report.error is None and report.sent == 5
        assert engine.state().server_url == server.url
        tried = dead.connections
        assert tried >= 1
        fill(box, terminal, 5)
        assert engine.sync_once().sent == 5
        assert dead.connections == tried  # the working server stays preferred
    box.close()


def test_revoked_terminal_stops_sending_and_keeps_its_outbox(server, terminal: Terminal) -> None:
    cfg = terminal.tune()
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    fill(box, terminal, 2)
    rec = Recorder()
    assert SyncEngine(cfg, box, terminal.secrets, SystemClock()).sync_once().sent == 2
    server.admin.revoke_terminal(cfg.terminal.id)
    fill(box, terminal, 3)
    engine = SyncEngine(cfg, box, terminal.secrets, SystemClock(), listener=rec)
    report = engine.sync_once()
    assert report.revoked and "revoked" in report.error
    assert rec.states[-1].terminal_revoked and not rec.states[-1].online
    assert box.stats().pending == 3
    # after a restart it still knows, and does not even try
    again = SyncEngine(cfg, box, terminal.secrets, SystemClock())
    assert again.sync_once().revoked and again.state().terminal_revoked
    assert box.stats().pending == 3
    assert len(_server_punches(server, cfg.terminal.id)) == 2
    box.close()


def test_terminal_ten_minutes_off_authenticates_and_lands_on_the_right_minute(
    tmp_path: Path,
) -> None:
    real = datetime.now(timezone.utc).replace(second=30, microsecond=0)
    server_clock = FakeClock(real - timedelta(minutes=10))  # the kiosk is 10 min ahead
    with live_server(tmp_path / "srv", clock=server_clock) as srv:
        term = make_terminal(srv, tmp_path / "kiosk")
        cfg = term.tune()
        # Both clocks stand still (the two things we may fake), so a stalled machine cannot
        # move the punch away from the server's minute.
        kiosk_clock = FakeClock(real)
        box = Outbox(term.paths.outbox_file, kiosk_clock)
        engine = SyncEngine(cfg, box, term.secrets, kiosk_clock)
        engine.sync_once()
        assert engine.clock_offset_s == pytest.approx(-600, abs=0.01)  # learned exactly
        [punch] = fill(box, term, 1, kiosk_clock, offset=engine.clock_offset_s)
        report = engine.sync_once()
        assert report.error is None and report.accepted == 1
        [stored] = _server_punches(srv, cfg.terminal.id)
        landed = datetime.fromisoformat(stored["punch_time"])
        assert abs((landed - server_clock.now()).total_seconds()) < 1
        assert landed.replace(second=0, microsecond=0) == \
            server_clock.now().replace(second=0, microsecond=0)
        assert stored["clock_offset_s"] == pytest.approx(punch.clock_offset_s)
        box.close()


def test_not_enrolled_or_missing_secret_is_reported(server, terminal: Terminal) -> None:
    cfg = terminal.tune()
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    terminal.secrets.delete(cfg.terminal.id)
    report = SyncEngine(cfg, box, terminal.secrets, SystemClock()).sync_once()
    assert "no secret" in report.error
    fresh = cfg.model_copy(deep=True)
    fresh.terminal.id = ""
    report = SyncEngine(fresh, box, terminal.secrets, SystemClock()).sync_once()
    assert "not enrolled" in report.error
    box.close()


def test_answer_slower_than_the_read_timeout_is_resent_and_replayed(
    server, terminal: Terminal
) -> None:
    with FaultyProxy(server.port) as proxy:
        cfg = terminal.tune(urls=[proxy.url], read_timeout_s=0.3)
        box = Outbox(terminal.paths.outbox_file, SystemClock())
        engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
        engine.sync_once()
        punches = fill(box, terminal, 4)
        proxy.set_mode("delay", delay_s=1.0)  # the server commits; the answer comes too late
        report = engine.sync_once()
        assert report.error is not None and box.stats().pending == 4
        assert len(_server_punches(server, cfg.terminal.id)) == 4  # stored, we did not hear
        proxy.set_mode("pass")
        report = engine.sync_once()
        assert report.sent == 4 and all(v.duplicate for v in report.verdicts)
        assert [v.event_id for v in report.verdicts] == [p.event_id for p in punches]
        assert len(_server_punches(server, cfg.terminal.id)) == 4
        box.close()


def test_a_4xx_that_is_not_our_server_keeps_the_punches(server, terminal: Terminal) -> None:
    """A captive portal's 404 page must never get punches rejected for good."""
    with FaultyProxy(server.port) as proxy:
        cfg = terminal.tune(urls=[proxy.url])
        box = Outbox(terminal.paths.outbox_file, SystemClock())
        engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
        engine.sync_once()
        fill(box, terminal, 2)
        proxy.set_mode("respond", response=http_response(
            404, "Not Found", {"Content-Type": "text/html"}, b"<html>Log in to Wi-Fi</html>"))
        report = engine.sync_once()
        assert report.error is not None and "404" in report.error
        assert (box.stats().pending, box.stats().rejected) == (2, 0)
        proxy.set_mode("pass")
        assert engine.sync_once().accepted == 2
        box.close()


def test_server_clock_jump_is_learned_from_the_401_and_the_request_resigned(
    tmp_path: Path,
) -> None:
    server_clock = FakeClock(datetime.now(timezone.utc))
    with live_server(tmp_path / "srv", clock=server_clock) as srv:
        term = make_terminal(srv, tmp_path / "kiosk")
        cfg = term.tune()
        kiosk_clock = FakeClock(datetime.now(timezone.utc))  # still: the step is exact
        box = Outbox(term.paths.outbox_file, kiosk_clock)
        engine = SyncEngine(cfg, box, term.secrets, kiosk_clock)
        engine.sync_once()
        before = engine.clock_offset_s
        server_clock.advance(900)  # the server's clock is stepped by 15 minutes
        fill(box, term, 1, kiosk_clock, offset=before)
        report = engine.sync_once()
        assert report.error is None and report.sent == 1
        assert engine.clock_offset_s - before == pytest.approx(900, abs=0.01)
        box.close()


def test_retry_after_of_the_first_server_survives_failover_to_a_dead_second(
    server, terminal: Terminal
) -> None:
    with FaultyProxy(server.port) as busy, FaultyProxy(server.port, mode="drop") as dead:
        cfg = terminal.tune(urls=[busy.url, dead.url])
        box = Outbox(terminal.paths.outbox_file, SystemClock())
        engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
        engine.sync_once()
        fill(box, terminal, 1)
        busy.set_mode("respond", response=http_response(503, "Down", {"Retry-After": "9"}))
        report = engine.sync_once()
        assert dead.connections >= 1  # the second server was tried
        assert report.retry_after_s == 9.0 and box.stats().pending == 1
        busy.set_mode("pass")
        assert engine.sync_once().sent == 1
        box.close()


def test_engine_purges_sent_punches_past_retention_only(server, terminal: Terminal) -> None:
    cfg = terminal.tune()
    server.admin.revoke_badge(terminal.badges[1][0])  # one of them will be rejected
    clock = FakeClock(datetime.now(timezone.utc) + timedelta(seconds=2))
    box = Outbox(terminal.paths.outbox_file, clock)
    fill(box, terminal, 3, clock)
    assert SyncEngine(cfg, box, terminal.secrets, clock).sync_once().sent == 3
    fill(box, terminal, 1, clock)  # stays pending: sent later never, purged never
    server.stop()
    clock.advance((cfg.storage.retention_days + 1) * 86400)
    SyncEngine(cfg, box, terminal.secrets, clock).sync_once()  # offline, still purges
    stats = box.stats()
    assert (stats.sent, stats.rejected, stats.pending) == (0, 1, 1)
    server.start()
    box.close()


GARBAGE = [
    http_response(200, "OK", {"Content-Type": "text/html"}, b"<html>Captive portal</html>"),
    http_response(200, "OK", {"Content-Type": "application/json"}, b"{not json"),
    http_response(200, "OK", {"Content-Type": "application/json"}, b'{"results": "nope"}'),
    http_response(200, "OK", {"Content-Type": "application/json"}, b"[]"),
    http_response(200, "OK", {"Content-Type": "application/json"}),  # empty body
    http_response(302, "Found", {"Location": "http://127.0.0.1:9/login"}),
]


def test_garbage_answers_keep_the_punches_pending(server, terminal: Terminal) -> None:
    with FaultyProxy(server.port) as proxy:
        cfg = terminal.tune(urls=[proxy.url], roster_refresh_s=0.001)
        box = Outbox(terminal.paths.outbox_file, SystemClock())
        engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
        engine.sync_once()  # time and roster through the proxy
        roster_before = terminal.paths.roster_cache.read_bytes()
        fill(box, terminal, 3)
        for answer, secret in [(a, s) for s in (None, terminal.secrets.get(cfg.terminal.id))
                               for a in GARBAGE]:
            proxy.set_mode("respond", response=answer)
            proxy.receipt_secret = secret  # unsigned, then signed by a broken server
            report = engine.sync_once()  # must not raise
            expected = "not authenticated" if secret is None else "BatchResult"
            assert report.error is not None and expected in report.error, answer
            assert "Captive" not in report.error  # the body itself is never quoted
            stats = box.stats()
            assert (stats.pending, stats.rejected, stats.sent) == (3, 0, 0), answer
            assert not engine.state().online
        assert terminal.paths.roster_cache.read_bytes() == roster_before
        proxy.set_mode("pass")
        report = engine.sync_once()
        assert report.ok and report.sent == 3 and box.stats().pending == 0
        box.close()


def test_a_garbage_roster_keeps_the_cached_one(server, terminal: Terminal) -> None:
    with FaultyProxy(server.port) as proxy:
        cfg = terminal.tune(urls=[proxy.url], roster_refresh_s=60)
        clock = FakeClock(datetime.now(timezone.utc))
        box = Outbox(terminal.paths.outbox_file, clock)
        engine = SyncEngine(cfg, box, terminal.secrets, clock)
        assert engine.sync_once().ok and engine.state().online
        cached = terminal.paths.roster_cache.read_bytes()
        proxy.set_mode("respond", response=GARBAGE[2])
        clock.advance(61)  # the roster refresh is due: it gets garbage
        engine.sync_once()  # must not raise
        assert not engine.state().online
        assert terminal.paths.roster_cache.read_bytes() == cached
        assert engine.roster.roster is not None
        box.close()


def test_a_roster_cache_that_cannot_be_written_is_not_fatal(server, terminal: Terminal) -> None:
    cfg = terminal.tune()
    blocked = terminal.paths.data_dir / "roster-is-a-folder"
    blocked.mkdir()  # writing the cache there fails like a full or read-only disk
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    fill(box, terminal, 2)
    engine = SyncEngine(cfg, box, terminal.secrets, SystemClock(),
                        roster=RosterCache(blocked))
    report = engine.sync_once()  # must not raise
    assert report.ok and report.sent == 2
    assert engine.roster.roster is not None  # used from memory
    assert engine.roster.verifier().verify(terminal.badges[0][1], datetime.now(timezone.utc))
    assert blocked.is_dir()
    box.close()


def test_an_unreadable_outbox_is_an_error_report_not_a_crash(server, terminal: Terminal) -> None:
    cfg = terminal.tune()
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
    fill(box, terminal, 2)
    box.close()  # every read now fails, as with a file pulled from under the kiosk
    report = engine.sync_once()
    assert report.error is not None and "punch buffer" in report.error
    assert report.sent == 0
    with Outbox(terminal.paths.outbox_file, SystemClock()) as again:
        assert again.stats().pending == 2


def test_an_answer_trickling_in_cannot_hold_the_sync_thread(server, terminal: Terminal) -> None:
    """Each byte comes within the read timeout, the whole answer would take minutes."""
    with FaultyProxy(server.port, delay_s=0.2) as proxy:
        cfg = terminal.tune(urls=[proxy.url], connect_timeout_s=0.5, read_timeout_s=0.5)
        box = Outbox(terminal.paths.outbox_file, SystemClock())
        engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
        assert engine.sync_once().ok  # time, roster and heartbeat through the proxy
        fill(box, terminal, 3)
        proxy.set_mode("drip")
        reports = []
        worker = threading.Thread(target=lambda: reports.append(engine.sync_once()))
        worker.start()
        worker.join(60)  # a bound, not a measurement: without a deadline this takes minutes
        assert not worker.is_alive(), "a dripping answer held the sync thread"
        [report] = reports
        assert report.error is not None and "timeout" in report.error
        assert box.stats().pending == 3 and box.stats().rejected == 0
        proxy.set_mode("pass")
        report = engine.sync_once()  # the server stored them: its replayed verdicts settle them
        assert report.ok and report.sent == 3 and box.stats().pending == 0
        box.close()


def test_a_damaged_saved_offset_is_ignored(server, terminal: Terminal, capsys) -> None:
    from kiosk.cli import main as kiosk_main

    cfg = terminal.tune()
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    box.set_meta(clock_offset_s="not a number")
    engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())  # must not raise
    assert engine.clock_offset_s == 0.0
    box.close()
    home = str(terminal.paths.config_dir.parent)
    kiosk_main(["--home", home, "status", "--json"])
    assert '"clock_offset_s": null' in capsys.readouterr().out


class _LongestBackoff:
    """An rng whose jitter always picks the longest wait: the worst case for a drain."""

    def uniform(self, low: float, high: float) -> float:
        return high


def test_connection_back_is_logged_and_drains_at_once_despite_a_long_backoff(
    server, terminal: Terminal, caplog
) -> None:
    """Issue #16: after the server came back, the drain sat out a ~39 s backoff."""
    import logging

    cfg = terminal.tune(interval_s=0.2, backoff_base_s=60.0, backoff_cap_s=600.0,
                        connect_timeout_s=0.5)
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    engine = SyncEngine(cfg, box, terminal.secrets, SystemClock(), rng=_LongestBackoff())  # type: ignore[arg-type]
    server.stop()
    fill(box, terminal, 1)
    stop = threading.Event()
    worker = threading.Thread(target=engine.run, args=(stop,))
    caplog.set_level(logging.INFO, logger="kiosk.sync.engine")
    worker.start()
    try:
        assert _wait_until(lambda: box.stats().last_error is not None, 10)
        time.sleep(0.5)  # well inside the 60 s backoff now
        assert box.stats().pending == 1
        server.start()
        started = time.monotonic()
        assert _wait_until(lambda: box.stats().pending == 0, 8), "the drain waited out the backoff"
        assert time.monotonic() - started < 8
    finally:
        stop.set()
        worker.join(15)
    assert not worker.is_alive()
    text = caplog.text
    assert "no connection to the server" in text
    assert "connection to the server is back" in text
    assert text.count("no connection to the server") == 1  # once, not per retry
    box.close()


def test_an_answer_to_the_probe_but_not_to_the_punches_keeps_backing_off(
    server, terminal: Terminal
) -> None:
    """/time answers but every POST gets no answer: the probe must not turn the backoff
    into a retry every interval_s."""
    cfg = terminal.tune(interval_s=0.05, backoff_base_s=5.0, backoff_cap_s=5.0)
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    engine = SyncEngine(cfg, box, terminal.secrets, SystemClock(), rng=_LongestBackoff())  # type: ignore[arg-type]
    engine.sync_once()  # offset and roster learnt while the link is fine
    posts = []
    real_send = engine._session.send

    def send(prepared, **kwargs):
        if prepared.method == "POST":
            posts.append(time.monotonic())
            import requests

            raise requests.ConnectionError("dropped by a proxy")
        return real_send(prepared, **kwargs)

    engine._session.send = send  # type: ignore[method-assign]
    fill(box, terminal, 1)
    stop = threading.Event()
    worker = threading.Thread(target=engine.run, args=(stop,))
    worker.start()
    try:
        time.sleep(2.0)
    finally:
        stop.set()
        worker.join(15)
    assert 1 <= len(posts) <= 3, posts  # first try, one after the probe; then the backoff
    assert box.stats().pending == 1
    box.close()
