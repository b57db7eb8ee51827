"""A V4L2 camera driver emulated at the ioctl boundary (the camera is what we may fake).

:class:`IoctlCamera` answers the ioctls linuxpy sends (QUERYCAP, ENUM_FMT, ENUM_FRAMESIZES,
ENUM_FRAMEINTERVALS, S_FMT/G_FMT, S_PARM, REQBUFS, QUERYBUF, QBUF, DQBUF, STREAMON/OFF)
by filling linuxpy's real ctypes structures, the way a kernel driver does. Its "device
node" is a regular file sized for the buffers, so the capture's ``mmap`` calls are real and
a frame the test :meth:`deliver`\\ s is written into the file and seen through the mapping.
Install it with ``monkeypatch.setattr(linuxpy.video.device, "ioctl", camera.ioctl)``; it
answers only for its own file and hands any other descriptor to the real ioctl.
"""

from __future__ import annotations

import errno
import mmap
import os
from collections import deque
from pathlib import Path

from linuxpy.ioctl import ioctl as real_ioctl
from linuxpy.video import raw

SIZES = dict[str, list[tuple[int, int, list[int]]]]  # fourcc -> [(w, h, [fps, ...])]


def _fourcc(text: str) -> int:
    return int.from_bytes(text.encode("ascii"), "little")


