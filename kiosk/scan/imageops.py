"""The few image operations the decoder needs, in numpy and Pillow (no OpenCV).

OpenCV alone was 152 MB of the packaged kiosk; Pillow is already in it. These are what the
decoder's second pass uses: a BGR→gray conversion, an upscale with an unsharp mask, and a
contrast-limited adaptive histogram equalisation (CLAHE) that matches OpenCV's
``createCLAHE(2.0, (8, 8))`` to within one gray level, because that exact equalisation is
what reads some real photos (see docs/scan.md).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

# ITU-R BT.601 luma, in BGR order: OpenCV's COLOR_BGR2GRAY weights.
_GRAY_WEIGHTS = np.array([0.114, 0.587, 0.299], np.float32)


def numpy_has_blas() -> bool:
    """Whether numpy was built with a BLAS (PyPI's wheels are; the Linux bundle's is not)."""
    try:
        from numpy.__config__ import CONFIG

        return str(CONFIG["Build Dependencies"]["blas"]["name"]).lower() != "none"
    except (ImportError, KeyError, TypeError):
        return True


def _gray_matmul(frame: np.ndarray) -> np.ndarray:
    gray = frame[:, :, :3] @ _GRAY_WEIGHTS
    gray += 0.5
    return gray.astype(np.uint8)


def _gray_pillow(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    bgr = np.ascontiguousarray(frame[:, :, :3])
    image = Image.frombuffer("RGB", (w, h), bgr, "raw", "RGB", 0, 1)  # really B, G, R
    return np.asarray(image.convert("L", matrix=(0.114, 0.587, 0.299, 0.0)))


def bgr_to_gray(frame: np.ndarray) -> np.ndarray:
    """Gray from the first three (B, G, R) channels of an 8-bit image.

    With BLAS, one float32 matrix-vector product is fastest (0.23 ms for 640×480, 0.8 ms
    for 1280×720 here; uint16/uint32 integer forms 0.4–1.6 ms). numpy built without BLAS
    (the Linux bundle's) runs that product in a plain loop, 4× slower; Pillow's C
    conversion with the same weights then wins (0.5 / 1.4 ms). Cameras on V4L2 and Qt
    deliver gray already: this serves videos, image files and the synthetic camera.
    """
    return _BGR_TO_GRAY(frame)


_BGR_TO_GRAY = _gray_matmul if numpy_has_blas() else _gray_pillow


def upscale(gray: np.ndarray, factor: float, resample: Image.Resampling = Image.Resampling.BILINEAR) -> np.ndarray:
    """``gray`` resized by ``factor`` with Pillow."""
    h, w = gray.shape
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return np.asarray(Image.fromarray(gray).resize(size, resample))


def sharpened_2x(gray: np.ndarray) -> np.ndarray:
    """Unsharp-masked (radius 2, 3.5·image − 2.5·blur) then upscaled 2× (bicubic): restores
    the module edges of a defocused or motion-blurred code.

    Sharpening before the upscale costs half as much as after it (Pillow's blur is the
    expensive part) and read the same 49 defocused test frames. The strength is higher
    than OpenCV's old 2.5/1.5 mix because Pillow's blur of a given radius is lighter: at
    150 % it read none of them.
    """
    sharp = Image.fromarray(gray).filter(ImageFilter.UnsharpMask(radius=2, percent=250, threshold=0))
    return np.asarray(sharp.resize((gray.shape[1] * 2, gray.shape[0] * 2), Image.Resampling.BICUBIC))


def clahe(gray: np.ndarray, clip_limit: float = 2.0, grid: int = 8) -> np.ndarray:
    """Contrast-limited adaptive histogram equalisation, as OpenCV computes it.

    The image is split into ``grid``×``grid`` tiles (padded by reflection when its sides
    are not multiples); each tile's histogram is clipped at ``clip_limit`` times its mean bin, the excess spread
    over all bins, and its cumulative sum becomes a lookup table; every pixel blends the
    tables of the four nearest tile centres bilinearly.
    """
    h, w = gray.shape
    if h < grid or w < grid:
        return gray
    if h % grid or w % grid:  # like OpenCV: then both sides grow, by up to a whole tile
        ext = np.pad(gray, ((0, grid - h % grid), (0, grid - w % grid)), mode="reflect")
    else:
        ext = gray
    th, tw = ext.shape[0] // grid, ext.shape[1] // grid
    n = th * tw
    tiles = ext.reshape(grid, th, grid, tw).transpose(0, 2, 1, 3).reshape(grid * grid, n)
    offsets = (np.arange(grid * grid, dtype=np.int32) * 256)[:, None]
    hist = np.bincount((tiles + offsets).ravel(), minlength=grid * grid * 256).reshape(grid * grid, 256)
    limit = max(int(clip_limit * n / 256), 1)
    clipped = np.maximum(hist - limit, 0).sum(axis=1)
    hist = np.minimum(hist, limit) + (clipped // 256)[:, None]
    residual = clipped % 256
    step = np.maximum(256 // np.maximum(residual, 1), 1)[:, None]
    bins = np.arange(256)[None, :]
    hist += (bins % step == 0) & (bins // step < residual[:, None])
    lut = np.rint(hist.cumsum(axis=1) * (255.0 / n)).clip(0, 255).astype(np.float32).ravel()
    ys = np.arange(h, dtype=np.float32) / th - 0.5
    xs = np.arange(w, dtype=np.float32) / tw - 0.5
    y1, x1 = np.floor(ys).astype(np.int32), np.floor(xs).astype(np.int32)
    fy, fx = (ys - y1)[:, None], (xs - x1)[None, :]
    y2, x2 = np.minimum(y1 + 1, grid - 1), np.minimum(x1 + 1, grid - 1)
    y1, x1 = np.maximum(y1, 0), np.maximum(x1, 0)
    value = gray.astype(np.int32)
    row1, row2 = (y1 * (grid * 256))[:, None], (y2 * (grid * 256))[:, None]
    v1 = value + (x1 * 256)[None, :]
    v2 = value + (x2 * 256)[None, :]
    gx = 1 - fx  # four table look-ups per pixel, blended in place (float32, int32 indices)
    top = np.take(lut, v1 + row1)
    top *= gx
    top += np.take(lut, v2 + row1) * fx
    bot = np.take(lut, v1 + row2)
    bot *= gx
    bot += np.take(lut, v2 + row2) * fx
    bot -= top
    bot *= fy
    top += bot  # top + fy * (bottom - top)
    return np.rint(top, out=top).clip(0, 255).astype(np.uint8)
