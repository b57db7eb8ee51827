"""Group commit: concurrent requests share one database transaction (one fsync).

A commit on SQLite with ``synchronous=FULL`` costs an fsync (~1-5 ms here) no matter how
small it is. When many terminals upload at once, each request queues its job; whichever
request thread takes the writer lock next runs *every* queued job in one transaction and
hands each job its own result. No extra thread, nothing to start or stop; with a single
client it degrades to one transaction per request.

If a group's transaction fails, each of its jobs is retried alone, so one bad job can
never fail the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

P = TypeVar("P")
R = TypeVar("R")


@dataclass
class _Job(Generic[P, R]):
    payload: P
    size: int
    result: R | None = None
    error: BaseException | None = None
    done: bool = False


@dataclass
class GroupCommitter(Generic[P, R]):
    """``run_group(payloads) -> results`` must do all of them in one transaction."""

    run_group: Callable[[list[P]], list[R]]
    max_group_size: int = 2000  # punches per transaction: bounds the latency of one group
    _queue: list[_Job[P, R]] = field(default_factory=list)
    _queue_lock: threading.Lock = field(default_factory=threading.Lock)
    _writer: threading.Lock = field(default_factory=threading.Lock)

    def submit(self, payload: P, size: int = 1) -> R:
        job: _Job[P, R] = _Job(payload, size)
        with self._queue_lock:
            self._queue.append(job)
        while True:
            with self._writer:
                if not job.done:
                    self._run(self._take())
            if job.done:
                break
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def _take(self) -> list[_Job[P, R]]:
        with self._queue_lock:
            group: list[_Job[P, R]] = []
            total = 0
            while self._queue and (not group or total + self._queue[0].size <= self.max_group_size):
                job = self._queue.pop(0)
                group.append(job)
                total += job.size
            return group

    def _run(self, group: list[_Job[P, R]]) -> None:
        if not group:
            return
        try:
            results = self.run_group([j.payload for j in group])
        except Exception as exc:  # noqa: BLE001 - isolate: retry each job on its own
            if len(group) == 1:
                group[0].error, group[0].done = exc, True
                return
            for j in group:
                self._run([j])
            return
        if len(results) != len(group):  # else the jobs left out would wait for ever
            error = RuntimeError(f"run_group returned {len(results)} results for "
                                 f"{len(group)} jobs")
            for j in group:
                j.error, j.done = error, True
            return
        for j, r in zip(group, results, strict=True):
            j.result, j.done = r, True
