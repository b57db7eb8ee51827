"""Two real ``kiosk-server serve`` processes on one PostgreSQL database, behind no proxy:
the kiosk's own client fails over between them while one is SIGKILLed and restarted ten
times. Nothing is lost, nothing stored twice, no sequence gap; a request one replica
answered is refused by the other.

The replicas are forked from a process that imported the server once
(:class:`benchmarks.replicas.ForkedReplica`): each is its own serve process, killed with
SIGKILL mid-upload, but a restart takes ~1 s instead of a cold start's several (the ten
cold restarts, under closed-loop load, took 3.5 min). The terminals pause 0.1 s between
batches, as doors do, which leaves the cores to the replica restarting.
``python -m benchmarks.server_scale`` makes the same kills with cold starts.
"""

from __future__ import annotations

import time

import pytest

from benchmarks.replicas import (
    FailoverTerminal,
    ForkedReplica,
    ReplicaForker,
    enrol,
    replays_accepted,
    run_kills,
    stored_rows,
    verify,
)
from server_stub.admin import Admin
from tests.helpers import databases

pytestmark = pytest.mark.slow  # ~30 s

KILLS = 10
TERMINALS = 6
BATCH = 10
PAUSE_S = 0.1  # between a terminal's batches
PER_TERMINAL = 5000  # a bound: the terminals stop after the kills (or at the deadline)
DEADLINE_S = 150  # for the kills; the terminals then get 60 s more to drain


@pytest.fixture
def pg_url():
    with databases.postgres_database("replicas", schema=True) as url:
        yield url


def test_kill_one_replica_ten_times_while_terminals_upload(tmp_path, pg_url):
    admin = Admin.init(tmp_path / "data", database_url=pg_url)
    forker = ReplicaForker(tmp_path / "replicas.log")
    try:
        admin.add_site("HQ", "Head office", "Europe/Berlin")
        admin.add_shift("day", "09:00", "17:00", 5, weekdays="all")
        tokens = []
        for i in range(20):
            admin.add_employee(f"E{i}", f"Person {i}", "HQ", "day")
            tokens.append(admin.issue_badge(f"E{i}").token)
        a, b = ForkedReplica(tmp_path / "data", forker), ForkedReplica(tmp_path / "data", forker)
        a.launch()
        b.launch()
        try:
            a.wait_ready()
            b.wait_ready()
            creds = [enrol(a.url, admin.add_terminal(f"Door {i}", "HQ"))
                     for i in range(TERMINALS)]
            assert replays_accepted(a.url, b.url, *creds[0], tokens[0]) == 0
            assert replays_accepted(b.url, a.url, *creds[0], tokens[0]) == 0
            deadline = time.monotonic() + DEADLINE_S
            # most prefer the replica that gets killed; one prefers the other
            terms = [FailoverTerminal([b.url, a.url] if i == 0 else [a.url, b.url], tid, secret,
                                      tokens, PER_TERMINAL, BATCH, deadline + 60,
                                      pause_s=PAUSE_S)
                     for i, (tid, secret) in enumerate(creds)]
            kills = run_kills(a, terms, KILLS, down_s=0.0, deadline=deadline)
        finally:
            a.stop()
            b.stop()
        assert [t.error for t in terms] == [None] * TERMINALS
        assert kills == a.kills == KILLS
        figures = verify(terms, stored_rows(admin.engine, [t.terminal_id for t in terms]))
        created = sum(len(t.created) for t in terms)
        assert created == sum(t.acknowledged for t in terms) > KILLS * BATCH
        assert figures == {"created": created, "stored": created,
                           "lost": 0, "duplicates": 0, "gaps": 0, "unexpected": 0}
        assert sum(t.failed_over for t in terms[1:]) > 0, "no failover: the kills missed"
    finally:
        forker.close()
        admin.close()
