"""A Linux camera read straight from V4L2 with linuxpy: no OpenCV, no Qt Multimedia.

:class:`V4l2Capture` opens ``/dev/video<index>``, picks the mode closest to the configured
size and rate (:func:`~kiosk.scan.v4l2_frames.choose_mode`), streams through a few mmap
buffers and returns gray frames. Each :meth:`V4l2Capture.read` waits on the device's file
descriptor with ``poll`` for at most ``timeout_s`` (so the scan worker stops promptly),
then takes *every* filled buffer, keeps the newest and hands the others straight back to
the driver: the frame returned is the latest the camera made, never a backlog.

The device itself sits behind :class:`V4l2Device` (a handful of ioctls), so tests can put
a fake camera there; :class:`LinuxpyDevice` is the real one. A camera that is absent,
busy, not readable by this user or unplugged mid-stream never raises out of this module:
the capture is simply not open (or ``read`` returns None) and :attr:`V4l2Capture.error`
says why, for the status panel.
"""

from __future__ import annotations

import errno
import logging
import select
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from .v4l2_device import FrameFormat, LinuxpyDevice, NotACamera, V4l2Device
from .v4l2_frames import (
    PREVIEW_FORMATS,
    SUPPORTED_FORMATS,
    choose_mode,
    frame_to_gray,
    frame_to_rgb_half,
)

log = logging.getLogger(__name__)

DEFAULT_BUFFERS = 4  # enough that a slow decode still finds a recent frame queued
DEFAULT_TIMEOUT_S = 1.0


def v4l2_unavailable() -> str:
    """Why the ``v4l2`` camera backend cannot run here, as a sentence ("" when it can)."""
    if not sys.platform.startswith("linux"):
        return (f"The v4l2 camera backend works on Linux only (this system is {sys.platform}); "
                'use backend = "auto" or "qt".')
    try:
        import linuxpy.video.device  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - a broken install is "unavailable", said in the sentence
        return f"The v4l2 camera backend needs the linuxpy package, which cannot be imported ({exc})."
    return ""


def open_error_reason(path: str, exc: BaseException) -> str:
    """Why ``path`` could not be opened, for "Camera 0: <reason>" in the status panel."""
    code = getattr(exc, "errno", None)
    if isinstance(exc, NotACamera):
        return f"{path} {exc.strerror or 'is not a video capture device'}"
    if code in (errno.ENOENT, errno.ENXIO, errno.ENODEV):
        return f"no camera at {path} (is it plugged in?)"
    if code in (errno.EACCES, errno.EPERM):
        return f"permission denied on {path} (add the kiosk user to the 'video' group)"
    if code == errno.EBUSY:
        return f"{path} is busy (another program is using the camera)"
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"cannot use {path} ({reason})"


