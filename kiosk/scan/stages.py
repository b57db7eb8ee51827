"""The decoder's second-pass stages: other views of a frame in which a code was located but
not read, each a generic remedy for one kind of real-photo trouble.

Every stage works on the *region* (the located code's bounding box plus half its side on
each edge: a QR code's quiet zone is 4 modules, and the binarizers need the light surround
to set their thresholds) or on the whole frame, and has no constant fitted to a photo:

========================  ============================================================
``global``                zxing-cpp's other binarizer (global histogram) on the frame:
                          uneven local thresholds, glare on part of the code.
``sharpened``             the region unsharp-masked, then upscaled: defocus, motion blur.
``upscaled``              the region upscaled: small modules for the sampling grid.
``equalised``             the region with local contrast equalised (CLAHE with OpenCV's
                          defaults: clip 2, 8×8 tiles): dim light, shadows, low contrast.
``zbar``                  an independent decoder (its own detector and sampler) on the
                          region, when libzbar is installed.
``equalised_upscaled``    the region upscaled, then equalised: small and dim together.
========================  ============================================================

Upscaled views are 2× the region, capped so their longer side stays within
:data:`MAX_VIEW_SIDE` (a large code in a high-resolution frame is scaled *down* to it,
which keeps every stage's cost bounded whatever the camera). Which stages the kiosk runs
is :data:`DEFAULT_STAGES`, chosen by cross-validation on real photos
(``python -m benchmarks.decoder_holdout``, see docs/scan.md); :data:`CATALOGUE` lists
every stage a pipeline may be given, in the order a pipeline runs them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from .imageops import clahe

MARGIN = 0.5  # of the code's side, on each edge: quiet zone plus the detector's slack
MAX_VIEW_SIDE = 1024  # px: no view larger than this, so no stage costs more than ~20 ms
UPSCALE = 2.0


@dataclass(slots=True)
class Region:
    """The located code's surroundings: ``gray`` (a view into the frame) at ``offset``."""

    gray: np.ndarray
    offset: tuple[int, int]


# A reader: (image, binarizer name) -> decoded results in that image's pixels.
Read = Callable[[np.ndarray, str], list[Any]]


@dataclass(frozen=True, slots=True)
class View:
    """An image to decode and how to map its pixels back to the frame's."""

    image: np.ndarray
    offset: tuple[int, int]
    scale: float


def view_scale(region: np.ndarray, factor: float = UPSCALE) -> float:
    """``factor``, or less so the region's longer side stays within :data:`MAX_VIEW_SIDE`."""
    side = max(region.shape[:2])
    return float(min(factor, MAX_VIEW_SIDE / max(side, 1)))


def resized(gray: np.ndarray, scale: float, resample: Image.Resampling = Image.Resampling.BILINEAR) -> np.ndarray:
    if abs(scale - 1.0) < 1e-6:
        return gray
    h, w = gray.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(gray).resize(size, resample))


def unsharp(gray: np.ndarray) -> np.ndarray:
    """Unsharp mask, radius 2 px, 250 % (Pillow's blur is lighter than OpenCV's: at 150 % it
    restored no defocused frame of the synthetic camera)."""
    return np.asarray(Image.fromarray(gray).filter(ImageFilter.UnsharpMask(radius=2, percent=250, threshold=0)))


@dataclass(frozen=True, slots=True)
class Stage:
    """One second-pass stage: ``views(frame, region)`` yields (view, binarizer) pairs to
    try in order; ``zbar`` stages go to zbar instead of zxing-cpp."""

    name: str
    why: str
    views: Callable[[np.ndarray, Region], list[tuple[View, str]]]
    zbar: bool = False


def _global(frame: np.ndarray, region: Region) -> list[tuple[View, str]]:
    return [(View(frame, (0, 0), 1.0), "global")]


def _zbar(frame: np.ndarray, region: Region) -> list[tuple[View, str]]:
    s = min(1.0, view_scale(region.gray, 1.0))
    return [(View(resized(region.gray, s), region.offset, s), "zbar")]


def _equalised(frame: np.ndarray, region: Region) -> list[tuple[View, str]]:
    s = min(1.0, view_scale(region.gray, 1.0))
    view = View(clahe(resized(region.gray, s)), region.offset, s)
    return [(view, "local"), (view, "global")]


def _sharpened(frame: np.ndarray, region: Region) -> list[tuple[View, str]]:
    s = view_scale(region.gray)
    image = resized(unsharp(region.gray), s, Image.Resampling.BICUBIC)
    return [(View(image, region.offset, s), "local")]


def _upscaled(frame: np.ndarray, region: Region) -> list[tuple[View, str]]:
    s = view_scale(region.gray)
    view = View(resized(region.gray, s), region.offset, s)
    return [(view, "local"), (view, "global")]


def _equalised_upscaled(frame: np.ndarray, region: Region) -> list[tuple[View, str]]:
    s = view_scale(region.gray)
    view = View(clahe(resized(region.gray, s)), region.offset, s)
    return [(view, "local"), (view, "global")]


# In order of cost (CPU ms on a 640x480 frame's region: global ~0.6, upscaled ~8,
# equalised ~11, sharpened ~16, zbar 8-30, equalised_upscaled ~45, on a loaded machine),
# except that sharpened comes second: defocus is the kiosk camera's commonest failure (a
# badge held close to a fixed-focus webcam), and going first it reads those frames in
# half the time.
CATALOGUE: tuple[Stage, ...] = (
    Stage("global", "uneven thresholds, partial glare", _global),
    Stage("sharpened", "defocus, motion blur", _sharpened),
    Stage("upscaled", "small modules", _upscaled),
    Stage("equalised", "dim light, shadows, low contrast", _equalised),
    Stage("zbar", "an independent detector and sampler", _zbar, zbar=True),
    Stage("equalised_upscaled", "small modules in dim light", _equalised_upscaled),
)
STAGES: dict[str, Stage] = {s.name: s for s in CATALOGUE}

# Chosen by `python -m benchmarks.decoder_holdout` (selection on all the shared photos and
# the synthetic camera's soft frames, with the rule the cross-validation scores: a stage
# stays only if it reads at least two frames the stages before it could not).
DEFAULT_STAGES: tuple[str, ...] = ("global", "sharpened", "upscaled", "equalised", "equalised_upscaled")


def region_around(gray: np.ndarray, corners: list[tuple[int, int]], margin: float = MARGIN) -> Region:
    """The bounding box of ``corners`` grown by ``margin`` × its longer side on each edge,
    clipped to the frame (the whole frame when that leaves less than 8 px)."""
    pts = np.array(corners, dtype=np.int64)
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    m = int(max(x1 - x0, y1 - y0) * margin)
    h, w = gray.shape[:2]
    x0, y0 = max(0, int(x0) - m), max(0, int(y0) - m)
    x1, y1 = min(w, int(x1) + m), min(h, int(y1) + m)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return Region(gray, (0, 0))
    return Region(np.ascontiguousarray(gray[y0:y1, x0:x1]), (x0, y0))
