"""Frame pacing for sources that could otherwise deliver frames as fast as the CPU allows."""

from __future__ import annotations

import time
from collections.abc import Callable


class Pacer:
    """Holds a loop to ``fps`` ticks per second; ``fps <= 0`` means unpaced.

    The clock and the sleep are passed in so tests can run a paced source without waiting.
    If the caller falls behind by more than one frame the schedule restarts from now instead
    of bursting to catch up (a camera drops frames; it does not replay them faster).
    """

    def __init__(
        self,
        fps: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.period = 1.0 / fps if fps > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def wait(self) -> None:
        if self.period <= 0:
            return
        now = self._clock()
        if self._next is None or now - self._next > self.period:
            self._next = now
        delay = self._next - now
        if delay > 0:
            self._sleep(delay)
        self._next += self.period
