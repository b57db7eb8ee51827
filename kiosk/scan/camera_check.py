"""The camera check IT reads on the status panel (Qt-free): frame rate, focus, brightness and
the read rate over the last frames.

Cheap enough for every frame: focus and brightness come from a thumbnail (every 4th pixel of
every 4th row) of one frame in ``sample_every``; the read rate counts, over the last
``window`` frames, how many of those in which the decoder *located* a code it also read. A
low rate with a located code means blur, glare or a badge held too far, not "no badge".
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CameraCheck:
    """Attributes:
        fps: frames decoded per second.
        brightness: mean gray level 0-255 (about 60-200 reads well).
        focus: variance of the Laplacian of the thumbnail (higher is sharper; compare the
            same camera before and after, there is no absolute threshold).
        located / read: frames among the last ``frames`` with a code located / read.
    """

    fps: float = 0.0
    brightness: float = 0.0
    focus: float = 0.0
    frames: int = 0
    located: int = 0
    read: int = 0

    @property
    def read_rate(self) -> float | None:
        return self.read / self.located if self.located else None


def thumbnail_gray(frame: np.ndarray, step: int = 4) -> np.ndarray:
    """Every ``step``-th pixel of every ``step``-th row, as float gray (BGR averaged)."""
    small = frame[::step, ::step]
    return small.mean(axis=2, dtype=np.float32) if small.ndim == 3 else small.astype(np.float32)


def focus_measure(gray: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian: the usual sharpness figure (Pech-Pacheco 2000)."""
    if gray.shape[0] < 3 or gray.shape[1] < 3:
        return 0.0
    lap = (gray[1:-1, :-2] + gray[1:-1, 2:] + gray[:-2, 1:-1] + gray[2:, 1:-1]
           - 4 * gray[1:-1, 1:-1])
    return float(lap.var())


class CameraMeter:
    """Fed by the scan worker after each decode; :meth:`check` is the figure to show."""

    def __init__(self, window: int = 100, sample_every: int = 5) -> None:
        self._window: deque[tuple[bool, bool]] = deque(maxlen=max(1, window))
        self._sample_every = max(1, sample_every)
        self._count = 0
        self._brightness = 0.0
        self._focus = 0.0

    def feed(self, frame: np.ndarray, located: bool, read: bool) -> None:
        self._window.append((located or read, read))
        if self._count % self._sample_every == 0 and isinstance(frame, np.ndarray) and frame.ndim in (2, 3):
            gray = thumbnail_gray(frame)
            if gray.size:
                self._brightness = float(gray.mean())
                self._focus = focus_measure(gray)
        self._count += 1

    def check(self, fps: float) -> CameraCheck:
        located = sum(1 for loc, _ in self._window if loc)
        read = sum(1 for _, ok in self._window if ok)
        return CameraCheck(round(fps, 1), round(self._brightness, 1), round(self._focus, 1),
                           len(self._window), located, read)
