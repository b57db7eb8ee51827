"""QR decoding: raw backends (zxing-cpp, pyzbar) and the kiosk's two-pass pipeline.

Pass 1 is one zxing-cpp call on the gray frame (QR only, its default options: rotations,
inverted codes and a downscaled pyramid of large frames), the cheapest read there is.
Most frames hold no code and zxing-cpp finds no finder pattern in them, so they stop
there. Only when pass 1 *located* a code but could not read it (a checksum error: curved
paper, glare, defocus, uneven light) does pass 2 run the stages of
:mod:`kiosk.scan.stages` — another binarizer, contrast equalisation, sharpening,
upscaling — roughly in order of cost, stopping at the first read and within a CPU-time budget.
Which stages run was chosen by cross-validation on real photos, each kept only if it reads
at least two frames the first pass misses (``python -m benchmarks.decoder_holdout``,
docs/scan.md).

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

from .imageops import bgr_to_gray
from .opencv import DECODER_NEEDS_OPENCV, load_cv2
from .stages import DEFAULT_STAGES, STAGES, Region, region_around

Backend = Literal["zxingcpp", "pyzbar"]
BACKENDS: tuple[str, ...] = ("zxingcpp", "pyzbar")

Polygon = list[tuple[int, int]]

# Pass 2 starts no stage once the frame has used this much of the decoding thread's CPU
# time (CPU rather than wall-clock time, so a busy machine changes less what is read):
# one frame interval at 25 fps; a frame pass 2 gives up on still holds the code, so the
# next frames show it again.
PASS2_BUDGET_MS = 40.0


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

    def decode_gray(self, gray: np.ndarray, offset: tuple[int, int] = (0, 0), scale: float = 1.0) -> list[Decoded]:
        out = []
        for r in self._pyzbar.decode(gray, symbols=self._symbols):
            poly = [(int(round(p.x / scale)) + offset[0], int(round(p.y / scale)) + offset[1]) for p in r.polygon]
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

    ``backend="zxingcpp"`` (default) runs the two-pass pipeline described above, its second
    pass the named ``stages`` of :data:`kiosk.scan.stages.CATALOGUE` in the order given
    (default :data:`~kiosk.scan.stages.DEFAULT_STAGES`), within ``budget_ms`` (no stage
    starts once the frame has taken that long; None: no limit); ``backend="pyzbar"`` runs
    zbar alone. ``last_ms`` is the time the last call took.
    """

    def __init__(
        self,
        backend: str = "zxingcpp",
        *,
        second_pass: bool = True,
        stages: tuple[str, ...] | None = None,
        budget_ms: float | None = PASS2_BUDGET_MS,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown decoder {backend!r}; choose one of {', '.join(BACKENDS)}")
        names = DEFAULT_STAGES if stages is None else stages
        unknown = [n for n in names if n not in STAGES]
        if unknown:
            raise ValueError(f"unknown decoder stage {unknown[0]!r}; choose from {', '.join(STAGES)}")
        self.backend = backend
        self.second_pass = second_pass
        self.stages = tuple(names)
        self.budget_ms = budget_ms
        self.last_ms = 0.0
        self.last_pass = 0  # 0: nothing located, 1: pass 1 answered, 2: pass 2 tried
        self.last_step = ""  # the pass-2 stage that read the last frame ("" if none did)
        self.last_over_budget = False  # pass 2 stopped early on the last frame
        self._zx = ZxingDecoder()
        self._zx_by_binarizer = {"local": self._zx, "global": ZxingDecoder(zxingcpp.Binarizer.GlobalHistogram)}
        self._zbar: PyzbarDecoder | None = None
        if backend == "pyzbar":
            self._zbar = PyzbarDecoder()
        self._zbar_tried = backend == "pyzbar"
        self.decode(np.full((480, 640), 255, np.uint8))  # warm up: the first call pays set-up costs

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        start = time.perf_counter()
        cpu_start = time.thread_time()
        self.last_step = ""
        self.last_over_budget = False
        try:
            gray = to_gray(frame)
            if self._zbar is not None and self.backend == "pyzbar":
                found = self._zbar.decode_gray(gray)
                self.last_pass = 1 if found else 0
            else:
                found = self._decode_zx(gray, cpu_start)
        except (ValueError, TypeError, RuntimeError):
            found = []
        self.last_ms = (time.perf_counter() - start) * 1000.0
        return _unique(found)

    def _decode_zx(self, gray: np.ndarray, start: float) -> list[Decoded]:
        results = self._zx.read(gray, return_errors=True)
        found = ZxingDecoder.convert(results)
        located = [r for r in results if not r.valid]
        if found or not located or not self.second_pass:
            self.last_pass = 1 if found else 0
            return found
        self.last_pass = 2
        corners = [p for r in located for p in _zx_polygon(r.position)]
        return self._second_pass(gray, region_around(gray, corners), start)

    def _second_pass(self, gray: np.ndarray, region: Region, start: float) -> list[Decoded]:
        for name in self.stages:
            if self.budget_ms is not None and (time.thread_time() - start) * 1000.0 > self.budget_ms:
                self.last_over_budget = True
                return []
            found = self.run_stage(name, gray, region)
            if found:
                self.last_step = name
                return found
        return []

    def run_stage(self, name: str, gray: np.ndarray, region: Region) -> list[Decoded]:
        """What one stage reads in ``gray`` around ``region`` (also for benchmarks)."""
        stage = STAGES[name]
        if stage.zbar:
            zbar = self._fallback_zbar()
            if zbar is None:
                return []
        for view, binarizer in stage.views(gray, region):
            if stage.zbar:
                assert zbar is not None
                found = zbar.decode_gray(view.image, offset=view.offset, scale=view.scale)
            else:
                results = self._zx_by_binarizer[binarizer].read(view.image)
                found = ZxingDecoder.convert(results, offset=view.offset, scale=view.scale)
            if found:
                return found
        return []

    def _fallback_zbar(self) -> PyzbarDecoder | None:
        if not self._zbar_tried:
            self._zbar_tried = True
            try:
                self._zbar = PyzbarDecoder()
            except DecoderUnavailable:
                self._zbar = None
        return self._zbar


def _unique(found: list[Decoded]) -> list[Decoded]:
    seen: set[str] = set()
    out = []
    for d in found:
        if d.text not in seen:
            seen.add(d.text)
            out.append(d)
    return out
