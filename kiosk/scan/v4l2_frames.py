"""V4L2 frames to gray images, and the choice of a camera mode: pure functions, no device.

The decoder wants one 8-bit gray plane. Most webcam formats carry it as is: YUYV/UYVY
interleave the luma (Y) with the chroma, GREY is nothing else, and the 4:2:0 planar
formats (NV12, NV21, YU12, YV12) start with a full Y plane. So a raw frame becomes gray by
numpy slicing, no colour maths. MJPEG (what webcams send at high size and rate over USB 2)
is decoded by Pillow's libjpeg with ``draft("L")``, which makes libjpeg skip the chroma and
the colour conversion altogether.

Every function here takes the bytes a driver filled (``bytesperline`` may include padding
at the end of each row) and returns a new array that owns its pixels (the driver's buffer
is handed back to it right after), or None for a frame that is too short or corrupt.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
from PIL import Image

log = logging.getLogger(__name__)

#: fourcc -> (bytes per pixel in the first plane, offset of Y in it)
PACKED_YUV = {"YUYV": (2, 0), "YVYU": (2, 0), "UYVY": (2, 1), "VYUY": (2, 1)}
#: formats whose first plane is the gray image itself
LUMA_PLANE = frozenset({"GREY", "NV12", "NV21", "NV16", "NV61", "YU12", "YV12", "422P"})
JPEG_FORMATS = frozenset({"MJPG", "JPEG"})
RAW_FORMATS = frozenset(PACKED_YUV) | LUMA_PLANE
SUPPORTED_FORMATS = RAW_FORMATS | JPEG_FORMATS


class Mode(NamedTuple):
    """One way a camera can stream: pixel format, size and frame rate (0: not told)."""

    fourcc: str
    width: int
    height: int
    fps: float


def fourcc_text(code: int) -> str:
    """``0x56595559`` -> ``"YUYV"`` (a V4L2 pixel format number as its four letters)."""
    return int(code).to_bytes(4, "little").decode("latin-1")


# ---------------------------------------------------------------------------- conversions


def _rows(data: bytes | memoryview, width_bytes: int, height: int, stride: int) -> np.ndarray | None:
    """The (height, width_bytes) view of a plane whose rows start ``stride`` bytes apart."""
    if width_bytes <= 0 or height <= 0:
        return None
    stride = max(stride, width_bytes)
    buf = np.frombuffer(data, dtype=np.uint8)
    needed = stride * (height - 1) + width_bytes  # the last row needs no padding
    if buf.size < needed:
        log.debug("frame too short: %d bytes, %d needed", buf.size, needed)
        return None
    return np.lib.stride_tricks.as_strided(buf, shape=(height, width_bytes), strides=(stride, 1), writeable=False)


def packed_to_gray(data: bytes | memoryview, width: int, height: int, bytesperline: int = 0, *,
                   y_offset: int = 0) -> np.ndarray | None:
    """Gray from packed 4:2:2 (YUYV: ``y_offset=0``; UYVY: ``y_offset=1``)."""
    rows = _rows(data, width * 2, height, bytesperline or width * 2)
    if rows is None:
        return None
    return rows[:, y_offset::2].copy()


def plane_to_gray(data: bytes | memoryview, width: int, height: int, bytesperline: int = 0) -> np.ndarray | None:
    """Gray from GREY, or the Y plane that opens NV12/NV21/YU12/YV12 (the chroma is ignored)."""
    rows = _rows(data, width, height, bytesperline or width)
    return None if rows is None else rows.copy()


def jpeg_to_gray(data: bytes | memoryview) -> np.ndarray | None:
    """Gray from one MJPEG frame, decoded by libjpeg straight to gray; None when corrupt.

    Webcams' MJPEG frames often lack the Huffman tables; libjpeg-turbo (in Pillow's
    wheels) supplies the standard ones, as the MJPEG convention expects.
    """
    blob = bytes(data)
    if blob[:2] != b"\xff\xd8":
        log.debug("MJPEG frame dropped: no JPEG start marker (%d bytes)", len(blob))
        return None
    try:
        with Image.open(io.BytesIO(blob), formats=["JPEG"]) as img:
            img.draft("L", img.size)
            gray = img if img.mode == "L" else img.convert("L")
            return np.array(gray, dtype=np.uint8)
    except Exception as exc:  # noqa: BLE001 - a camera's bytes are untrusted: a bad frame is a lost frame
        log.debug("MJPEG frame dropped: %s: %s (%d bytes)", type(exc).__name__, exc, len(blob))
        return None


def frame_to_gray(fourcc: str, data: bytes | memoryview, width: int, height: int,
                  bytesperline: int = 0) -> np.ndarray | None:
    """Gray from a frame in any of :data:`SUPPORTED_FORMATS`; None for a bad frame."""
    if fourcc in PACKED_YUV:
        return packed_to_gray(data, width, height, bytesperline, y_offset=PACKED_YUV[fourcc][1])
    if fourcc in LUMA_PLANE:
        return plane_to_gray(data, width, height, bytesperline)
    if fourcc in JPEG_FORMATS:
        return jpeg_to_gray(data)
    raise ValueError(f"unsupported pixel format {fourcc!r}")


# ---------------------------------------------------------------------------- colour preview

#: packed 4:2:2 fourcc -> positions of Y, U (Cb), V (Cr) in each 4-byte group of two pixels
_PACKED_ORDER = {"YUYV": (0, 1, 3), "YVYU": (0, 3, 1), "UYVY": (1, 0, 2), "VYUY": (1, 2, 0)}
PREVIEW_FORMATS = frozenset(_PACKED_ORDER) | JPEG_FORMATS


# video range (Y 16-235, Cb/Cr 16-240, as UVC webcams send) stretched to the full range
# that Pillow's YCbCr -> RGB (JPEG's BT.601 matrix) expects
_Y_FULL = np.clip((np.arange(256) - 16) * 255 / 219 + 0.5, 0, 255).astype(np.uint8)
_C_FULL = np.clip((np.arange(256) - 128) * 255 / 224 + 128.5, 0, 255).astype(np.uint8)


def packed_to_rgb_half(fourcc: str, data: bytes | memoryview, width: int, height: int,
                       bytesperline: int = 0) -> np.ndarray | None:
    """A half-size RGB picture of a packed 4:2:2 frame: one pixel per 2x2 block (the first
    luma of each pair, every other row, with the pair's chroma). A quarter of the pixels and
    Pillow's C colour conversion: ~2.5 ms at 1280x720, cheap enough for the preview."""
    rows = _rows(data, width * 2, height, bytesperline or width * 2)
    if rows is None or width < 2:
        return None
    iy, iu, iv = _PACKED_ORDER[fourcc]
    groups = rows[::2, : (width // 2) * 4].reshape(-1, width // 2, 4)
    ycc = np.empty(groups.shape[:2] + (3,), np.uint8)
    ycc[..., 0] = _Y_FULL[groups[..., iy]]
    ycc[..., 1] = _C_FULL[groups[..., iu]]
    ycc[..., 2] = _C_FULL[groups[..., iv]]
    return np.array(Image.fromarray(ycc, "YCbCr").convert("RGB"), dtype=np.uint8)


def jpeg_to_rgb_half(data: bytes | memoryview) -> np.ndarray | None:
    """A half-size RGB picture of an MJPEG frame (libjpeg scales while decoding); None if corrupt."""
    try:
        with Image.open(io.BytesIO(bytes(data)), formats=["JPEG"]) as img:
            img.draft("RGB", (max(1, img.width // 2), max(1, img.height // 2)))
            return np.array(img.convert("RGB"), dtype=np.uint8)
    except Exception as exc:  # noqa: BLE001 - untrusted camera bytes: no preview for this frame
        log.debug("MJPEG preview dropped: %s: %s", type(exc).__name__, exc)
        return None


def frame_to_rgb_half(fourcc: str, data: bytes | memoryview, width: int, height: int,
                      bytesperline: int = 0) -> np.ndarray | None:
    """A half-size RGB preview of a frame in :data:`PREVIEW_FORMATS`; None for other formats
    (their gray frame is the preview) or a bad frame."""
    if fourcc in _PACKED_ORDER:
        return packed_to_rgb_half(fourcc, data, width, height, bytesperline)
    if fourcc in JPEG_FORMATS:
        return jpeg_to_rgb_half(data)
    return None


# ---------------------------------------------------------------------------- mode choice

_FPS_TOLERANCE = 0.95  # 29.97 counts as 30


def choose_mode(modes: Iterable[Mode], width: int, height: int, fps: float) -> Mode | None:
    """The mode to ask for, given what the camera offers and what the config wants.

    A mode *reaches* the request when it is at least as large and as fast (an unknown rate
    counts as fast enough). Among the modes that reach it, a raw format beats MJPEG (no
    decoding, no compression artefacts on the code), then the smallest picture (less to
    decode), then the slowest rate. When none reaches it, the one that falls least short
    (in pixels and rate, as fractions of the request) wins, raw before MJPEG on a tie.
    None when the camera offers no format the kiosk can read.
    """
    usable = [m for m in modes if m.fourcc in SUPPORTED_FORMATS and m.width > 0 and m.height > 0]
    if not usable:
        return None
    want_area = max(1, width * height)

    def fast_enough(m: Mode) -> bool:
        return m.fps <= 0 or m.fps >= fps * _FPS_TOLERANCE

    def reaches(m: Mode) -> bool:
        return m.width >= width and m.height >= height and fast_enough(m)

    def shortfall(m: Mode) -> float:
        size = max(0.0, 1.0 - (m.width * m.height) / want_area)
        rate = 0.0 if fast_enough(m) else 1.0 - m.fps / max(fps, 1e-9)
        return size + rate

    def is_jpeg(m: Mode) -> bool:
        return m.fourcc in JPEG_FORMATS

    reaching = [m for m in usable if reaches(m)]
    if reaching:
        return min(reaching, key=lambda m: (is_jpeg(m), m.width * m.height, m.fps if m.fps > 0 else fps))
    return min(usable, key=lambda m: (round(shortfall(m), 6), is_jpeg(m), -m.width * m.height, -m.fps))
