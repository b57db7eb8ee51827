"""The status panel says every time in one zone: its "Last sync" and the log lines beside
it (issue #16: the panel showed Berlin time next to log lines in UTC)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from kiosk.services.log_buffer import LogBuffer
from kiosk.services.status import Status, StatusModel
from kiosk.ui.status_panel import StatusPanel

WHEN = datetime(2026, 11, 2, 1, 0, 5, tzinfo=timezone.utc)


def _line(buf: LogBuffer) -> str:
    record = logging.LogRecord("kiosk.test", logging.INFO, __file__, 1, "sent", None, None)
    record.created = WHEN.timestamp()
    buf.emit(record)
    return buf.lines(1)[0]


def test_the_panel_and_its_log_lines_use_the_site_zone(qtbot) -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    buf = LogBuffer()
    buf.set_timezone(shanghai)
    assert _line(buf).startswith("09:00:05 INFO")
    panel = StatusPanel(StatusModel(Status(last_sync=WHEN)), buf.lines)
    qtbot.addWidget(panel)
    panel.set_timezone(shanghai)
    assert panel.fields["last_sync"].text() == "2026-11-02 09:00:05 CST"  # zone named
    buf.set_timezone(timezone.utc)
    assert _line(buf).startswith("01:00:05 INFO")
