"""A camera that films badges being held up: the demo's camera and the tests' camera.

:func:`render_frame` draws one camera-like frame: a cluttered background, a white badge card
carrying a real QR code (made with ``qrcode``) placed with a pose (size, rotation,
perspective tilt), then the camera's faults: blur, sensor noise, a glare spot, a thumb over
part of the card, low contrast. :class:`SyntheticSource` alternates each badge held up for a
while (with a little hand shake) with empty frames, paced at ``fps`` by an injectable clock
and sleep so tests can run it unpaced. Everything is seeded, so a run is reproducible.
Drawn with numpy and Pillow only: the demo's camera needs no OpenCV.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import qrcode
from PIL import Image, ImageDraw, ImageFilter
from qrcode.constants import ERROR_CORRECT_M

from kiosk.core.i18n import QT_TRANSLATE_NOOP

from .frame_source import FrameSource
from .pacing import Pacer


@dataclass(frozen=True)
class Perturb:
    """How a frame departs from a clean, frontal, well-lit shot of the code.

    Attributes:
        scale: side of the QR code as a fraction of the frame height.
        rotation_deg: in-plane rotation of the card.
        tilt: perspective strength, 0 (frontal) to ~0.5 (strongly tilted away).
        blur: Gaussian blur sigma in pixels (defocus, motion).
        noise: sensor noise standard deviation in gray levels.
        glare: strength 0..1 of a bright specular spot over the card.
        occlusion: fraction of the code's side covered by a thumb from one edge.
        contrast: 1 for full contrast, lower for a dim, washed-out frame.
    """

    scale: float = 0.5
    rotation_deg: float = 0.0
    tilt: float = 0.0
    blur: float = 0.0
    noise: float = 0.0
    glare: float = 0.0
    occlusion: float = 0.0
    contrast: float = 1.0


#: Named conditions used by tests and benchmarks (each alone, at a strength a kiosk meets).
PRESETS: dict[str, Perturb] = {
    "clean": Perturb(),
    "tilt": Perturb(tilt=0.35, rotation_deg=8),
    "rotation": Perturb(rotation_deg=37),
    "blur": Perturb(blur=1.6),
    "noise": Perturb(noise=22),
    "glare": Perturb(glare=0.8),
    "occlusion": Perturb(occlusion=0.12),
    "low_contrast": Perturb(contrast=0.3),
    "small": Perturb(scale=0.28),
}


@functools.lru_cache(maxsize=64)
def qr_modules(text: str, border: int = 4) -> np.ndarray:
    """The code's modules as a uint8 image, one pixel per module (0 dark, 255 light)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=border)
    qr.add_data(text.encode("utf-8"))
    qr.make(fit=True)
    matrix = np.array(qr.get_matrix(), dtype=bool)
    out = np.where(matrix, 0, 255).astype(np.uint8)
    out.setflags(write=False)
    return out


def qr_image(text: str, box_size: int = 8, border: int = 4) -> np.ndarray:
    """A clean gray QR image (what a printer would print), for tests and benchmarks."""
    return _blow_up(qr_modules(text, border), box_size)


def _blow_up(mods: np.ndarray, px: int) -> np.ndarray:
    """Each module as a ``px``×``px`` square (a nearest-neighbour upscale)."""
    return np.repeat(np.repeat(mods, px, axis=0), px, axis=1)


