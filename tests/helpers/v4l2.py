"""A fake V4L2 camera behind :class:`kiosk.scan.v4l2_capture.V4l2Device` (the camera is one
of the two things we fake).

It behaves like a driver streaming through mmap buffers: :meth:`FakeV4l2Device.deliver`
fills the next *queued* buffer (with none queued, the frame is dropped, as drivers do) and
makes the descriptor readable. The descriptor is the read end of a real pipe, so the
capture's real ``poll`` waits on it. :meth:`unplug` makes every ioctl fail with ENODEV.
"""

from __future__ import annotations

import errno
import os
from collections import deque

import numpy as np

from kiosk.scan.synthetic import qr_image
from kiosk.scan.v4l2_device import FrameFormat
from kiosk.scan.v4l2_frames import Mode


class FakeV4l2Device:
    """Attributes: ``started`` (the (mode, fps, buffers) of each start), ``stops``,
    ``closes``, ``queued`` / ``done`` (buffer indexes held by the driver), ``dropped``."""

    def __init__(self, modes: list[Mode], *, bytesperline: int = 0, open_error: OSError | None = None,
                 start_error: OSError | None = None, card: str = "Fake Webcam") -> None:
        self.card = card
        self._modes = list(modes)
        self._bytesperline = bytesperline
        self._start_error = start_error
        self.open_error = open_error
        self.path = ""
        self.started: list[tuple[Mode, float, int]] = []
        self.stops = 0
        self.closes = 0
        self.dropped = 0
        self.plugged = True
        self.buffers: list[bytearray] = []
        self.queued: deque[int] = deque()
        self.done: deque[tuple[int, int, bool]] = deque()
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        self.format: FrameFormat | None = None

    def factory(self, path: str) -> FakeV4l2Device:
        """Stands in for ``LinuxpyDevice(path)``."""
        self.path = path
        if self.open_error is not None:
            raise self.open_error
        return self

    # -- the driver side (the test drives it) ---------------------------------------

    def deliver(self, data: bytes, *, corrupt: bool = False) -> bool:
        """The camera made a frame: it lands in the next queued buffer, if there is one."""
        if not self.queued:
            self.dropped += 1
            return False
        index = self.queued.popleft()
        buf = self.buffers[index]
        buf[: len(data)] = data
        self.done.append((index, len(data), corrupt))
        os.write(self._w, b"f")
        return True

    def unplug(self) -> None:
        self.plugged = False
        os.write(self._w, b"x")  # a real driver wakes the poller on disconnect too

    # -- V4l2Device -----------------------------------------------------------------

    def _check(self) -> None:
        if self._r < 0:
            raise OSError(errno.EBADF, "Bad file descriptor")
        if not self.plugged:
            raise OSError(errno.ENODEV, "No such device")

    def fileno(self) -> int:
        return self._r

    def modes(self, width: int, height: int) -> list[Mode]:
        self._check()
        return list(self._modes)

    def start(self, mode: Mode, fps: float, buffers: int) -> FrameFormat:
        self._check()
        if self._start_error is not None:
            raise self._start_error
        self.started.append((mode, fps, buffers))
        size = mode.width * mode.height * 2 + self._bytesperline * mode.height + 4096
        self.buffers = [bytearray(size) for _ in range(buffers)]
        self.queued = deque(range(buffers))
        self.done.clear()
        bpl = self._bytesperline or (mode.width * 2 if mode.fourcc in ("YUYV", "UYVY") else mode.width)
        self.format = FrameFormat(mode.fourcc, mode.width, mode.height, bpl)
        return self.format

    def dequeue(self) -> tuple[int, int, bool] | None:
        self._check()
        if not self.done:
            return None
        os.read(self._r, 1)
        return self.done.popleft()

    def buffer(self, index: int) -> bytearray:
        return self.buffers[index]

    def requeue(self, index: int) -> None:
        self._check()
        assert index not in self.queued, "buffer queued twice"
        self.queued.append(index)

    def stop(self) -> None:
        self._check()
        self.stops += 1
        self.buffers, self.queued = [], deque()
        self.done.clear()

    def close(self) -> None:
        self.closes += 1
        if self._r >= 0:
            os.close(self._r)
            os.close(self._w)
            self._r = self._w = -1


def qr_scene(text: str, width: int, height: int, background: int = 200) -> np.ndarray:
    """The gray picture a camera would see: ``text`` as a QR code (2 px modules) centred
    on an even background; the luma the fake camera's frames are built from."""
    code = qr_image(text, box_size=2)
    scene = np.full((height, width), background, np.uint8)
    y, x = (height - code.shape[0]) // 2, (width - code.shape[1]) // 2
    scene[y : y + code.shape[0], x : x + code.shape[1]] = code
    return scene
