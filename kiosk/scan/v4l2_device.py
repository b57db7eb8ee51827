"""The V4L2 device behind :class:`~kiosk.scan.v4l2_capture.V4l2Capture`: a few ioctls.

:class:`V4l2Device` is the seam (tests put a fake camera there); :class:`LinuxpyDevice` is
the real one, a ``/dev/video*`` node opened non-blocking and driven with linuxpy's ioctl
wrappers (linuxpy is imported only when one is opened, so this module loads anywhere).
"""

from __future__ import annotations

import errno
import logging
import os
from typing import Any, NamedTuple, Protocol

from .v4l2_frames import SUPPORTED_FORMATS, Mode, fourcc_text

log = logging.getLogger(__name__)


class FrameFormat(NamedTuple):
    """What the driver agreed to stream (it may differ from what was asked)."""

    fourcc: str
    width: int
    height: int
    bytesperline: int


class NotACamera(OSError):
    """The device node exists but cannot capture video (e.g. a UVC metadata node)."""


class V4l2Device(Protocol):
    """The few V4L2 operations a capture needs; an OSError from any means the device is lost."""

    card: str  # the camera's product name, from VIDIOC_QUERYCAP

    def fileno(self) -> int: ...
    def modes(self, width: int, height: int) -> list[Mode]: ...
    def start(self, mode: Mode, fps: float, buffers: int) -> FrameFormat: ...
    def dequeue(self) -> tuple[int, int, bool] | None:
        """(buffer index, bytes used, driver flagged it corrupt), or None when none is ready."""
    def buffer(self, index: int) -> Any: ...
    def requeue(self, index: int) -> None: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...


class LinuxpyDevice:
    """A ``/dev/video*`` node driven with linuxpy's ioctl wrappers (opened non-blocking)."""

    def __init__(self, path: str) -> None:
        from linuxpy.video import device as v4l2  # imported here: Linux only

        # linuxpy logs every ioctl at DEBUG: ~100 lines a second while streaming, which
        # would flood the kiosk's log whenever [log] level = "DEBUG"
        logging.getLogger("linuxpy.ioctl").setLevel(logging.INFO)

        self._v4l2 = v4l2
        self._type = v4l2.BufferType.VIDEO_CAPTURE
        self._mmap = v4l2.Memory.MMAP
        self._maps: list[Any] = []
        self._streaming = False
        self.card = ""
        self._fd = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            self._check_capabilities()
        except OSError:
            os.close(self._fd)
            raise

    def _check_capabilities(self) -> None:
        v4l2 = self._v4l2
        try:
            caps = v4l2.read_capabilities(self._fd)
        except OSError as exc:
            if exc.errno in (errno.ENOTTY, errno.EINVAL):
                raise NotACamera(exc.errno, "is not a V4L2 video device") from exc
            raise
        self.card = bytes(caps.card).split(b"\0", 1)[0].decode("utf-8", "replace").strip()
        flags = caps.device_caps if caps.capabilities & v4l2.Capability.DEVICE_CAPS else caps.capabilities
        if not flags & v4l2.Capability.VIDEO_CAPTURE:
            raise NotACamera(errno.EINVAL, "is not a video capture device (a USB camera's second "
                             "node carries metadata: try the camera number before it)")
        if not flags & v4l2.Capability.STREAMING:
            raise NotACamera(errno.EINVAL, "cannot stream through memory buffers")

    def fileno(self) -> int:
        return self._fd

    def modes(self, width: int, height: int) -> list[Mode]:
        v4l2 = self._v4l2
        found: list[Mode] = []
        for fmt in v4l2.iter_read_formats(self._fd, self._type):
            fourcc = fourcc_text(fmt.pixel_format)
            if fourcc not in SUPPORTED_FORMATS:
                continue
            try:
                for size in v4l2.iter_read_frame_sizes(self._fd, fmt.pixel_format):
                    for w, h in _sizes(size, v4l2.FrameSizeType.DISCRETE, width, height):
                        for ft in v4l2.iter_read_frame_intervals(self._fd, fmt.pixel_format, w, h):
                            found.append(Mode(fourcc, w, h, float(ft.max_fps or 0)))
            except (ValueError, ZeroDivisionError) as exc:  # a driver reporting nonsense
                log.debug("skipping %s sizes: %s", fourcc, exc)
        return found

    def start(self, mode: Mode, fps: float, buffers: int) -> FrameFormat:
        v4l2 = self._v4l2
        v4l2.set_format(self._fd, self._type, mode.width, mode.height, mode.fourcc)
        got = v4l2.get_raw_format(self._fd, self._type).fmt.pix
        try:
            v4l2.set_fps(self._fd, self._type, fps)
        except OSError as exc:  # some drivers have a fixed rate
            log.debug("driver refused %g fps: %s", fps, exc)
        req = v4l2.request_buffers(self._fd, self._type, self._mmap, buffers)
        for i in range(req.count):
            buf = v4l2.query_buffer(self._fd, self._type, self._mmap, i)
            self._maps.append(v4l2.mem_map(self._fd, buf.length, buf.m.offset))
        for i in range(req.count):
            v4l2.enqueue_buffer(self._fd, self._type, self._mmap, 0, i)
        v4l2.stream_on(self._fd, self._type)
        self._streaming = True
        return FrameFormat(fourcc_text(got.pixelformat), got.width, got.height, got.bytesperline)

    def dequeue(self) -> tuple[int, int, bool] | None:
        try:
            buf = self._v4l2.dequeue_buffer(self._fd, self._type, self._mmap)
        except BlockingIOError:
            return None
        return buf.index, buf.bytesused, bool(buf.flags & self._v4l2.BufferFlag.ERROR)

    def buffer(self, index: int) -> Any:
        return self._maps[index]

    def requeue(self, index: int) -> None:
        self._v4l2.enqueue_buffer(self._fd, self._type, self._mmap, 0, index)

    def stop(self) -> None:
        if self._streaming:
            self._streaming = False
            self._v4l2.stream_off(self._fd, self._type)
        self._unmap()
        self._v4l2.free_buffers(self._fd, self._type, self._mmap)

    def close(self) -> None:
        if self._fd < 0:
            return
        try:
            if self._streaming:
                self._streaming = False
                self._v4l2.stream_off(self._fd, self._type)
        except OSError:
            pass  # an unplugged camera: closing the descriptor frees everything
        finally:
            self._unmap()
            fd, self._fd = self._fd, -1
            os.close(fd)

    def _unmap(self) -> None:
        maps, self._maps = self._maps, []
        for m in maps:
            try:
                m.close()
            except BufferError:  # a view still alive: the mapping goes with it
                pass


def _sizes(size: Any, discrete: Any, width: int, height: int) -> list[tuple[int, int]]:
    """The sizes one frame-size entry offers: itself, or for a range the wanted size fitted
    into it (stepped) and the largest."""
    info = size.info
    if size.type == discrete:
        return [(int(info.width), int(info.height))]

    def fit(value: int, lo: int, hi: int, step: int) -> int:
        value = min(max(value, lo), hi)
        return lo + (value - lo) // max(step, 1) * max(step, 1)

    wanted = (fit(width, info.min_width, info.max_width, info.step_width),
              fit(height, info.min_height, info.max_height, info.step_height))
    largest = (int(info.max_width), int(info.max_height))
    return [wanted] if wanted == largest else [wanted, largest]
