"""The last log lines in memory, for the status panel (no file read on the GUI thread)."""

from __future__ import annotations

import collections
import logging
import threading


class LogBuffer(logging.Handler):
    """A logging handler that keeps the last ``capacity`` formatted lines."""

    def __init__(self, capacity: int = 200) -> None:
        super().__init__(level=logging.INFO)
        self._lines: collections.deque[str] = collections.deque(maxlen=capacity)
        self._guard = threading.Lock()
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                            "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a bad format argument must never break the caller
            return
        with self._guard:
            self._lines.append(line)

    def lines(self, n: int = 20) -> list[str]:
        with self._guard:
            return list(self._lines)[-n:]
