"""Estimating (server time - terminal wall time) from the answers the server gives anyway.

Each answer that carries ``server_time`` (``/time``, batch results, 401 bodies) is one
sample: the server stamped it somewhere inside the round trip, so we compare it with the
local wall clock at the round trip's midpoint (NTP's assumption of a symmetric path). The
HTTP ``Date`` header (1 s resolution) is used only while no better sample exists.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from kiosk.core.clock import Clock

log = logging.getLogger(__name__)

JUMP_S = 2.0  # a sample this far from the estimate means a clock was stepped: take it
SMOOTHING = 0.3
# A server time outside these years is a broken or fake server, never a clock to follow.
PLAUSIBLE_FROM = datetime(2020, 1, 1, tzinfo=timezone.utc)
PLAUSIBLE_TO = datetime(2100, 1, 1, tzinfo=timezone.utc)


def plausible(server_time: datetime) -> bool:
    """True for an aware time in 2020-2100 (False, never OverflowError, for year 1 +14:00)."""
    if server_time.tzinfo is None or server_time.utcoffset() is None:
        return False
    try:
        return PLAUSIBLE_FROM <= server_time.astimezone(timezone.utc) < PLAUSIBLE_TO
    except OverflowError:
        return False


class ClockOffset:
    """Thread-safe running estimate; ``offset_s`` is 0.0 until the first sample."""

    def __init__(self, clock: Clock, initial_s: float | None = None) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._offset = initial_s or 0.0
        self._known = initial_s is not None
        self._precise = False
        self._warned = False
        self.samples = 0
        self.ignored = 0  # implausible server times seen (and not followed)

    @property
    def offset_s(self) -> float:
        with self._lock:
            return self._offset

    @property
    def known(self) -> bool:
        with self._lock:
            return self._known

    @property
    def precise(self) -> bool:
        """True once a sub-second sample (a body's server_time) was taken."""
        with self._lock:
            return self._precise

    def server_now(self) -> datetime:
        """The terminal's best guess of the server's current time."""
        return self._clock.now() + timedelta(seconds=self.offset_s)

    def observe(self, sent_wall: datetime, rtt_s: float, server_time: datetime) -> float:
        """Take one sample: the request left at ``sent_wall`` and took ``rtt_s`` to answer.

        An implausible ``server_time`` is ignored (logged once): the estimate stays as it was.
        """
        if not self._plausible(server_time):
            return self.offset_s
        midpoint = sent_wall + timedelta(seconds=max(rtt_s, 0.0) / 2)
        sample = (server_time - midpoint).total_seconds()
        with self._lock:
            if not self._precise or abs(sample - self._offset) > JUMP_S:
                self._offset = sample
            else:
                self._offset += SMOOTHING * (sample - self._offset)
            self._known = True
            self._precise = True
            self.samples += 1
            return self._offset

    def observe_date_header(self, sent_wall: datetime, rtt_s: float, date: str | None) -> None:
        """Use an HTTP ``Date`` header, but only until a precise sample arrives."""
        if not date or self.precise:
            return
        try:
            server_time = parsedate_to_datetime(date)
        except (TypeError, ValueError, IndexError):
            return
        if not self._plausible(server_time):
            return
        midpoint = sent_wall + timedelta(seconds=max(rtt_s, 0.0) / 2)
        sample = (server_time - midpoint).total_seconds() + 0.5  # Date truncates the second
        with self._lock:
            if not self._precise and (not self._known or abs(sample - self._offset) > 1.0):
                self._offset = sample
                self._known = True

    def _plausible(self, server_time: datetime) -> bool:
        if plausible(server_time):
            return True
        with self._lock:
            self.ignored += 1
            first, self._warned = not self._warned, True
        if first:
            log.warning("ignoring an implausible server time (outside 2020-2100); the clock "
                        "offset stays %.3f s", self.offset_s)
        return False
