"""Real QVideoFrames built byte by byte, as a camera backend hands them to a QVideoSink.

``make_frame`` maps a new frame WriteOnly and writes a known luma into its Y plane (or its
packed Y bytes) in that format's layout; everything outside the picture (row padding:
Qt aligns bytesPerLine) is filled with ``PAD`` so a reader that ignores the stride is
caught. ``qr_luma`` is a real QR code (``qrcode``) as an 8-bit image.
"""

from __future__ import annotations

import numpy as np
import qrcode
from PySide6.QtCore import QSize

from kiosk.scan.qt_frames import QVideoFrame, QVideoFrameFormat  # imports QtMultimedia quietly

PF = QVideoFrameFormat.PixelFormat
PAD = 0xEE

Y8_PLANE = ("Format_NV12", "Format_NV21", "Format_YUV420P", "Format_YUV422P", "Format_YV12",
            "Format_IMC1", "Format_IMC2", "Format_IMC3", "Format_IMC4", "Format_Y8")
WORD_HIGH = ("Format_P010", "Format_P016", "Format_Y16")
PACKED = {"Format_YUYV": (0, 2), "Format_UYVY": (1, 2), "Format_AYUV": (1, 4)}
ALL_LUMA = Y8_PLANE + WORD_HIGH + ("Format_YUV420P10",) + tuple(PACKED)


def pattern(width: int, height: int) -> np.ndarray:
    """A luma where every pixel differs from its neighbours (so a misplaced byte shows)."""
    x = np.arange(width)[None, :]
    y = np.arange(height)[:, None]
    return ((x * 7 + y * 13 + (x * y) % 5) % 256).astype(np.uint8)


def _rows(frame: QVideoFrame, plane: int) -> np.ndarray:
    stride = frame.bytesPerLine(plane)
    buf = np.frombuffer(frame.bits(plane), np.uint8)
    buf[:] = PAD
    return buf[: buf.size // stride * stride].reshape(-1, stride)


def make_frame(fmt_name: str, luma: np.ndarray, chroma: tuple[int, int] = (128, 128)) -> QVideoFrame:
    """A frame of ``luma``'s size in format ``fmt_name`` whose Y values are ``luma``; ``chroma``
    (U, V) fills the colour bytes (128, 128: gray)."""
    fmt = getattr(PF, fmt_name)
    h, w = luma.shape
    frame = QVideoFrame(QVideoFrameFormat(QSize(w, h), fmt))
    assert frame.map(QVideoFrame.MapMode.WriteOnly)
    u, v = chroma
    try:
        y = _rows(frame, 0)[:h]
        if fmt_name in WORD_HIGH:
            y[:, 0:2 * w:2] = 0x40  # low bits: must not leak into the gray value
            y[:, 1:2 * w:2] = luma
        elif fmt_name == "Format_YUV420P10":
            words = (luma.astype(np.uint16) << 2) | 3
            y[:, 0:2 * w:2] = words & 0xFF
            y[:, 1:2 * w:2] = words >> 8
        elif fmt_name in PACKED:
            offset, step = PACKED[fmt_name]
            row = np.empty((h, step * w), np.uint8)
            if step == 2:  # YUYV: Y U Y V; UYVY: U Y V Y
                row[:, 1 - offset::4] = u
                row[:, 3 - offset::4] = v
            else:  # AYUV: A Y U V
                row[:, 0::4], row[:, 2::4], row[:, 3::4] = 255, u, v
            row[:, offset::step] = luma
            y[:, :step * w] = row
        else:
            y[:, :w] = luma
        _fill_chroma(frame, fmt_name, u, v)
    finally:
        frame.unmap()
    return frame


def _fill_chroma(frame: QVideoFrame, fmt_name: str, u: int, v: int) -> None:
    for plane in range(1, frame.planeCount()):
        buf = np.frombuffer(frame.bits(plane), np.uint8)
        if fmt_name in ("Format_P010", "Format_P016"):
            words = buf.view(np.uint16)
            words[0::2], words[1::2] = u << 8, v << 8
        elif fmt_name == "Format_YUV420P10":
            buf.view(np.uint16)[:] = (u if plane == 1 else v) << 2
        elif fmt_name in ("Format_NV12", "Format_IMC2", "Format_IMC4"):
            buf[0::2], buf[1::2] = u, v
        elif fmt_name == "Format_NV21":
            buf[0::2], buf[1::2] = v, u
        elif fmt_name in ("Format_YV12", "Format_IMC3"):  # V plane first
            buf[:] = v if plane == 1 else u
        else:
            buf[:] = u if plane == 1 else v


def qr_luma(text: str, width: int, height: int, box: int = 4) -> np.ndarray:
    """A QR code of ``text`` centred on a light gray background, ``width`` x ``height``."""
    qr = qrcode.QRCode(box_size=box, border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    code = np.asarray(qr.make_image().convert("L"), np.uint8)
    out = np.full((height, width), 200, np.uint8)
    ch, cw = code.shape
    assert ch <= height and cw <= width, "QR code larger than the frame"
    top, left = (height - ch) // 2, (width - cw) // 2
    out[top:top + ch, left:left + cw] = np.where(code > 127, 235, 20)
    return out
