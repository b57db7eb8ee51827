"""The outbox at rest: readable by the kiosk's account only, no token kept once answered."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from pathlib import Path
from types import SimpleNamespace

from kiosk.core.problems import Problem, ProblemCode
from kiosk.logging_setup import PrivateRotatingFileHandler, setup_logging, teardown_logging
from kiosk.store import Outbox
from tests.helpers.clock import FakeClock

from .test_outbox import _accept, _append, _reject


def _modes(path: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.parent.glob(path.name + "*")}


def test_outbox_files_are_0600_new_or_old(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "outbox.sqlite3"
    box = Outbox(path, clock)
    _append(box, clock)
    assert set(_modes(path)) >= {"outbox.sqlite3", "outbox.sqlite3-wal"}
    assert set(_modes(path).values()) == {0o600}
    box.close()
    for p in tmp_path.glob("outbox.sqlite3*"):
        os.chmod(p, 0o644)  # as an older kiosk left it
    box = Outbox(path, clock)
    assert set(_modes(path).values()) == {0o600}
    assert box.stats().pending == 1
    box.close()


def test_the_token_is_cleared_once_the_server_answered(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "outbox.sqlite3"
    box = Outbox(path, clock)
    sent, rejected, refused, pending = (_append(box, clock, f"b{i}") for i in range(4))
    box.mark_verdicts([_accept(sent.event_id), _reject(rejected.event_id)])
    box.mark_rejected([str(refused.event_id)], "invalid_request", "refused",
                      Problem(ProblemCode.REFUSED_REQUEST, "422"))
    with sqlite3.connect(path) as conn:
        rows = dict(conn.execute("SELECT badge_id, badge FROM punches").fetchall())
    assert rows == {"b0": "", "b1": "", "b2": "", "b3": pending.badge}
    assert [p.badge for p in box.pending(10)] == [pending.badge]  # still sendable
    assert box.last_punch_time("b0") is not None  # the cooldown still knows the badge
    box.close()


def test_log_files_are_0600_also_after_a_rollover(tmp_path: Path) -> None:
    log_file = tmp_path / "kiosk.log"
    handler = PrivateRotatingFileHandler(log_file, maxBytes=200, backupCount=2, encoding="utf-8")
    logger = logging.getLogger("test.private.log")
    logger.addHandler(handler)
    try:
        for i in range(20):
            logger.warning("line %d %s", i, "x" * 40)
    finally:
        logger.removeHandler(handler)
        handler.close()
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert {"kiosk.log", "kiosk.log.1", "kiosk.log.2"} <= set(modes)
    assert set(modes.values()) == {0o600}
    paths = SimpleNamespace(log_dir=tmp_path / "logs")
    assert setup_logging(paths, SimpleNamespace(level="INFO", max_bytes=10_000, backups=1),
                         stderr=False) is not None
    try:
        logging.getLogger("kiosk").warning("hello")
        assert stat.S_IMODE((tmp_path / "logs" / "kiosk.log").stat().st_mode) == 0o600
    finally:
        teardown_logging()