class V4l2Capture:
    """Camera ``index`` through V4L2: ``is_open()``, ``read()``, ``configure()``, ``release()``.

    Streaming starts at :meth:`configure` (or the first :meth:`read`), at the mode closest
    to the size and rate asked for.

    Attributes:
        name: the camera's product name ("HD Webcam C525"), "" when not open.
        error: why the camera is not open or was lost, e.g. "permission denied on
            /dev/video0 (add the kiosk user to the 'video' group)"; "" while it works.
        format: the :class:`FrameFormat` being streamed, or None.
        last_frame: the gray frame ``read`` returned last.
    """

    def __init__(
        self,
        index: int,
        *,
        width: int = 1280,
        height: int = 720,
        fps: float = 30,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        buffers: int = DEFAULT_BUFFERS,
        device_factory: Callable[[str], V4l2Device] | None = None,
        path: str | None = None,
    ) -> None:
        self.index = index
        self.path = path or f"/dev/video{index}"
        self.name = ""
        self.error = ""
        self.format: FrameFormat | None = None
        self.last_frame: np.ndarray | None = None
        self._last_raw: bytes | None = None  # the last frame's bytes, for a colour preview
        self._timeout = timeout_s
        self._buffers = max(2, buffers)
        self._wanted = (width, height, fps)
        self._device: V4l2Device | None = None
        factory = device_factory or LinuxpyDevice
        try:
            self._device = factory(self.path)
            self.name = self._device.card
        except OSError as exc:
            self._fail(open_error_reason(self.path, exc))

    # -- the capture protocol ----------------------------------------------------

    def is_open(self) -> bool:
        return self._device is not None

    def configure(self, width: int, height: int, fps: float) -> None:
        """Choose the mode closest to this size and rate and start streaming (restarting
        only when it changes). A camera busy with another program is found here: the
        capture is then not open, and :attr:`error` says so."""
        if self._device is None or (self.format is not None and (width, height, fps) == self._wanted):
            return
        self._wanted = (width, height, fps)
        try:
            if self.format is not None:
                self.format = None
                self._device.stop()
            self._start(width, height, fps)
        except OSError as exc:
            self._fail(open_error_reason(self.path, exc))

    def read(self) -> np.ndarray | None:
        """The newest gray frame, waiting at most ``timeout_s``; None when there is none."""
        if self._device is not None and self.format is None:
            self.configure(*self._wanted)  # read without configure: the constructor's size
        device = self._device
        if device is None:
            return None
        try:
            poller = select.poll()  # not select(): no limit on the descriptor's number
            poller.register(device.fileno(), select.POLLIN)
            if not poller.poll(self._timeout * 1000):
                return None  # no frame in time; the caller counts the miss
            newest = self._take_newest(device)  # POLLERR/POLLHUP too: DQBUF says what it is
        except (OSError, ValueError) as exc:
            self._lose(exc)
            return None
        if newest is None:
            return None
        index, used, corrupt = newest
        frame = None
        try:
            if corrupt:
                log.debug("camera %d: the driver flagged a frame as corrupt", self.index)
            else:
                frame = self._convert(device.buffer(index), used)
            device.requeue(index)
        except OSError as exc:
            self._lose(exc)
            return None
        if frame is not None:
            self.last_frame = frame
        return frame

    def release(self) -> None:
        """Stop streaming and close the device; safe to call twice."""
        device, self._device = self._device, None
        self.format = None
        self.last_frame = None
        self._last_raw = None
        if device is not None:
            try:
                device.close()
            except OSError as exc:
                log.debug("camera %d: closing %s: %s", self.index, self.path, exc)

    def preview(self) -> Any:
        """A colour QImage of the frame ``read`` returned last, at the frame's size (so a
        code's outline lands right), made from half the resolution: from YUYV/UYVY and
        MJPEG frames. None for the gray-only formats: their gray frame is the preview."""
        fmt, raw, frame = self.format, self._last_raw, self.last_frame
        if fmt is None or raw is None or frame is None:
            return None
        rgb = frame_to_rgb_half(fmt.fourcc, raw, fmt.width, fmt.height, fmt.bytesperline)
        if rgb is None:
            return None
        h, w = rgb.shape[:2]
        image = QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888)
        fh, fw = frame.shape[:2]
        if (w, h) == (fw, fh):
            return image.copy()  # owns its pixels (rgb is freed on return)
        return image.scaled(fw, fh, Qt.AspectRatioMode.IgnoreAspectRatio,
                            Qt.TransformationMode.FastTransformation)

    # -- inside ------------------------------------------------------------------

    def _start(self, width: int, height: int, fps: float) -> None:
        assert self._device is not None
        offered = self._device.modes(width, height)
        mode = choose_mode(offered, width, height, fps)
        if mode is None:
            names = sorted({m.fourcc for m in offered}) or ["none"]
            raise NotACamera(errno.EINVAL, "offers no picture format the kiosk can read "
                             f"(it offers {', '.join(names)}; needs one of {', '.join(sorted(SUPPORTED_FORMATS))})")
        rate = min(fps, mode.fps) if mode.fps > 0 else fps
        self.format = self._device.start(mode, rate, self._buffers)
        log.info("camera %d: %s %dx%d at %g fps (asked %dx%d at %g)", self.index, self.format.fourcc,
                 self.format.width, self.format.height, rate, width, height, fps)

    def _take_newest(self, device: V4l2Device) -> tuple[int, int, bool] | None:
        """Dequeue every filled buffer, give all but the newest back to the driver."""
        newest = None
        for _ in range(self._buffers + 1):  # bounded: the driver has at most that many
            got = device.dequeue()
            if got is None:
                break
            if newest is not None:
                device.requeue(newest[0])
            newest = got
        return newest

    def _convert(self, buffer: Any, used: int) -> np.ndarray | None:
        fmt = self.format
        assert fmt is not None
        view = memoryview(buffer)[:used] if used else memoryview(buffer)
        try:
            frame = frame_to_gray(fmt.fourcc, view, fmt.width, fmt.height, fmt.bytesperline)
            if frame is not None and fmt.fourcc in PREVIEW_FORMATS:
                self._last_raw = bytes(view)  # the buffer goes back to the driver now
        finally:
            del view
        if frame is None:
            log.debug("camera %d: dropped a bad %s frame (%d bytes)", self.index, fmt.fourcc, used)
        return frame

    def _lose(self, exc: BaseException) -> None:
        code = getattr(exc, "errno", None)
        gone = code in (errno.ENODEV, errno.EIO, errno.ENXIO)
        reason = "was disconnected" if gone else f"failed ({getattr(exc, 'strerror', None) or exc})"
        self._fail(f"{self.path} {reason}")

    def _fail(self, reason: str) -> None:
        log.info("camera %d: %s", self.index, reason)
        self.release()
        self.error = reason
