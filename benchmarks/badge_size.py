"""What KB2 buys at the camera: ``python -m benchmarks.badge_size [--frames N]``.

The same badge fields as a KB1 token (byte-mode QR, version 8 at level M) and as a KB2 token
(alphanumeric QR, version 6 at M), held up to the synthetic camera with a mild random pose
each frame (rotation, tilt, sensor noise, contrast; seeded, so runs repeat). Two sweeps, each
frame read by the kiosk's pipeline and, beside it, raw zxing-cpp:

* size: the code's side in the frame (modules only, without the quiet zone), sharp; drawn
  at twice the size and averaged down 2×2, as a sensor sees it (the synthetic camera never
  draws below 1.5 px per module); the smallest side from which every larger side in the
  sweep reads in >= 95 % of frames;
* blur: Gaussian blur sigma at a fixed side of 150 px (a badge at arm's length); the
  strongest sigma up to which every sigma in the sweep reads in >= 95 % of frames.

Frames are 640×480: the figures are about the code's pixels, not the frame's.

The last line is JSON: kb1_min_px, kb2_min_px, kb1_max_blur, kb2_max_blur (the pipeline's).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone

import numpy as np
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from PIL import Image

from kiosk.core.protocol import BadgeSigner
from kiosk.scan.decoder import ScanPipeline
from kiosk.scan.synthetic import Perturb, qr_modules, render_frame

WIDTH, HEIGHT = 640, 480
BORDER = 4  # qr_modules' quiet zone, in modules
TARGET = 0.95
BLUR_SIDE_PX = 150
SIDES = tuple(range(28, 101, 4))
BLURS = tuple(round(0.8 + 0.1 * i, 2) for i in range(0, 19))

Reader = Callable[[np.ndarray], list[str]]


def tokens() -> dict[str, str]:
    """One badge's fields (a fixed key, a server-style badge id) as KB1 and as KB2."""
    signer = BadgeSigner("k1", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    issued = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
    args = ("b3f9c01a7", "E0000042", issued, issued + timedelta(days=365))
    return {v: signer.issue(*args, version=v) for v in ("KB1", "KB2")}


def readers() -> dict[str, Reader]:
    pipeline = ScanPipeline()
    qr = zxingcpp.BarcodeFormat.QRCode

    def pipe(frame: np.ndarray) -> list[str]:
        return [d.text for d in pipeline.decode(frame)]

    def raw(frame: np.ndarray) -> list[str]:
        return [r.text for r in zxingcpp.read_barcodes(frame, formats=qr)]

    return {"pipeline": pipe, "zxing-cpp": raw}


def pose(rng: np.random.Generator, scale: float, blur: float) -> Perturb:
    return Perturb(scale=scale, rotation_deg=float(rng.uniform(-15, 15)), tilt=float(rng.uniform(0, 0.15)),
                   blur=blur, noise=float(rng.uniform(3, 8)), contrast=float(rng.uniform(0.75, 1.0)))


def camera_frames(token: str, side_px: float, blur: float, frames: int, supersample: int) -> list[np.ndarray]:
    """``frames`` seeded frames showing ``token`` with its modules ``side_px`` wide."""
    n = qr_modules(token).shape[0]
    scale = side_px * n / (n - 2 * BORDER) / HEIGHT  # render_frame's scale includes the quiet zone
    rng = np.random.default_rng(12)
    out = []
    for i in range(frames):
        k = supersample
        frame = render_frame(token, width=WIDTH * k, height=HEIGHT * k, perturb=pose(rng, scale, blur * k),
                             seed=500 + i)
        if k > 1:
            frame = np.asarray(Image.fromarray(frame).reduce(k))
        out.append(frame)
    return out


def read_rates(token: str, side_px: float, blur: float, frames: int, decoders: dict[str, Reader],
               supersample: int = 1) -> dict[str, float]:
    shots = camera_frames(token, side_px, blur, frames, supersample)
    return {name: sum(token in read(f) for f in shots) / frames for name, read in decoders.items()}


def threshold(rates: Sequence[tuple[float, float]], *, smallest: bool) -> float | None:
    """The sweep value from which (smallest) / up to which (largest) every rate >= TARGET."""
    values = [v for v, _ in rates]
    good = [r >= TARGET for _, r in rates]
    if smallest:
        for i in range(len(values)):
            if all(good[i:]):
                return values[i]
        return None
    last = None
    for value, ok in zip(values, good, strict=True):
        if not ok:
            break
        last = value
    return last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.badge_size", description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20, help="frames per point of each sweep")
    args = parser.parse_args(argv)
    toks, decoders = tokens(), readers()
    for version, token in toks.items():
        n = qr_modules(token).shape[0] - 2 * BORDER
        print(f"{version}: {len(token)} characters, QR {n}x{n} modules (version {(n - 17) // 4}) at level M")
    figures: dict[str, dict[str, float | None]] = {}
    for version, token in toks.items():
        sizes = {s: read_rates(token, s, 0.0, args.frames, decoders, supersample=2) for s in SIDES}
        blurs = {b: read_rates(token, BLUR_SIDE_PX, b, args.frames, decoders) for b in BLURS}
        for name in decoders:
            size_rates = [(s, r[name]) for s, r in sizes.items()]
            blur_rates = [(b, r[name]) for b, r in blurs.items()]
            print(f"{version} {name:<9} side px  " + " ".join(f"{s}:{r:.0%}" for s, r in size_rates))
            print(f"{version} {name:<9} blur sd  " + " ".join(f"{b}:{r:.0%}" for b, r in blur_rates), flush=True)
            figures[f"{name}/{version}"] = {"min_px": threshold(size_rates, smallest=True),
                                            "max_blur": threshold(blur_rates, smallest=False)}
    print(f"\nat >= {TARGET:.0%} of {args.frames} frames per point:")
    print(f"{'':<22}{'min side px':>12}{'max blur':>10}")
    for key, f in figures.items():
        print(f"{key:<22}{f['min_px']!s:>12}{f['max_blur']!s:>10}")
    ours = {v: figures[f"pipeline/{v}"] for v in toks}
    print(json.dumps({"kb1_min_px": ours["KB1"]["min_px"], "kb2_min_px": ours["KB2"]["min_px"],
                      "kb1_max_blur": ours["KB1"]["max_blur"], "kb2_max_blur": ours["KB2"]["max_blur"],
                      "frames": args.frames, "frame": f"{WIDTH}x{HEIGHT}", "blur_side_px": BLUR_SIDE_PX}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
