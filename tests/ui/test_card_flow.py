"""The card at the door: recorded, the server's verdict, offline, cooldown, refusals."""

from __future__ import annotations

import pytest

from kiosk.services.memory_secrets import MemorySecretStore
from kiosk.store import Outbox
from tests.helpers.clock import FakeClock
from tests.helpers.live_server import live_server
from tests.helpers.ui import (
    MONDAY_0850,
    MONDAY_0912,
    card_text,
    enrolled_config,
    kiosk_on_site,
    running_kiosk,
    seed_site,
)


@pytest.fixture
def store():
    return MemorySecretStore()


def _scan_and_wait(qtbot, app, token, expect, source="wedge", timeout=10000):
    app.submit(token, source, 0.0)
    qtbot.waitUntil(lambda: expect in card_text(app), timeout=timeout)


def test_late_verdict_replaces_recorded(qtbot, tmp_path, store):
    clock = FakeClock(MONDAY_0912)
    with kiosk_on_site(qtbot, tmp_path, clock, store=store) as (srv, site, app):
        seen = []
        app.window.card_changed.connect(lambda m: seen.append(m.title))
        _scan_and_wait(qtbot, app, site.tokens["alice"], "Late 12 min")
        assert "shift 09:00, grace 5" in card_text(app)
        assert "Alice Example" in card_text(app)
        assert seen[0] == "Recorded"  # the local answer came first, then the verdict
        assert app.counts["accepted"] == 1


def test_on_time_and_repeat_inside_cooldown(qtbot, tmp_path, store):
    clock = FakeClock(MONDAY_0850)
    with kiosk_on_site(qtbot, tmp_path, clock, store=store) as (srv, site, app):
        _scan_and_wait(qtbot, app, site.tokens["wang"], "Checked in – on time")
        assert "王小明" in card_text(app)
        clock.advance(30)
        _scan_and_wait(qtbot, app, site.tokens["wang"], "Already recorded at 08:50")
        qtbot.waitUntil(lambda: app.status.status.sent == 1, timeout=5000)
        assert app.counts["recorded"] == 1
        # the demo's summary: a repeat is "already recorded", not "refused" (issue #16)
        assert (app.counts["already"], app.counts["refused"]) == (1, 0)
        assert len(srv.admin.export_punches()) == 1


def test_server_unreachable_saves_on_terminal(qtbot, tmp_path, store):
    clock = FakeClock(MONDAY_0850)
    with kiosk_on_site(qtbot, tmp_path, clock, store=store) as (srv, site, app):
        srv.stop()  # the kiosk learns it only when it tries to send
        _scan_and_wait(qtbot, app, site.tokens["alice"], "Saved on this terminal – will sync")
        assert "Alice Example" in card_text(app)
        qtbot.waitUntil(lambda: "Offline" in app.window.header.connection_label.text(),
                        timeout=10000)
        qtbot.waitUntil(lambda: app.status.status.pending == 1, timeout=5000)
        assert "1" in app.window.header.pending_label.text()
        srv.start()
        app.sync.wake()
        qtbot.waitUntil(lambda: app.status.status.pending == 0, timeout=15000)
        assert app.counts["accepted"] == 1


@pytest.mark.parametrize("role,expect", [("revoked", "Badge revoked"),
                                         (None, "Not a badge")])
def test_refusals_store_nothing(qtbot, tmp_path, store, role, expect):
    clock = FakeClock(MONDAY_0850)
    with kiosk_on_site(qtbot, tmp_path, clock, store=store) as (srv, site, app):
        token = site.tokens[role] if role else "https://example.com/not-a-badge"
        _scan_and_wait(qtbot, app, token, expect)
        assert app.counts["recorded"] == 0
    with Outbox(app.paths.outbox_file, clock) as outbox:  # after the kiosk stopped
        assert outbox.stats().last_seq == 0  # nothing was stored


def test_outbox_that_cannot_be_written_says_not_recorded(qtbot, tmp_path, store):
    clock = FakeClock(MONDAY_0850)
    with live_server(tmp_path, clock=clock) as srv:
        site = seed_site(srv.admin)
        config, paths = enrolled_config(srv.url, site.code, tmp_path / "kiosk", store)
        paths.outbox_file.mkdir()  # the database path is unusable: open fails
        with running_kiosk(qtbot, config, paths, store, clock, wait_roster=False) as app:
            assert app.window.isVisible()  # no crash, the kiosk is up
            _scan_and_wait(qtbot, app, site.tokens["alice"],
                           "NOT recorded – storage problem, please tell IT")
            assert app.counts["recorded"] == 0
            problem = app.window.status_panel.fields["problem"].text()
            assert "cannot be written" in problem
        assert srv.admin.export_punches() == []


@pytest.mark.slow
def test_server_that_hangs_gives_saved_on_terminal_then_the_verdict_later(qtbot, tmp_path,
                                                                         store):
    from kiosk.core.config import save_config
    from tests.helpers.faulty_proxy import FaultyProxy

    clock = FakeClock(MONDAY_0850)
    with live_server(tmp_path, clock=clock) as srv, FaultyProxy(srv.port) as proxy:
        site = seed_site(srv.admin)
        config, paths = enrolled_config(srv.url, site.code, tmp_path / "kiosk", store)
        config.server.urls = [proxy.url]  # the kiosk talks to the server through the proxy
        save_config(config, paths.config_file)
        with running_kiosk(qtbot, config, paths, store, clock) as app:
            proxy.set_mode("hang")
            seen = []
            app.window.card_changed.connect(lambda m: seen.append(m.title))
            _scan_and_wait(qtbot, app, site.tokens["alice"], "Saved on this terminal – will sync")
            assert seen[:2] == ["Recorded", "Saved on this terminal – will sync"]
            proxy.set_mode("pass")
            qtbot.waitUntil(lambda: app.status.status.pending == 0, timeout=20000)
            assert app.counts["accepted"] == 1


def test_server_rejection_shows_its_reason_and_lands_on_the_panel(qtbot, tmp_path, store):
    clock = FakeClock(MONDAY_0850)
    with kiosk_on_site(qtbot, tmp_path, clock, store=store) as (srv, site, app):
        srv.admin.set_employee_active("E1001", False)  # left the company this morning
        _scan_and_wait(qtbot, app, site.tokens["alice"],
                       "Not accepted: employee no longer active")
        panel = app.window.status_panel
        qtbot.waitUntil(lambda: panel.fields["rejected"].text() == "1", timeout=10000)
        assert panel.rejected_list.count() == 1
        item = panel.rejected_list.item(0).text()
        assert "employee no longer active (employee_inactive)" in item


def test_second_punch_of_the_day_checks_out_early(qtbot, tmp_path, store):
    from datetime import datetime, timezone

    clock = FakeClock(MONDAY_0850)
    with kiosk_on_site(qtbot, tmp_path, clock, store=store) as (srv, site, app):
        _scan_and_wait(qtbot, app, site.tokens["alice"], "Checked in – on time")
        clock.set(datetime(2026, 11, 2, 16, 30, tzinfo=timezone.utc))
        _scan_and_wait(qtbot, app, site.tokens["alice"], "Checked out at 16:30")
        assert "left 30 min early, shift ends 17:00" in card_text(app)
        clock.set(datetime(2026, 11, 2, 17, 5, tzinfo=timezone.utc))
        _scan_and_wait(qtbot, app, site.tokens["alice"], "Checked out")
