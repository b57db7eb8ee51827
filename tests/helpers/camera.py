"""Fake cameras for tests (the camera is one of the two things we fake).

:class:`FakeCameraDevice` is a USB camera that can be unplugged and plugged back;
its :meth:`factory` stands in for a capture backend (QtMultimedia, OpenCV) in
:class:`CameraSource`.
:class:`ListSource` is a :class:`FrameSource` that plays given frames.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from kiosk.scan.sources import FrameSource


class FakeCapture:
    """An opened camera (the ``Capture`` protocol), backed by a :class:`FakeCameraDevice`."""

    def __init__(self, device: FakeCameraDevice, opened: bool) -> None:
        self._device = device
        self._opened = opened
        self.name = device.name
        self.configured: tuple[int, int, int] | None = None
        self.released = False

    def is_open(self) -> bool:
        return self._opened and not self.released

    def read(self) -> np.ndarray | None:
        if self.released or not self._opened or not self._device.plugged:
            return None
        return self._device.next_frame()

    def configure(self, width: int, height: int, fps: int) -> None:
        self.configured = (width, height, fps)

    def release(self) -> None:
        self.released = True


class FakeCameraDevice:
    """A camera on a USB port: ``plugged`` can be switched while a source is using it."""

    def __init__(self, frames: Sequence[np.ndarray] | None = None, plugged: bool = True,
                 name: str = "") -> None:
        self.plugged = plugged
        self.name = name
        self._frames = list(frames) if frames else [np.zeros((48, 64, 3), np.uint8)]
        self._i = 0
        self.opens = 0
        self.captures: list[FakeCapture] = []

    def next_frame(self) -> np.ndarray:
        frame = self._frames[self._i % len(self._frames)]
        self._i += 1
        return frame

    def factory(self, index: int) -> FakeCapture:
        self.opens += 1
        cap = FakeCapture(self, opened=self.plugged)
        self.captures.append(cap)
        return cap


class ListSource(FrameSource):
    """Plays ``frames`` once (then None, or loops); counts reads; closes observably."""

    def __init__(self, frames: Sequence[np.ndarray | None], loop: bool = False,
                 on_read: Callable[[int], None] | None = None) -> None:
        self._frames = list(frames)
        self._loop = loop
        self._i = 0
        self._on_read = on_read
        self.closed = threading.Event()
        self.reads = 0
        self.state = "ok"
        self.state_detail = "Test frames."

    def read(self) -> np.ndarray | None:
        if self.closed.is_set():
            return None
        self.reads += 1
        if self._on_read:
            self._on_read(self.reads)
        if self._i >= len(self._frames):
            if not self._loop:
                return None
            self._i = 0
        frame = self._frames[self._i]
        self._i += 1
        return frame

    def close(self) -> None:
        self.closed.set()
