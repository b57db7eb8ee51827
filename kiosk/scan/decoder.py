"""QR decoding: raw backends (zxing-cpp, pyzbar) and the kiosk's two-pass pipeline.

Pass 1 is one zxing-cpp call on the gray frame (QR only), the cheapest read there is. Most
frames hold no code and zxing-cpp finds no finder pattern in them, so they stop there. Only
when pass 1 *located* a code but could not read it (a checksum error: curved paper, glare,
uneven light) does pass 2 try other views of the same frame — another binarizer, the
located region upscaled and sharpened, or contrast-equalised, zbar — in order of cost,
stopping at the first read. Measured on the shared real photos this reads more than any
single decoder without moving the median time (see docs/scan.md).

The kiosk's runtime needs no OpenCV (numpy and Pillow do the image work, see
:mod:`kiosk.scan.imageops`); :class:`OpenCvDecoder` imports it only for comparisons.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import zxingcpp

from kiosk.core.text import exact_text, is_binary_text, text_from_bytes

from .imageops import bgr_to_gray, clahe, sharpened_2x, upscale
from .opencv import DECODER_NEEDS_OPENCV, load_cv2

Backend = Literal["zxingcpp", "pyzbar"]
BACKENDS: tuple[str, ...] = ("zxingcpp", "pyzbar")

Polygon = list[tuple[int, int]]


class DecoderUnavailable(Exception):
    """A decoder backend cannot run here (e.g. pyzbar without the zbar library)."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """One code found in a frame. ``text`` starts with :data:`BINARY_MARKER` for binary
    content; ``polygon`` is the code's corners in frame pixels (clockwise from top-left);
    ``exact`` is the content itself, control characters included (see :func:`exact_text`)."""

    text: str
    polygon: Polygon = field(default_factory=list)
    exact: str | None = None

    @property
    def content(self) -> str:
        """The exact content when the decoder gave it, else ``text``."""
        return self.text if self.exact is None else self.exact

    @property
    def binary(self) -> bool:
        return is_binary_text(self.text)


def to_gray(frame: np.ndarray) -> np.ndarray:
    """A contiguous 8-bit single-channel view of a BGR, BGRA or gray frame."""
    if not isinstance(frame, np.ndarray) or frame.ndim not in (2, 3) or frame.size == 0:
        raise ValueError("not an image")
    if frame.dtype != np.uint8:
        frame = np.clip(frame, 0, 255).astype(np.uint8)
    if frame.ndim == 3:
        channels = frame.shape[2]
        if channels == 1:
            frame = frame[:, :, 0]
        elif channels in (3, 4):
            frame = bgr_to_gray(frame)
        else:
            raise ValueError(f"unsupported image with {channels} channels")
    return np.ascontiguousarray(frame)


# ---------------------------------------------------------------------------- backends


class RawDecoder(Protocol):
    name: str

    def decode_gray(self, gray: np.ndarray) -> list[Decoded]:
        """Every readable QR code in a gray image."""


def _zx_polygon(position: Any) -> Polygon:
    return [
        (int(p.x), int(p.y))
        for p in (
            position.top_left,
            position.top_right,
            position.bottom_right,
            position.bottom_left,
        )
    ]


class ZxingDecoder:
    """zxing-cpp, QR only, with its default options (the raw baseline)."""

    name = "zxingcpp"

    def __init__(self, binarizer: Any = None) -> None:
        self._binarizer = binarizer or zxingcpp.Binarizer.LocalAverage

    def read(self, gray: np.ndarray, *, return_errors: bool = False) -> list[Any]:
        return list(
            zxingcpp.read_barcodes(
                gray,
                formats=zxingcpp.BarcodeFormat.QRCode,
                binarizer=self._binarizer,
                text_mode=zxingcpp.TextMode.Plain,  # the content, not "<SOH>" placeholders
                return_errors=return_errors,
            )
        )

    @staticmethod
    def convert(results: list[Any], offset: tuple[int, int] = (0, 0), scale: float = 1.0) -> list[Decoded]:
        out = []
        for r in results:
            if not r.valid:
                continue
            raw = bytes(r.bytes)
            transcoded = r.text if r.content_type != zxingcpp.ContentType.Binary else None
            text = text_from_bytes(raw, transcoded)
            poly = [
                (int(round(x / scale)) + offset[0], int(round(y / scale)) + offset[1])
                for x, y in _zx_polygon(r.position)
            ]
            out.append(Decoded(text, poly, exact_text(raw, transcoded)))
        return out

    def decode_gray(self, gray: np.ndarray) -> list[Decoded]:
        return self.convert(self.read(gray))


def _load_pyzbar() -> Any:
    try:
        from pyzbar import pyzbar
    except (ImportError, OSError) as exc:
        raise DecoderUnavailable(
            "The pyzbar decoder needs the zbar library (on Debian/Ubuntu: apt install libzbar0); "
            'install it or set [camera] decoder = "zxingcpp".'
        ) from exc
    return pyzbar


class PyzbarDecoder:
    """zbar through pyzbar, QR only. Raises :class:`DecoderUnavailable` without libzbar."""

    name = "pyzbar"

    def __init__(self) -> None:
        self._pyzbar = _load_pyzbar()
        self._symbols = [self._pyzbar.ZBarSymbol.QRCODE]

    def decode_gray(self, gray: np.ndarray, offset: tuple[int, int] = (0, 0)) -> list[Decoded]:
        out = []
        for r in self._pyzbar.decode(gray, symbols=self._symbols):
            poly = [(int(p.x) + offset[0], int(p.y) + offset[1]) for p in r.polygon]
            raw = bytes(r.data)
            out.append(Decoded(text_from_bytes(raw), poly, exact_text(raw)))
        return out


class OpenCvDecoder:
    """OpenCV's QRCodeDetector, for benchmarks only (slow and weaker on photos).

    OpenCV is an optional extra (``pip install 'checkin-kiosk[video]'``), imported here and
    nowhere in the kiosk's frame path; without it this raises :class:`DecoderUnavailable`.
    """

    name = "opencv"

    def __init__(self) -> None:
        cv2 = load_cv2(DECODER_NEEDS_OPENCV, DecoderUnavailable)
        self._det = cv2.QRCodeDetector()

    def decode_gray(self, gray: np.ndarray) -> list[Decoded]:
        text, points, _ = self._det.detectAndDecode(gray)
        if not text:
            return []
        poly = [(int(x), int(y)) for x, y in points.reshape(-1, 2)] if points is not None else []
        return [Decoded(text_from_bytes(text.encode("utf-8", "surrogatepass")), poly, text)]


def make_raw_decoder(name: str) -> RawDecoder:
    if name == "zxingcpp":
        return ZxingDecoder()
    if name == "pyzbar":
        return PyzbarDecoder()
    if name == "opencv":
        return OpenCvDecoder()
    raise ValueError(f"unknown decoder {name!r}; choose one of {', '.join(BACKENDS)}")


# ---------------------------------------------------------------------------- pipeline


class ScanPipeline:
    """The kiosk's decoder: ``decode(frame) -> list[Decoded]``; never raises on a bad frame.

    ``backend="zxingcpp"`` (default) runs the two-pass pipeline described above;
    ``backend="pyzbar"`` runs zbar alone. ``last_ms`` is the time the last call took.
    """

    def __init__(self, backend: str = "zxingcpp", *, second_pass: bool = True) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown decoder {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.backend = backend
        self.second_pass = second_pass
        self.last_ms = 0.0
        self.last_pass = 0  # 0: nothing located, 1: pass 1 answered, 2: pass 2 tried
        self.last_step = ""  # the pass-2 step that read the last frame ("" if none did)
        self._zx = ZxingDecoder()
        self._zx_global = ZxingDecoder(zxingcpp.Binarizer.GlobalHistogram)
        self._zbar: PyzbarDecoder | None = None
        if backend == "pyzbar":
            self._zbar = PyzbarDecoder()
        self._zbar_tried = backend == "pyzbar"
        self.decode(np.full((480, 640), 255, np.uint8))  # warm up: the first call pays set-up costs

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        start = time.perf_counter()
        self.last_step = ""
        try:
            gray = to_gray(frame)
            if self._zbar is not None and self.backend == "pyzbar":
                found = self._zbar.decode_gray(gray)
                self.last_pass = 1 if found else 0
            else:
                found = self._decode_zx(gray)
        except (ValueError, TypeError, RuntimeError):
            found = []
        self.last_ms = (time.perf_counter() - start) * 1000.0
        return _unique(found)

    def _decode_zx(self, gray: np.ndarray) -> list[Decoded]:
        results = self._zx.read(gray, return_errors=True)
        found = ZxingDecoder.convert(results)
        located = [r for r in results if not r.valid]
        if found or not located or not self.second_pass:
            self.last_pass = 1 if found else 0
            return found
        self.last_pass = 2
        return self._second_pass(gray, located)

    def _second_pass(self, gray: np.ndarray, located: list[Any]) -> list[Decoded]:
        # 1. another binarizer over the whole frame (cheap: the same call, ~0.2 ms)
        found = self._zx_global.decode_gray(gray)
        if found:
            return self._rescued("global", found)
        # 2. the located region upscaled 2x and sharpened (defocus, motion blur); the wide
        #    margin matters: the binarizer needs the light surround to set its thresholds
        wide, (x0, y0) = _crop_around(gray, located, margin=0.6)
        found = ZxingDecoder.convert(self._zx.read(sharpened_2x(wide)), offset=(x0, y0), scale=2.0)
        if found:
            return self._rescued("sharpened", found)
        # 3. the located region upscaled 1.5x with local contrast equalised (uneven light,
        #    creased cloth)
        crop, (cx0, cy0) = _crop_around(gray, located, margin=0.25)
        found = ZxingDecoder.convert(
            self._zx_global.read(clahe(upscale(crop, 1.5))), offset=(cx0, cy0), scale=1.5
        )
        if found:
            return self._rescued("equalised", found)
        # 4. zbar on the region, when the library is there (an optional extra reader)
        zbar = self._fallback_zbar()
        if zbar is not None:
            found = zbar.decode_gray(crop, offset=(cx0, cy0))
            if found:
                return self._rescued("zbar", found)
        # 5. the wide region upscaled 2x and equalised: finer modules for the sampling
        #    grid of a code on a wavy surface (the costliest view, so last)
        found = ZxingDecoder.convert(
            self._zx_global.read(clahe(upscale(wide, 2.0))), offset=(x0, y0), scale=2.0
        )
        if found:
            return self._rescued("equalised_2x", found)
        return []

    def _rescued(self, step: str, found: list[Decoded]) -> list[Decoded]:
        self.last_step = step
        return found

    def _fallback_zbar(self) -> PyzbarDecoder | None:
        if not self._zbar_tried:
            self._zbar_tried = True
            try:
                self._zbar = PyzbarDecoder()
            except DecoderUnavailable:
                self._zbar = None
        return self._zbar


def _crop_around(gray: np.ndarray, results: list[Any], margin: float) -> tuple[np.ndarray, tuple[int, int]]:
    pts = np.array([p for r in results for p in _zx_polygon(r.position)], dtype=np.int64)
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    m = int(max(x1 - x0, y1 - y0) * margin)
    h, w = gray.shape[:2]
    x0, y0 = max(0, int(x0) - m), max(0, int(y0) - m)
    x1, y1 = min(w, int(x1) + m), min(h, int(y1) + m)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return gray, (0, 0)
    return np.ascontiguousarray(gray[y0:y1, x0:x1]), (x0, y0)


def _unique(found: list[Decoded]) -> list[Decoded]:
    seen: set[str] = set()
    out = []
    for d in found:
        if d.text not in seen:
            seen.add(d.text)
            out.append(d)
    return out
