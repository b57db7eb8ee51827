"""A camera that films badges being held up: the demo's camera and the tests' camera.

:func:`render_frame` draws one camera-like frame: a cluttered background, a white badge card
carrying a real QR code (made with ``qrcode``) placed with a pose (size, rotation,
perspective tilt), then the camera's faults: blur, sensor noise, a glare spot, a thumb over
part of the card, low contrast. :class:`SyntheticSource` alternates each badge held up for a
while (with a little hand shake) with empty frames, paced at ``fps`` by an injectable clock
and sleep so tests can run it unpaced. Everything is seeded, so a run is reproducible.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np
import qrcode
from qrcode.constants import ERROR_CORRECT_M

from .pacing import Pacer
from .sources import FrameSource


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
    mods = qr_modules(text, border)
    return cv2.resize(mods, None, fx=box_size, fy=box_size, interpolation=cv2.INTER_NEAREST)


def background(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A plausible entrance-hall backdrop: a lighting gradient and a few dull shapes."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    base = 70 + 60 * (0.6 * y + 0.4 * x)
    img = np.dstack([base * 0.9, base, base * 1.05]).astype(np.uint8)
    for _ in range(6):
        color = tuple(int(c) for c in rng.integers(30, 160, 3))
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(width // 10, width // 3)), int(rng.integers(height // 10, height // 3))
        cv2.rectangle(img, (x0, y0), (x0 + w, y0 + h), color, -1)
    return cv2.GaussianBlur(img, (0, 0), 3)


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
    if text is not None:
        _paste_badge(frame, text, perturb, rng, center)
    return _camera_faults(frame, perturb, rng)


def _paste_badge(
    frame: np.ndarray,
    text: str,
    p: Perturb,
    rng: np.random.Generator,
    center: tuple[float, float] | None,
) -> None:
    height, width = frame.shape[:2]
    mods = qr_modules(text)
    n = mods.shape[0]
    qr_side = max(n * 1.5, p.scale * height)
    px = max(2, int(np.ceil(qr_side / n)))  # draw sharp, then warp down to size
    card_pad = int(px * 3)
    card = np.full((n * px + 2 * card_pad, n * px + 2 * card_pad), 245, np.uint8)
    card[card_pad:-card_pad, card_pad:-card_pad] = cv2.resize(
        mods, None, fx=px, fy=px, interpolation=cv2.INTER_NEAREST
    )
    card_bgr = cv2.cvtColor(card, cv2.COLOR_GRAY2BGR)
    card_bgr[: card_pad // 2, :] = (150, 90, 30)  # a coloured band, like a printed badge
    side = card.shape[0]
    out_side = qr_side * side / (n * px)
    cx, cy = center if center is not None else (width / 2, height / 2)
    half = out_side / 2
    corners = np.array([[-half, -half], [half, -half], [half, half], [-half, half]], np.float32)
    if p.tilt:
        # lean the card back around a random axis: one edge shrinks, the other grows
        axis = rng.uniform(0, 2 * np.pi)
        direction = np.array([np.cos(axis), np.sin(axis)], np.float32)
        along = corners @ direction / half  # -1..1 per corner
        corners = corners * (1 - p.tilt * 0.5 * along)[:, None]
    theta = np.deg2rad(p.rotation_deg)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]], np.float32)
    dst = corners @ rot.T + np.array([cx, cy], np.float32)
    src = np.array([[0, 0], [side, 0], [side, side], [0, side]], np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(card_bgr, m, (width, height), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((side, side), 255, np.uint8), m, (width, height))
    _, mask = cv2.threshold(mask, 127, 255, cv2.THRESH_BINARY)  # no dark seam at the edge
    cv2.copyTo(warped, mask, frame)
    if p.occlusion:
        # a thumb over one edge, covering `occlusion` of the code's side
        a_n, a_t = qr_side * 0.2, qr_side * 0.12  # thumb half-length (along the normal), half-width
        edge = int(rng.integers(0, 4))
        local = {0: (0, -1), 1: (1, 0), 2: (0, 1), 3: (-1, 0)}[edge]
        normal = np.array(local, np.float32)
        dist = qr_side / 2 - p.occlusion * qr_side + a_n  # thumb tip reaches `occlusion` into the code
        c = (normal * dist) @ rot.T + np.array([cx, cy], np.float32)
        axes = (int(a_n), int(a_t))
        angle = p.rotation_deg + (90 if edge in (0, 2) else 0)
        cv2.ellipse(frame, (int(c[0]), int(c[1])), axes, angle, 0, 360, (120, 150, 200), -1)


_NOISE_PAD = 97


@functools.lru_cache(maxsize=4)
def _noise_field(height: int, width: int) -> np.ndarray:
    """Unit Gaussian sensor noise, made once per frame size (fresh normals cost ~10 ms/frame)."""
    field = np.random.default_rng(12345).standard_normal((height + _NOISE_PAD, width + _NOISE_PAD, 3), dtype=np.float32)
    field.setflags(write=False)
    return field


def _camera_faults(frame: np.ndarray, p: Perturb, rng: np.random.Generator) -> np.ndarray:
    height, width = frame.shape[:2]
    out = frame
    if p.glare or p.contrast != 1.0:
        img = frame.astype(np.float32)
        if p.glare:
            gx, gy = rng.uniform(0.3, 0.7) * width, rng.uniform(0.3, 0.7) * height
            sigma = 0.12 * height
            fx = np.exp(-((np.arange(width, dtype=np.float32) - gx) ** 2) / (2 * sigma * sigma))
            fy = np.exp(-((np.arange(height, dtype=np.float32) - gy) ** 2) / (2 * sigma * sigma))
            spot = np.outer(fy, fx * (p.glare * 220)).astype(np.float32)
            img += spot[:, :, None]
        if p.contrast != 1.0:
            img = cv2.addWeighted(img, p.contrast, img, 0.0, 128.0 * (1.0 - p.contrast))
        out = np.clip(img, 0, 255, out=img).astype(np.uint8)
    if p.blur:
        out = cv2.GaussianBlur(out, (0, 0), p.blur)
    if p.noise:
        field = _noise_field(height, width)  # a window at a random offset: fresh noise, cheaply
        oy, ox = int(rng.integers(0, _NOISE_PAD)), int(rng.integers(0, _NOISE_PAD))
        noise = field[oy : oy + height, ox : ox + width] * np.float32(p.noise)
        if out.ndim == 2:
            noise = noise[:, :, 0]
        out = cv2.add(out, noise, dtype=cv2.CV_8U)  # saturating
    return out if out is not frame else frame.copy()


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
        import time

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
        self._set_state("ok", "Synthetic camera: badges are shown in turn.")

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
