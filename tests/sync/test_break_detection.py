"""Tests that notice a break (issue #11 item 8): each was added because the change it
names, made by hand, left the whole suite green."""

from __future__ import annotations

from kiosk.core.clock import SystemClock
from kiosk.core.problems import ProblemCode
from kiosk.store import Outbox
from kiosk.sync.engine import SyncEngine
from tests.helpers.faulty_proxy import FaultyProxy, http_response
from tests.sync.conftest import Terminal, fill

HTML_413 = b"<html><body><h1>413 Request Entity Too Large</h1>nginx</body></html>"


def test_a_proxys_html_413_is_not_a_refusal_of_the_punches(server, terminal: Terminal) -> None:
    """A 413 without our server's error body (a proxy's page) keeps the punches pending, even
    when its answer is authenticated: only the server's own JSON refusal rejects them."""
    with FaultyProxy(server.port) as proxy:
        cfg = terminal.tune(urls=[proxy.url])
        box = Outbox(terminal.paths.outbox_file, SystemClock())
        engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
        engine.sync_once()  # time and roster through the proxy: the next pass goes for punches
        fill(box, terminal, 2)
        proxy.set_mode("respond", receipt_secret=terminal.secrets.get(cfg.terminal.id),
                       response=http_response(413, "Request Entity Too Large",
                                              {"Content-Type": "text/html"}, HTML_413))
        report = engine.sync_once()
        assert not report.ok and report.rejected == 0
        assert report.problem is not None  # believed (receipted), and still not a refusal:
        assert report.problem.code is not ProblemCode.NOT_AUTHENTICATED
        assert (box.stats().pending, box.stats().rejected) == (2, 0)
        box.close()


def test_a_429_is_not_failed_over_to_the_next_server(server, terminal: Terminal) -> None:
    """429 means "slow down", not "down": the next URL is not tried (it would be hammered
    by every terminal at once)."""
    with FaultyProxy(server.port) as proxy:
        cfg = terminal.tune(urls=[proxy.url, server.url])
        box = Outbox(terminal.paths.outbox_file, SystemClock())
        engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
        engine.sync_once()  # time and roster through the first URL
        fill(box, terminal, 2)
        proxy.set_mode("respond", response=http_response(429, "Too Many Requests",
                                                         {"Retry-After": "5"}))
        report = engine.sync_once()
        assert report.retry_after_s is not None and report.sent == 0
        assert box.stats().pending == 2
        assert server.url not in engine.state().server_errors  # never tried
        assert not [p for p in server.admin.export_punches()
                    if p["terminal_id"] == cfg.terminal.id]
        box.close()


def test_a_revoked_terminal_sends_nothing_at_all(server, terminal: Terminal) -> None:
    """Once told it is revoked, the terminal makes no request (not even one a 403 answers)."""
    with FaultyProxy(server.port) as proxy:
        cfg = terminal.tune(urls=[proxy.url])
        box = Outbox(terminal.paths.outbox_file, SystemClock())
        server.admin.revoke_terminal(cfg.terminal.id)
        fill(box, terminal, 1)
        engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
        assert engine.sync_once().revoked
        proxy.set_mode("drop")  # any request now fails: a pass that tries one says so
        for _ in range(3):
            report = engine.sync_once()
            assert report.revoked and report.problem is not None
            assert report.problem.code is ProblemCode.REVOKED, report.problem
        assert box.stats().pending == 1
        box.close()
