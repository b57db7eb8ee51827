"""The audit trail on a real SQLite file: entries come back newest first, filterable."""

from __future__ import annotations

from pathlib import Path

from server_stub import audit, db


def test_entries_round_trip_newest_first(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    db.metadata.create_all(engine)
    with db.write_txn(engine) as conn:
        audit.record(conn, at=10.0, actor="cli", action="terminal_added", target="T1")
        audit.record(conn, at=20.0, actor="anonymous", action="enroll_failed",
                     client="10.0.0.7", detail={"reason": "unknown_code"})
    got = audit.entries(engine)
    assert [e.action for e in got] == ["enroll_failed", "terminal_added"]
    assert got[0].client == "10.0.0.7" and got[0].detail == {"reason": "unknown_code"}
    assert [e.target for e in audit.entries(engine, action="terminal_added")] == ["T1"]
    assert [e.at for e in audit.entries(engine, since=15.0)] == [20.0]
    engine.dispose()


def test_entry_rolls_back_with_its_transaction(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    db.metadata.create_all(engine)
    try:
        with db.write_txn(engine) as conn:
            audit.record(conn, at=1.0, actor="cli", action="x")
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    assert audit.entries(engine) == []
    engine.dispose()
