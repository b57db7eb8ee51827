"""The kiosk against a server that lies: implausible times, answers without a receipt."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from kiosk.cli import main as kiosk_main
from kiosk.core.clock import SystemClock
from kiosk.store import Outbox
from kiosk.sync.clock_offset import ClockOffset
from kiosk.sync.engine import SyncEngine
from tests.helpers.clock import FakeClock
from tests.helpers.faulty_proxy import FaultyProxy, http_response
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
