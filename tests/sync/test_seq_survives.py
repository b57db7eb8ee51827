"""The sequence never restarts: a corrupt outbox on disk is replaced, the kiosk restarts,
the numbers continue; the heartbeat reports the replacement, the overview shows it, and
``kiosk outbox salvage`` re-sends the readable rows, stored exactly once (issue #11 item 7)."""

from __future__ import annotations

import os
from collections import Counter

from kiosk.commands.outbox import salvage
from kiosk.core.clock import SystemClock
from kiosk.store import Outbox
from kiosk.sync.engine import SyncEngine, SyncReport
from tests.sync.conftest import Terminal, fill


def _corrupt_a_table_page(path, token: str) -> None:
    """Overwrite the page that holds ``token`` with garbage, as a failing disk would."""
    data = path.read_bytes()
    page = int.from_bytes(data[16:18], "big")
    at = data.find(token.encode())
    assert at > 0
    start = at - at % page
    with path.open("r+b") as f:
        f.seek(start)
        f.write(os.urandom(page))


def test_corrupt_outbox_replaced_seq_continues_salvage_stores_once(server, terminal: Terminal):
    cfg = terminal.tune(batch_size=500)
    tid = cfg.terminal.id
    box = Outbox(terminal.paths.outbox_file, SystemClock())
    engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
    fill(box, terminal, 10)
    assert engine.sync_once().ok  # seq 1-10 stored; the heartbeat answers "10 stored"
    assert box.seqfile.server(tid) == 10
    # 200 more; the first 50 reach the server but the answer is "lost" (still pending)
    admin = server.admin
    unsent = fill(box, terminal, 200)
    assert [p.seq for p in unsent] == list(range(11, 211))
    client = engine._get_client(SyncReport())
    assert client is not None
    client.send_batch(box.pending(50))
    box.close()

    # damage the page holding a row in the middle (found by its event id)
    path = terminal.paths.outbox_file
    _corrupt_a_table_page(path, str(unsent[120].event_id))

    box = Outbox(path, SystemClock())  # the kiosk restarts
    assert box.recovered_from is not None and box.recovered_from.exists()
    fresh = fill(box, terminal, 3)
    assert [p.seq for p in fresh] == [211, 212, 213]  # never 1 again
    engine = SyncEngine(cfg, box, terminal.secrets, SystemClock())
    assert engine.sync_once().ok
    assert box.replacement_report() == []  # reported, and the server has it
    row = {t["terminal_id"]: t for t in admin.terminals()}[tid]
    (rep,) = row["outbox_replacements"]
    assert (rep["moved_to"], rep["first_seq"], rep["last_seq"]) == (
        box.recovered_from.name, 11, 210)
    assert rep["missing"] == 150  # 50 arrived before the answer was lost
    comp = {t["terminal_id"]: t for t in admin.completeness()["terminals"]}[tid]
    assert "sequence_restarted" in comp["reasons"] and "may be lost" in comp["summary"]

    queued, skipped, present = salvage(box.recovered_from, path)
    assert queued > 150 and queued + skipped == 200 and present == 0
    assert engine.sync_once().ok
    stored = [p for p in admin.export_punches() if p["terminal_id"] == tid]
    assert max(Counter(p["event_id"] for p in stored).values()) == 1  # each stored once
    assert max(Counter(p["seq"] for p in stored).values()) == 1  # no seq reused
    lost = set(range(11, 211)) - {p["seq"] for p in stored}
    assert len(lost) == skipped and set(range(11, 61)).isdisjoint(lost)
    row = {t["terminal_id"]: t for t in admin.terminals()}[tid]
    assert row["outbox_replacements"][0]["missing"] == skipped
    assert row["missing_count"] == skipped
    # salvaging again re-queues nothing
    assert salvage(box.recovered_from, path)[0] == 0
    box.close()
