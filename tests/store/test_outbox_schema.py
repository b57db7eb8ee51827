"""The outbox's schema version: an older file migrates forward with its punches, a newer
or damaged one is refused with a code and left exactly as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.core.problems import Problem, ProblemCode
from kiosk.core.protocol import Source
from kiosk.store import Outbox, OutboxError
from kiosk.store.outbox import _SCHEMA, SCHEMA_VERSION
from tests.helpers.clock import FakeClock

# What the first release created (schema 1): the punches table without last_error_code.
SCHEMA_1 = _SCHEMA.replace("    last_error_code TEXT,\n", "")


def _version_1_file(path: Path, clock: FakeClock) -> None:
    """A schema-1 outbox holding one pending punch and a failure text, as an older kiosk
    left it."""
    assert SCHEMA_1 != _SCHEMA
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA_1)
        conn.execute("INSERT INTO meta VALUES ('schema', '1'), "
                     "('last_error', 'connection failed (old words)')")
        conn.execute("INSERT INTO seqs VALUES ('t1', 1)")
        conn.execute(
            "INSERT INTO punches (event_id, terminal_id, seq, badge, badge_id, source,"
            " wall_time, clock_offset_s, app_version, recorded_at, last_error) VALUES"
            " ('5f0c8e53-51a7-4a3c-9d43-0d1f6f1f7a10', 't1', 1, 'KB1.k1.b1.E1.x.y.sig', 'b1',"
            " 'camera', ?, 0.5, '0.0.9', ?, 'connection failed (old words)')",
            (clock.now().isoformat(), clock.now().isoformat()))
    conn.close()


def test_a_version_1_outbox_migrates_forward_and_keeps_its_punches(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "outbox.sqlite3"
    _version_1_file(path, clock)

    box = Outbox(path, clock)
    assert box.recovered_from is None  # migrated in place, not moved aside
    assert box.meta("schema") == str(SCHEMA_VERSION) == "2"
    [punch] = box.pending(10)
    assert (punch.seq, punch.app_version) == (1, "0.0.9")
    stored = box.stats().last_problem  # a text without a code: UNKNOWN, never guessed
    assert stored == Problem(ProblemCode.UNKNOWN, "", "connection failed (old words)")
    box.record_failure([str(punch.event_id)], Problem(ProblemCode.TIMEOUT, "h:1", "slow"))
    new = box.append(terminal_id="t1", badge="KB1.k1.b2.E2.x.y.sig", badge_id="b2",
                     source=Source.WEDGE, wall_time=clock.now(), clock_offset_s=0.0,
                     app_version="0.1.0")
    assert new.seq == 2  # the sequence carries on
    box.close()

    with sqlite3.connect(path) as conn:
        code = conn.execute("SELECT last_error_code FROM punches WHERE seq = 1").fetchone()
    conn.close()
    assert code == ("timeout",)
    again = Outbox(path, clock)  # a second open finds it current: nothing to do
    assert again.stats().last_problem == Problem(ProblemCode.TIMEOUT, "h:1", "slow")
    again.close()


@pytest.mark.parametrize(("version", "code"), [
    ("99", ProblemCode.OUTBOX_NEWER),  # a newer kiosk wrote it; this one was downgraded
    ("two", ProblemCode.OUTBOX_CORRUPT),  # damaged: IT must look, the punches are fine
])
def test_a_newer_or_damaged_version_is_refused_and_left_untouched(
    tmp_path: Path, version: str, code: ProblemCode
) -> None:
    clock = FakeClock()
    path = tmp_path / "outbox.sqlite3"
    Outbox(path, clock).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (version,))
    conn.close()
    before = path.read_bytes()

    with pytest.raises(OutboxError) as info:
        Outbox(path, clock)
    assert info.value.code is code
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outbox.sqlite3"]  # not moved
