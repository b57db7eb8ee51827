"""How long the GUI thread's event loop stalls, robust to a loaded machine.

A precise 5 ms QTimer ticks on the GUI thread. The gap between two ticks, less the period,
is time the loop spent on something else: its own work, or blocking (a join, a sleep, a
lock, disk). Time the thread was ready to run but waited for a CPU (other processes on a
shared 2-core machine) is not the kiosk's doing: Linux counts it per thread in
``/proc/thread-self/schedstat`` (the run-queue wait), and it is subtracted. What is left is
the stall a user would see on an idle terminal. Bounded: at most ``max_ticks`` samples.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer

SCHEDSTAT = Path("/proc/thread-self/schedstat")


def run_queue_wait_s() -> float:
    """This thread's total time waiting for a CPU (0.0 where Linux does not tell)."""
    try:
        return int(SCHEDSTAT.read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


@dataclass
class Stall:
    at_s: float  # since start()
    ms: float  # the gap beyond the period, less the run-queue wait
    gap_ms: float  # the raw gap, for the report
    label: str  # what the test was doing (mark())


@dataclass
class StallMeter:
    period_ms: int = 5
    max_ticks: int = 40_000
    stalls: list[Stall] = field(default_factory=list)
    ticks: int = 0
    label: str = ""

    def start(self, parent: QObject) -> None:
        self._timer = QTimer(parent)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(self.period_ms)
        self._timer.timeout.connect(self._tick)
        self._t0 = self._last = time.perf_counter()
        self._rq = run_queue_wait_s()
        self._timer.start()

    def mark(self, label: str) -> None:
        """Name the phase for the report ("PIN entry", "cards", "shutdown")."""
        self.label = label

    def _tick(self) -> None:
        now, rq = time.perf_counter(), run_queue_wait_s()
        gap_ms = (now - self._last) * 1000
        own_ms = gap_ms - self.period_ms - (rq - self._rq) * 1000
        self.stalls.append(Stall(now - self._t0, max(0.0, own_ms), gap_ms, self.label))
        self._last, self._rq = time.perf_counter(), run_queue_wait_s()  # the reads excluded
        self.ticks += 1
        if self.ticks >= self.max_ticks:
            self._timer.stop()

    def stop(self) -> None:
        self._timer.stop()

    def worst(self, n: int = 5) -> list[Stall]:
        return sorted(self.stalls, key=lambda s: s.ms, reverse=True)[:n]

    @property
    def longest_ms(self) -> float:
        return max((s.ms for s in self.stalls), default=0.0)