def background(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A plausible entrance-hall backdrop: a lighting gradient and a few dull shapes, out
    of focus (drawn at a quarter of the size, blurred and scaled up: cheap and soft)."""
    rng = np.random.default_rng(seed)
    sw, sh = max(1, width // 4), max(1, height // 4)
    y = np.linspace(0, 1, sh, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, sw, dtype=np.float32)[None, :]
    base = 70 + 60 * (0.6 * y + 0.4 * x)
    img = Image.fromarray(np.dstack([base * 0.9, base, base * 1.05]).astype(np.uint8))  # BGR bytes
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        color = tuple(int(c) for c in rng.integers(30, 160, 3))
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(width // 10, width // 3)), int(rng.integers(height // 10, height // 3))
        draw.rectangle((x0 / 4, y0 / 4, (x0 + w) / 4, (y0 + h) / 4), fill=color)
    soft = img.filter(ImageFilter.GaussianBlur(0.75)).resize((width, height), Image.Resampling.BILINEAR)
    return np.array(soft)


def render_frame(
    text: str | None,
    *,
    width: int = 640,
    height: int = 480,
    perturb: Perturb = Perturb(),
    seed: int = 0,
    center: tuple[float, float] | None = None,
    backdrop: np.ndarray | None = None,
) -> np.ndarray:
    """One BGR camera frame showing a badge with ``text`` (or no badge when ``None``)."""
    rng = np.random.default_rng(seed)
    frame = (backdrop if backdrop is not None else background(width, height, seed)).copy()
    focus = None
    if text is not None:
        focus = _paste_badge(frame, text, perturb, rng, center)
    return _camera_faults(frame, perturb, rng, focus)


Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)


def _paste_badge(
    frame: np.ndarray,
    text: str,
    p: Perturb,
    rng: np.random.Generator,
    center: tuple[float, float] | None,
) -> Box:
    """Draws the badge (and a thumb) into ``frame``; returns the box they cover."""
    height, width = frame.shape[:2]
    mods = qr_modules(text)
    n = mods.shape[0]
    qr_side = max(n * 1.5, p.scale * height)
    px = max(2, int(np.ceil(qr_side / n)))  # draw sharp, then warp down to size
    card_pad = int(px * 3)
    card = np.full((n * px + 2 * card_pad, n * px + 2 * card_pad), 245, np.uint8)
    card[card_pad:-card_pad, card_pad:-card_pad] = _blow_up(mods, px)
    card_bgr = np.repeat(card[:, :, None], 3, axis=2)
    card_bgr[: card_pad // 2, :] = (150, 90, 30)  # a coloured band, like a printed badge
    side = card.shape[0]
    out_side = qr_side * side / (n * px)
    cx, cy = center if center is not None else (width / 2, height / 2)
    half = out_side / 2
    corners = np.array([[-half, -half], [half, -half], [half, half], [-half, half]], np.float64)
    if p.tilt:
        # lean the card back around a random axis: one edge shrinks, the other grows
        axis = rng.uniform(0, 2 * np.pi)
        direction = np.array([np.cos(axis), np.sin(axis)])
        along = corners @ direction / half  # -1..1 per corner
        corners = corners * (1 - p.tilt * 0.5 * along)[:, None]
    theta = np.deg2rad(p.rotation_deg)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    dst = corners @ rot.T + np.array([cx, cy])
    src = np.array([[0, 0], [side, 0], [side, side], [0, side]], np.float64)
    box = _clipped_box(dst, width, height)
    x0, y0, x1, y1 = box
    if x1 > x0 and y1 > y0:
        # Pillow maps each pixel of the card's box in the frame back into the card
        local = dst - (x0, y0)
        coeffs = perspective_coeffs(local, src)
        warped = Image.fromarray(card_bgr).transform(
            (x1 - x0, y1 - y0), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR
        )
        _paint(frame, box, np.asarray(warped), local)
    if p.occlusion:
        # a thumb over one edge, covering `occlusion` of the code's side
        a_n, a_t = qr_side * 0.2, qr_side * 0.12  # thumb half-length (along the normal), half-width
        edge = int(rng.integers(0, 4))
        local_dir = {0: (0, -1), 1: (1, 0), 2: (0, 1), 3: (-1, 0)}[edge]
        normal = np.array(local_dir, np.float64)
        dist = qr_side / 2 - p.occlusion * qr_side + a_n  # thumb tip reaches `occlusion` into the code
        c = (normal * dist) @ rot.T + np.array([cx, cy])
        angle = np.deg2rad(p.rotation_deg + (90 if edge in (0, 2) else 0))
        outline = _ellipse(c, int(a_n), int(a_t), angle)
        thumb = _clipped_box(outline, width, height)
        if thumb[2] > thumb[0] and thumb[3] > thumb[1]:
            _paint(frame, thumb, np.array([120, 150, 200], np.uint8), outline - thumb[:2])
            box = (min(x0, thumb[0]), min(y0, thumb[1]), max(x1, thumb[2]), max(y1, thumb[3]))
    return box


def _clipped_box(points: np.ndarray, width: int, height: int) -> Box:
    """The pixel box around ``points``, clipped to the frame (may be empty)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    x0, y0 = max(0, int(np.floor(lo[0]))), max(0, int(np.floor(lo[1])))
    x1, y1 = min(width, int(np.ceil(hi[0])) + 1), min(height, int(np.ceil(hi[1])) + 1)
    return x0, y0, max(x0, x1), max(y0, y1)


def _paint(frame: np.ndarray, box: Box, layer: np.ndarray, outline: np.ndarray) -> None:
    """Copies ``layer`` (an image the size of ``box``, or one colour) into ``frame`` inside
    the polygon ``outline`` (in box coordinates): hard edges, no dark seam."""
    x0, y0, x1, y1 = box
    mask = Image.new("L", (x1 - x0, y1 - y0), 0)
    ImageDraw.Draw(mask).polygon([(float(x), float(y)) for x, y in outline], fill=255)
    inside = np.asarray(mask) > 0
    region = frame[y0:y1, x0:x1]
    region[inside] = layer[inside] if layer.ndim == 3 else layer


def perspective_coeffs(src: np.ndarray, dst: np.ndarray) -> tuple[float, ...]:
    """The 8 coefficients of the homography taking the 4 ``src`` points to ``dst`` (the
    form Pillow's ``Image.transform(..., PERSPECTIVE, coeffs)`` takes, output to input)."""
    rows, rhs = [], []
    pairs = zip(np.asarray(src, np.float64), np.asarray(dst, np.float64), strict=True)
    for (x, y), (u, v) in pairs:
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return tuple(float(c) for c in np.linalg.solve(np.array(rows), np.array(rhs)))


def _ellipse(center: np.ndarray, a: int, b: int, angle: float, points: int = 48) -> np.ndarray:
    """An ellipse's outline (half-axes ``a``, ``b``, rotated by ``angle`` radians)."""
    t = np.linspace(0, 2 * np.pi, points, endpoint=False)
    x, y = a * np.cos(t), b * np.sin(t)
    ca, sa = np.cos(angle), np.sin(angle)
    return np.column_stack([center[0] + x * ca - y * sa, center[1] + x * sa + y * ca])


_NOISE_PAD = 97


@functools.lru_cache(maxsize=4)
def _noise_field(height: int, width: int) -> np.ndarray:
    """Unit Gaussian sensor noise, made once per frame size (fresh normals cost ~10 ms/frame)."""
    field = np.random.default_rng(12345).standard_normal((height + _NOISE_PAD, width + _NOISE_PAD, 3), dtype=np.float32)
    field.setflags(write=False)
    return field


def _camera_faults(frame: np.ndarray, p: Perturb, rng: np.random.Generator, focus: Box | None = None) -> np.ndarray:
    """Glare, low contrast, blur, then sensor noise. The blur (a defocused badge) is applied
    to ``focus``, the badge's box, when given: the backdrop is out of focus already, and a
    Pillow blur of a whole 1280×720 frame costs ~25 ms."""
    height, width = frame.shape[:2]
    out = frame
    if p.glare or p.contrast != 1.0:
        img = frame.astype(np.float32)
        if p.glare:
            gx, gy = rng.uniform(0.3, 0.7) * width, rng.uniform(0.3, 0.7) * height
            sigma = 0.12 * height
            fx = np.exp(-((np.arange(width, dtype=np.float32) - gx) ** 2) / (2 * sigma * sigma))
            fy = np.exp(-((np.arange(height, dtype=np.float32) - gy) ** 2) / (2 * sigma * sigma))
            rows, cols = np.flatnonzero(fy > 1e-3), np.flatnonzero(fx > 1e-3)  # the spot's extent
            if rows.size and cols.size:
                ys, xs = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
                spot = np.outer(fy[ys], fx[xs] * np.float32(p.glare * 220))
                img[ys, xs] += spot[:, :, None] if img.ndim == 3 else spot
        if p.contrast != 1.0:
            img *= np.float32(p.contrast)
            img += np.float32(128.0 * (1.0 - p.contrast))
        out = np.clip(img, 0, 255, out=img).astype(np.uint8)
    if p.blur:
        out = _blurred(out if out is not frame else frame.copy(), p.blur, focus)
    if p.noise:
        field = _noise_field(height, width)  # a window at a random offset: fresh noise, cheaply
        oy, ox = int(rng.integers(0, _NOISE_PAD)), int(rng.integers(0, _NOISE_PAD))
        noise = field[oy : oy + height, ox : ox + width] * np.float32(p.noise)
        if out.ndim == 2:
            noise = noise[:, :, 0]
        noise += out  # float32
        out = np.clip(noise, 0, 255, out=noise).astype(np.uint8)  # saturating
    return out if out is not frame else frame.copy()


def _blurred(img: np.ndarray, sigma: float, focus: Box | None) -> np.ndarray:
    height, width = img.shape[:2]
    x0, y0, x1, y1 = focus if focus is not None else (0, 0, width, height)
    pad = int(np.ceil(3 * sigma)) + 1  # the blur spreads the badge's edge this far
    x0, y0, x1, y1 = max(0, x0 - pad), max(0, y0 - pad), min(width, x1 + pad), min(height, y1 + pad)
    if x1 <= x0 or y1 <= y0:
        return img
    region = Image.fromarray(np.ascontiguousarray(img[y0:y1, x0:x1]))
    if not img.flags.writeable:
        img = img.copy()
    img[y0:y1, x0:x1] = np.asarray(region.filter(ImageFilter.GaussianBlur(sigma)))
    return img


def random_perturb(rng: np.random.Generator) -> Perturb:
    """A mild, random mix of faults for one appearance of a badge (usually readable)."""
    return Perturb(
        scale=float(rng.uniform(0.35, 0.6)),
        rotation_deg=float(rng.uniform(-20, 20)),
        tilt=float(rng.uniform(0, 0.25)),
        blur=float(rng.choice([0.0, 0.6, 1.0])),
        noise=float(rng.uniform(2, 10)),
        glare=float(rng.choice([0.0, 0.0, 0.4])),
        occlusion=float(rng.choice([0.0, 0.0, 0.06])),
        contrast=float(rng.uniform(0.6, 1.0)),
    )


class SyntheticSource(FrameSource):
    """Badges held up in turn: ``hold_s`` seconds each, then ``gap_s`` of empty scene.

    ``showing`` is the text in view for the frame last returned (None for an empty frame).
    With ``perturb=None`` each appearance gets a random mild mix of faults; pass a
    :class:`Perturb` to fix them. ``fps <= 0`` (or a fake sleep) runs unpaced.
    """

    def __init__(
        self,
        tokens: Sequence[str],
        width: int = 640,
        height: int = 480,
        fps: float = 15,
        seed: int = 0,
        *,
        hold_s: float = 1.5,
        gap_s: float = 1.0,
        perturb: Perturb | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.tokens = list(tokens)
        self.width, self.height = width, height
        self._rng = np.random.default_rng(seed)
        self._seed = seed
        rate = fps if fps > 0 else 15
        self._hold = max(1, round(hold_s * rate))
        self._gap = max(1, round(gap_s * rate))
        self._perturb = perturb
        self._pacer = Pacer(fps, clock or time.monotonic, sleep or time.sleep)
        self._backdrop = background(width, height, seed)
        self._frame_no = 0
        self._token_i = 0
        self._phase_left = self._gap  # start with an empty scene
        self._in_view: str | None = None
        self._pose: tuple[Perturb, tuple[float, float]] | None = None
        self._closed = False
        self.showing: str | None = None
        self.frames_made = 0
        self._set_state("ok", QT_TRANSLATE_NOOP("Source",
                                                "Synthetic camera: badges are shown in turn."))

    def read(self) -> np.ndarray | None:
        if self._closed:
            return None
        self._pacer.wait()
        if self._phase_left <= 0:
            self._next_phase()
        self._phase_left -= 1
        self._frame_no += 1
        seed = self._seed * 1_000_003 + self._frame_no
        if self._in_view is None or self._pose is None:
            frame = render_frame(None, width=self.width, height=self.height, seed=seed, backdrop=self._backdrop)
        else:
            perturb, (cx, cy) = self._pose
            jitter = self._rng.normal(0, 2.0, 2)  # hand shake
            perturb = replace(perturb, rotation_deg=perturb.rotation_deg + float(self._rng.normal(0, 0.7)))
            frame = render_frame(
                self._in_view, width=self.width, height=self.height, perturb=perturb,
                seed=seed, center=(cx + jitter[0], cy + jitter[1]), backdrop=self._backdrop,
            )
        self.showing = self._in_view
        self.frames_made += 1
        return frame

    def _next_phase(self) -> None:
        if self._in_view is None and self.tokens:
            self._in_view = self.tokens[self._token_i % len(self.tokens)]
            self._token_i += 1
            perturb = self._perturb or random_perturb(self._rng)
            side = perturb.scale * self.height * 0.75
            cx = float(self._rng.uniform(side, max(side + 1, self.width - side)))
            cy = float(self._rng.uniform(side, max(side + 1, self.height - side)))
            self._pose = (perturb, (cx, cy))
            self._phase_left = self._hold
        else:
            self._in_view = None
            self._pose = None
            self._phase_left = self._gap

    def close(self) -> None:
        self._closed = True
