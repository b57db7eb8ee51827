"""Telling a keyboard-wedge scanner from a person typing, by inter-key timing (Qt-free).

A USB scanner in keyboard mode "types" the code: a character every few milliseconds,
usually ending with Enter. People are far slower (50-300 ms between keys, rarely under 30
for more than a pair of rolled letters). The detector therefore holds each printable key
back for a moment: while keys keep arriving faster than ``max_interkey_ms`` they join the
candidate burst; a burst of at least ``min_length`` characters ended by Enter (or Tab) or by
a pause is a scan, anything shorter is given back (``release``) so the person's keys still
reach the text field, in order, a few milliseconds late.

Scanners with two outputs enabled (keyboard and serial, or a "send twice" setting) type
every code twice: the same code again right after the first (with or without an Enter
between), so a repeat that starts within ``double_ms`` of the first's last key is dropped
and counted in ``doubled``, never a second scan.

Callers attach an opaque ``payload`` to each key (the Qt reader stores the event to replay).
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass, field, replace
from typing import Any

TERMINATORS = frozenset("\r\n\t")


@dataclass
class BurstResult:
    """What to do after one key.

    Attributes:
        code: a complete scanner burst, or None.
        release: held payloads to give back (replay) in order; before the current key.
        hold: True when the current key is held (or consumed) and must not pass now.
    """

    code: str | None = None
    release: list[Any] = field(default_factory=list)
    hold: bool = False


@dataclass(frozen=True)
class BurstInfo:
    """How the last code arrived, for the status panel's scanner check.

    Attributes:
        text: the code as typed.
        median_gap_ms / max_gap_ms: time between its keys.
        enter: True when an Enter (or Tab) ended it, False when a pause did.
        doubled: True when the scanner typed it twice (the copy was dropped).
    """

    text: str
    median_gap_ms: float
    max_gap_ms: float
    enter: bool
    doubled: bool = False


class BurstDetector:
    """Feed keys with timestamps (ms); get scanner codes and the keys to give back.

    ``last_burst`` describes the last code (a :class:`BurstInfo`), ``doubled`` counts the
    doubled outputs dropped.
    """

    def __init__(
        self,
        max_interkey_ms: float = 30.0,
        min_length: int = 8,
        max_length: int = 1024,
        double_ms: float = 1000.0,
    ) -> None:
        if max_interkey_ms <= 0 or min_length < 1 or double_ms < 0:
            raise ValueError("max_interkey_ms must be > 0, min_length >= 1, double_ms >= 0")
        self.max_interkey_ms = float(max_interkey_ms)
        self.min_length = int(min_length)
        self.max_length = int(max_length)
        self.double_ms = float(double_ms)
        self.doubled = 0  # repeats dropped as a scanner's doubled output
        self.last_burst: BurstInfo | None = None
        self._chars: list[str] = []
        self._payloads: list[Any] = []
        self._times: list[float] = []
        self._first_ts = 0.0
        self._last_ts = 0.0
        self._last_code: tuple[str, float] | None = None  # the last code and its last key's time
        self._ended_by: float | None = None  # when the last code's Enter came, until the next key

    @property
    def pending(self) -> bool:
        """True while keys are held back waiting for the next key or the end of a pause."""
        return bool(self._chars)

    @property
    def end_gap_ms(self) -> float:
        """How long after the last key a burst without Enter counts as ended."""
        return max(2 * self.max_interkey_ms, 40.0)

    def key(self, char: str, ts_ms: float, payload: Any = None) -> BurstResult:
        """One key press: ``char`` is its text (one character; "\\r"/"\\n"/"\\t" end a burst)."""
        if char in TERMINATORS:
            return self._terminator(ts_ms)
        if len(char) != 1 or not char.isprintable():
            result = self.flush()  # a non-text key (arrow, backspace) ends any burst
            return result
        result = BurstResult()
        if self._chars and not 0 <= ts_ms - self._last_ts <= self.max_interkey_ms:
            result = self.flush()  # a pause (or a clock that went back) ends the burst
        if not self._chars:
            self._first_ts = ts_ms
        self._ended_by = None
        self._chars.append(char)
        self._times.append(ts_ms)
        self._payloads.append(payload)
        self._last_ts = ts_ms
        result.hold = True
        if len(self._chars) >= self.max_length:  # no person types this; no badge is this long
            done = self.flush()
            result.code, result.release = result.code or done.code, result.release + done.release
        return result

    def _terminator(self, ts_ms: float) -> BurstResult:
        fast = 0 <= ts_ms - self._last_ts <= self.max_interkey_ms * 3  # scanners may pause before Enter
        if self._chars and fast and len(self._chars) >= self.min_length:
            self._last_ts = ts_ms
            self._ended_by = ts_ms
            return BurstResult(code=self._take(enter=True), hold=True)  # its Enter is consumed too
        if not self._chars and self._ended_by is not None and fast:
            self._ended_by = None  # the second half of a CR LF suffix: consumed as well
            return BurstResult(hold=True)
        return self.flush()

    def flush(self) -> BurstResult:
        """End the candidate burst now (a pause, or a non-text key arrived)."""
        if not self._chars:
            return BurstResult()
        if len(self._chars) >= self.min_length:
            return BurstResult(code=self._take(enter=False))
        released = list(self._payloads)
        self._clear()
        return BurstResult(release=released)

    def _take(self, *, enter: bool) -> str | None:
        """The burst as a code, or None when it is the scanner's doubled output."""
        code = "".join(self._chars)
        gaps = [b - a for a, b in itertools.pairwise(self._times)] or [0.0]
        self._clear()
        half = len(code) // 2
        glued = half >= self.min_length and code[:half] == code[half:]  # doubled, no Enter between
        if glued:
            code = code[:half]
            self.doubled += 1
        last, self._last_code = self._last_code, (code, self._last_ts)
        if last is not None and last[0] == code and 0 <= self._first_ts - last[1] <= self.double_ms:
            self.doubled += 1
            if self.last_burst is not None and self.last_burst.text == code:
                self.last_burst = replace(self.last_burst, doubled=True)
            return None
        self.last_burst = BurstInfo(code, round(statistics.median(gaps), 1), round(max(gaps), 1),
                                    enter, doubled=glued)
        return code

    def expired(self, now_ms: float) -> bool:
        """True when the pause since the last key has ended the candidate burst."""
        return bool(self._chars) and now_ms - self._last_ts >= self.end_gap_ms

    def _clear(self) -> None:
        self._chars.clear()
        self._payloads.clear()
        self._times.clear()
