"""Scan policies (Qt-free): one badge held up is one scan, and a repeat is not a second punch.

:class:`Debouncer` turns "the same text in consecutive frames" into one scan event, allowing
a frame or two in which the decoder missed it (motion blur, glare). :class:`Cooldown`
remembers when each badge was last *recorded*, so a second scan inside the window is shown
as "already recorded at 08:57" rather than punching again — the most common kiosk
complaint is rapid re-scans corrupting check-in/check-out pairs. Checking and marking are
separate on purpose: the window starts only once the punch was durably recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .clock import Clock


class Debouncer:
    """Reports a text once when it appears, again only after it left the view.

    A text counts as gone after ``max_dropout + 1`` consecutive frames without it.
    """

    def __init__(self, max_dropout: int = 2) -> None:
        if max_dropout < 0:
            raise ValueError("max_dropout must be >= 0")
        self.max_dropout = max_dropout
        self._missing: dict[str, int] = {}  # text in view -> frames since last seen

    def feed(self, texts: Iterable[str]) -> list[str]:
        """Texts decoded in one frame -> the texts that are new scans (in frame order)."""
        seen = list(dict.fromkeys(texts))
        new = [t for t in seen if t not in self._missing]
        for text in list(self._missing):
            if text not in seen:
                self._missing[text] += 1
                if self._missing[text] > self.max_dropout:
                    del self._missing[text]
        for text in seen:
            self._missing[text] = 0
        return new

    def in_view(self) -> frozenset[str]:
        return frozenset(self._missing)

    def reset(self) -> None:
        self._missing.clear()


class Cooldown:
    """Per-badge repeat window of ``window_s`` seconds, measured on the monotonic clock.

    ``last_seen`` keeps the wall-clock time of the recorded punch for the message; the
    window itself uses monotonic time, so a wall-clock correction cannot open or close it.
    """

    def __init__(self, window_s: float, clock: Clock, max_entries: int = 10_000) -> None:
        if window_s < 0:
            raise ValueError("window_s must be >= 0")
        self.window_s = float(window_s)
        self._clock = clock
        self._max = max_entries
        self._marks: dict[str, tuple[datetime, float]] = {}

    def last_seen(self, badge_id: str) -> datetime | None:
        """When the badge's last punch inside the window was recorded, else None."""
        entry = self._marks.get(badge_id)
        if entry is None:
            return None
        if self._clock.monotonic() - entry[1] >= self.window_s:
            del self._marks[badge_id]
            return None
        return entry[0]

    def is_repeat(self, badge_id: str) -> bool:
        """True when a scan of ``badge_id`` now falls inside the window (no new punch)."""
        return self.last_seen(badge_id) is not None

    def mark(self, badge_id: str, when: datetime | None = None) -> None:
        """Start the window for ``badge_id``: call after its punch was durably recorded."""
        if when is None:
            when = self._clock.now()
        self._marks[badge_id] = (when, self._clock.monotonic())
        if len(self._marks) > self._max:
            self._prune()

    def forget(self, badge_id: str) -> None:
        self._marks.pop(badge_id, None)

    def _prune(self) -> None:
        now = self._clock.monotonic()
        self._marks = {k: v for k, v in self._marks.items() if now - v[1] < self.window_s}
        while len(self._marks) > self._max:  # all still inside the window: drop the oldest
            oldest = min(self._marks, key=lambda k: self._marks[k][1])
            del self._marks[oldest]
