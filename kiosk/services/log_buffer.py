"""The last log lines in memory, for the status panel (no file read on the GUI thread).

Their times are in the zone the panel uses for everything else (the site's, once the
roster says it): a "Last sync" in Berlin time beside log lines in UTC read as an hour off.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from datetime import datetime, tzinfo


class LogBuffer(logging.Handler):
    """A logging handler that keeps the last ``capacity`` formatted lines."""

    def __init__(self, capacity: int = 200) -> None:
        super().__init__(level=logging.INFO)
        self._lines: collections.deque[str] = collections.deque(maxlen=capacity)
        self._guard = threading.Lock()
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                            "%H:%M:%S"))
        self._tz: tzinfo | None = None

    def set_timezone(self, tz: tzinfo | None) -> None:
        """Format the lines logged from now on in ``tz`` (None: the machine's zone)."""
        self._tz = tz
        formatter = self.formatter
        assert formatter is not None
        formatter.converter = (
            time.localtime if tz is None
            else lambda secs: datetime.fromtimestamp(secs or 0.0, tz).timetuple())

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
