"""GroupCommitter: every submitter gets its own answer, or an error - never a wait for ever."""

from __future__ import annotations

import threading

import pytest

from server_stub.group_commit import GroupCommitter


def test_each_submitter_gets_its_own_result_from_concurrent_groups() -> None:
    calls: list[list[int]] = []
    gc: GroupCommitter[int, int] = GroupCommitter(
        run_group=lambda ps: calls.append(list(ps)) or [p * 10 for p in ps])
    results: dict[int, int] = {}
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, gc.submit(i)))
               for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == {i: i * 10 for i in range(20)}
    assert sorted(p for c in calls for p in c) == list(range(20))  # each ran exactly once


def test_a_group_runner_that_drops_a_result_fails_the_job_instead_of_hanging() -> None:
    gc: GroupCommitter[int, int] = GroupCommitter(run_group=lambda ps: [p for p in ps][:-1])
    outcome: list[BaseException] = []

    def submit() -> None:
        try:
            gc.submit(1)
        except RuntimeError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=submit, daemon=True)  # daemon: a regression must not
    worker.start()                                          # keep the test process alive
    worker.join(30)
    assert not worker.is_alive(), "the submitter was left spinning"
    assert outcome and "0 results for 1 jobs" in str(outcome[0])


def test_a_failing_group_is_retried_job_by_job() -> None:
    def run(ps: list[int]) -> list[int]:
        if 13 in ps:
            raise ValueError("bad job")
        return ps

    gc: GroupCommitter[int, int] = GroupCommitter(run_group=run)
    assert gc.submit(7) == 7
    with pytest.raises(ValueError):
        gc.submit(13)