class IoctlCamera:
    """Attributes: ``path`` (the node to open), ``calls`` (ioctl names in order),
    ``fps_set``, ``streaming``, ``queued`` / ``done`` (buffer indexes), ``gone``."""

    def __init__(self, folder: Path, formats: SIZES, *, card: str = "Emulated Cam",
                 capabilities: int = raw.Capability.VIDEO_CAPTURE | raw.Capability.STREAMING,
                 padding: int = 0) -> None:
        self.formats = formats
        self.card = card
        self.capabilities = capabilities
        self.padding = padding
        self.path = folder / "video0"
        self.buffer_size = 4 * mmap.PAGESIZE
        self.path.write_bytes(b"")
        self.calls: list[str] = []
        self.fmt: tuple[str, int, int] | None = None
        self.fps_set: float | None = None
        self.streaming = False
        self.count = 0
        self.queued: deque[int] = deque()
        self.done: deque[tuple[int, int]] = deque()
        self.gone = False

    # -- the camera side ------------------------------------------------------------

    def bytesperline(self) -> int:
        assert self.fmt is not None
        fourcc, width, _ = self.fmt
        return width * (2 if fourcc in ("YUYV", "UYVY") else 1) + self.padding

    def deliver(self, data: bytes) -> bool:
        """A frame into the next queued buffer (written through the file, as DMA would)."""
        assert len(data) <= self.buffer_size, "frame larger than the buffers"
        if not self.streaming or not self.queued:
            return False
        index = self.queued.popleft()
        with open(self.path, "r+b") as f:
            f.seek(index * self.buffer_size)
            f.write(data)
        self.done.append((index, len(data)))
        return True

    # -- the driver side --------------------------------------------------------------

    def _mine(self, fd: object) -> bool:
        try:
            number = fd if isinstance(fd, int) else fd.fileno()  # type: ignore[attr-defined]
            return os.path.samefile(f"/proc/self/fd/{number}", self.path)
        except (OSError, AttributeError):
            return False

    def ioctl(self, fd: object, request: int, *args: object) -> object:
        if not self._mine(fd):
            return real_ioctl(fd, request, *args)
        name = raw.IOC(request).name
        self.calls.append(name)
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")
        arg = args[0] if args else None
        handler = getattr(self, f"_{name.lower()}", None)
        if handler is None:
            raise OSError(errno.ENOTTY, "Inappropriate ioctl for device")
        handler(arg)
        return arg

    def _querycap(self, caps: raw.v4l2_capability) -> None:
        caps.driver = b"emulated"
        caps.card = self.card.encode()
        caps.capabilities = self.capabilities | raw.Capability.DEVICE_CAPS
        caps.device_caps = self.capabilities

    def _enum_fmt(self, desc: raw.v4l2_fmtdesc) -> None:
        names = list(self.formats)
        if desc.index >= len(names):
            raise OSError(errno.EINVAL, "Invalid argument")
        desc.pixelformat = _fourcc(names[desc.index])
        desc.description = names[desc.index].encode()

    def _sizes(self, pixel_format: int) -> list[tuple[int, int, list[int]]]:
        for fourcc, sizes in self.formats.items():
            if _fourcc(fourcc) == pixel_format:
                return sizes
        raise OSError(errno.EINVAL, "Invalid argument")

    def _enum_framesizes(self, size: raw.v4l2_frmsizeenum) -> None:
        sizes = self._sizes(size.pixel_format)
        if size.index >= len(sizes):
            raise OSError(errno.EINVAL, "Invalid argument")
        size.type = raw.Frmsizetypes.DISCRETE
        size.discrete.width, size.discrete.height = sizes[size.index][:2]

    def _enum_frameintervals(self, ival: raw.v4l2_frmivalenum) -> None:
        for w, h, rates in self._sizes(ival.pixel_format):
            if (w, h) == (ival.width, ival.height):
                if ival.index >= len(rates):
                    raise OSError(errno.EINVAL, "Invalid argument")
                ival.type = raw.Frmivaltypes.DISCRETE
                ival.discrete.numerator, ival.discrete.denominator = 1, rates[ival.index]
                return
        raise OSError(errno.EINVAL, "Invalid argument")

    def _s_fmt(self, fmt: raw.v4l2_format) -> None:
        if self.count:
            raise OSError(errno.EBUSY, "Device or resource busy")
        pix = fmt.fmt.pix
        fourcc = pix.pixelformat.to_bytes(4, "little").decode()
        w, h, _ = self._sizes(pix.pixelformat)[0]  # like drivers: adjust to a size it has
        for sw, sh, _ in self._sizes(pix.pixelformat):
            if (sw, sh) == (pix.width, pix.height):
                w, h = sw, sh
        self.fmt = (fourcc, w, h)
        self._g_fmt(fmt)

    def _g_fmt(self, fmt: raw.v4l2_format) -> None:
        assert self.fmt is not None
        fourcc, w, h = self.fmt
        pix = fmt.fmt.pix
        pix.pixelformat, pix.width, pix.height = _fourcc(fourcc), w, h
        pix.bytesperline = self.bytesperline()
        pix.sizeimage = self.bytesperline() * h

    def _s_parm(self, parm: raw.v4l2_streamparm) -> None:
        tpf = parm.parm.capture.timeperframe
        self.fps_set = tpf.denominator / tpf.numerator

    def _reqbufs(self, req: raw.v4l2_requestbuffers) -> None:
        if self.streaming:
            raise OSError(errno.EBUSY, "Device or resource busy")
        self.count = min(req.count, 8)
        req.count = self.count
        if self.fmt is not None:  # each buffer holds a frame, rounded up to whole pages
            size = max(self.bytesperline() * self.fmt[2], 1)
            self.buffer_size = -(-size // mmap.PAGESIZE) * mmap.PAGESIZE
        self.queued.clear()
        self.done.clear()
        with open(self.path, "r+b") as f:
            f.truncate(self.count * self.buffer_size)

    def _querybuf(self, buf: raw.v4l2_buffer) -> None:
        if buf.index >= self.count:
            raise OSError(errno.EINVAL, "Invalid argument")
        buf.length = self.buffer_size
        buf.m.offset = buf.index * self.buffer_size

    def _qbuf(self, buf: raw.v4l2_buffer) -> None:
        if buf.index >= self.count or buf.index in self.queued:
            raise OSError(errno.EINVAL, "Invalid argument")
        self.queued.append(buf.index)

    def _dqbuf(self, buf: raw.v4l2_buffer) -> None:
        if not self.done:
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        buf.index, buf.bytesused = self.done.popleft()
        buf.flags = raw.BufferFlag.DONE

    def _streamon(self, _arg: object) -> None:
        self.streaming = True

    def _streamoff(self, _arg: object) -> None:
        self.streaming = False
        self.queued.clear()
        self.done.clear()
