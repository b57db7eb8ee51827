"""Retries of aborted write transactions: a real PostgreSQL deadlock is retried and counted."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from server_stub import db
from server_stub.store import retry
from tests.helpers import databases


def test_a_deadlocked_transaction_is_run_again_and_counted(caplog):
    with databases.postgres_database() as url:
        engine = db.make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("CREATE TABLE t (k int PRIMARY KEY, v int)"))
                conn.execute(text("INSERT INTO t VALUES (1, 0), (2, 0)"))
            gate = threading.Barrier(2, timeout=10)
            runs: list[str] = []

            def txn(first: int, second: int) -> None:
                runs.append(f"{first}{second}")
                with db.write_txn(engine) as conn:
                    conn.execute(text("UPDATE t SET v = v + 1 WHERE k = :k"), {"k": first})
                    if len(runs) <= 2:
                        gate.wait()  # both hold their first row: opposite orders deadlock
                    conn.execute(text("UPDATE t SET v = v + 1 WHERE k = :k"), {"k": second})

            before = retry.counts().get("deadlock", 0)
            threads = [threading.Thread(target=retry.run, args=(lambda a=a, b=b: txn(a, b), "t"))
                       for a, b in ((1, 2), (2, 1))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            with engine.connect() as conn:
                assert conn.execute(text("SELECT sum(v) FROM t")).scalar() == 4  # both done
            assert retry.counts().get("deadlock", 0) == before + 1
            assert len(runs) == 3
            assert "deadlock, retrying" in caplog.text
        finally:
            engine.dispose()


def test_other_errors_are_not_retried():
    calls = []

    def bad() -> None:
        calls.append(1)
        raise ValueError("no")

    with pytest.raises(ValueError):
        retry.run(bad, "t")
    assert calls == [1]
