"""QtMultimedia, loaded quietly, and video frames turned into the gray images the decoder
reads.

In YUV formats the Y plane *is* the gray image: it is copied out of the mapped frame with
no colour conversion (:func:`video_frame_to_gray`), honouring Qt's row padding.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from PySide6.QtCore import qInstallMessageHandler
from PySide6.QtGui import QImage

log = logging.getLogger("kiosk.scan.qt_capture")

_route_lock = threading.Lock()
NO_BACKEND = "No QtMultimedia backends found"  # what Qt says when plugins/multimedia is missing


@contextmanager
def qt_messages_to_log() -> Iterator[list[str]]:
    """Route Qt's messages to this module's log at INFO while the block runs; yields the
    list they are collected in.

    Loading QtMultimedia prints warnings about optional libraries it probes for (here:
    "Couldn't load pipewire-0.3 library" when PipeWire is absent; Qt then reads V4L2
    itself). They are facts about the machine, not faults: logged, not alarming.
    """
    messages: list[str] = []

    def route(mode: object, context: object, message: str) -> None:
        messages.append(message)
        log.info("QtMultimedia %s: %s", getattr(context, "category", "") or "", message)

    with _route_lock:
        previous = qInstallMessageHandler(route)
        try:
            yield messages
        finally:
            qInstallMessageHandler(previous)


# Every QtMultimedia name the capture uses, imported once here with the messages routed.
with qt_messages_to_log():  # ImportError here: the "qt" backend is not installed
    from PySide6.QtMultimedia import (  # noqa: F401 - QCamera... are for qt_capture
        QCamera,
        QMediaCaptureSession,
        QMediaDevices,
        QVideoFrame,
        QVideoFrameFormat,
        QVideoSink,
    )

PF = QVideoFrameFormat.PixelFormat

# Formats whose plane 0 is the full-size luma, one byte per pixel.
_Y8_PLANE = frozenset({PF.Format_NV12, PF.Format_NV21, PF.Format_YUV420P, PF.Format_YUV422P,
                       PF.Format_YV12, PF.Format_IMC1, PF.Format_IMC2, PF.Format_IMC3,
                       PF.Format_IMC4, PF.Format_Y8})
# Plane 0 is luma in 16-bit little-endian words: the high byte is the 8-bit value.
_Y16_HIGH = frozenset({PF.Format_P010, PF.Format_P016, PF.Format_Y16})
# Packed 4:2:2 (and AYUV): luma every `step` bytes from `offset`.
_PACKED = {PF.Format_YUYV: (0, 2), PF.Format_UYVY: (1, 2), PF.Format_AYUV: (1, 4),
           PF.Format_AYUV_Premultiplied: (1, 4)}
# Gray straight from the frame's bytes, no colour conversion: the formats to prefer.
LUMA_FORMATS = _Y8_PLANE | _Y16_HIGH | frozenset(_PACKED) | {PF.Format_YUV420P10}


def _rows(frame: QVideoFrame, plane: int, row_bytes: int, height: int) -> np.ndarray:
    """Plane ``plane`` of a mapped frame as (height, row_bytes), honouring bytesPerLine."""
    stride = frame.bytesPerLine(plane)
    buf = np.frombuffer(frame.bits(plane), np.uint8)
    if stride < row_bytes or buf.size < (height - 1) * stride + row_bytes:
        raise ValueError("video frame plane smaller than its size says")
    return np.lib.stride_tricks.as_strided(buf, (height, row_bytes), (stride, 1), writeable=False)


def _mapped_gray(frame: QVideoFrame, fmt: Any, w: int, h: int) -> np.ndarray | None:
    """Gray copied out of a frame mapped ReadOnly, or None for a format without plain luma."""
    if fmt in _Y8_PLANE:
        return _rows(frame, 0, w, h).copy()
    if fmt in _Y16_HIGH:
        return _rows(frame, 0, 2 * w, h)[:, 1::2].copy()
    if fmt == PF.Format_YUV420P10:  # 10-bit values in the low bits of little-endian words
        rows = _rows(frame, 0, 2 * w, h)
        words = rows[:, 0::2].astype(np.uint16) | (rows[:, 1::2].astype(np.uint16) << 8)
        return np.minimum(words >> 2, 255).astype(np.uint8)
    if fmt in _PACKED:
        offset, step = _PACKED[fmt]
        return _rows(frame, 0, step * w, h)[:, offset::step].copy()
    image_format = QVideoFrameFormat.imageFormatFromPixelFormat(fmt)
    if image_format != QImage.Format.Format_Invalid:  # RGB in memory: QImage converts, no GPU
        image = QImage(frame.bits(0), w, h, frame.bytesPerLine(0), image_format)
        return qimage_to_gray(image)
    return None


def qimage_to_gray(image: QImage) -> np.ndarray:
    """A (h, w) uint8 copy of ``image`` in gray."""
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    w, h = gray.width(), gray.height()
    buf = np.frombuffer(gray.constBits(), np.uint8)
    return np.lib.stride_tricks.as_strided(buf, (h, w), (gray.bytesPerLine(), 1)).copy()


def video_frame_to_gray(frame: QVideoFrame) -> np.ndarray:
    """The frame's luma as a (height, width) uint8 array that owns its pixels.

    YUV formats: the Y plane (high byte of 16-bit ones; every other byte of YUYV/UYVY),
    copied before unmapping and with the row padding (bytesPerLine) dropped. RGB formats:
    converted by QImage. Anything else (Jpeg, ...): ``toImage()`` then gray. Raises
    ValueError for a frame that cannot be read.
    """
    if not frame.isValid():
        raise ValueError("invalid video frame")
    w, h = frame.width(), frame.height()
    if w <= 0 or h <= 0:
        raise ValueError("empty video frame")
    fmt = frame.pixelFormat()
    if fmt != PF.Format_Jpeg:
        if not frame.map(QVideoFrame.MapMode.ReadOnly):
            raise ValueError("video frame cannot be mapped")
        try:
            gray = _mapped_gray(frame, fmt, w, h)
        finally:
            frame.unmap()
        if gray is not None:
            return gray
    image = frame.toImage()
    if image.isNull():
        raise ValueError(f"video frame in {fmt.name} cannot be converted")
    return qimage_to_gray(image)
