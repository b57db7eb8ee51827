"""Decoder figures, side by side: ``python -m benchmarks.decode [--frames N]``.

Compares the kiosk's pipeline with raw zxing-cpp, raw pyzbar and OpenCV's QRCodeDetector
on the real photos in ../shared/data/qr-photos (0°) and on synthetic 640×480 and 1280×720
camera frames (noise, blur, tilt, rotation, low contrast, no code). Each decoder gets the
same BGR frame and pays for its own gray conversion. OpenCV is optional: without it its
column is left out, with a note. The pipeline's photo line adds the p95 time and which
pass-2 step read each rescued photo. The last line is one JSON object for the shared
photos: {"total": N, "pipeline": {"read": n, "median_ms": x, "p95_ms": y}, ...}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import zxingcpp

from kiosk.scan.decoder import DecoderUnavailable, OpenCvDecoder, ScanPipeline, to_gray
from kiosk.scan.sources import read_image
from kiosk.scan.synthetic import Perturb, render_frame

REPO = Path(__file__).resolve().parent.parent
PHOTOS = REPO.parent / "shared" / "data" / "qr-photos"

Decoder = Callable[[np.ndarray], list[str]]

# Stronger than the test presets, so the decoders' differences show.
CONDITIONS: dict[str, Perturb | None] = {
    "noise": Perturb(noise=35, scale=0.4),
    "blur": Perturb(blur=2.2, scale=0.45),  # defocus: too soft for a single pass at 640x480
    "tilt": Perturb(tilt=0.5, rotation_deg=10, scale=0.45),
    "rotation": Perturb(rotation_deg=45, scale=0.4),
    "low contrast": Perturb(contrast=0.18, noise=4),
    "glare+occlusion": Perturb(glare=0.9, occlusion=0.1),
    "no code": None,
}


def make_decoders(pipeline: ScanPipeline) -> dict[str, Decoder]:
    """The decoders to compare; OpenCV's only when OpenCV is installed (it is optional)."""
    from pyzbar import pyzbar

    qr = zxingcpp.BarcodeFormat.QRCode
    symbols = [pyzbar.ZBarSymbol.QRCODE]

    def pipe(frame: np.ndarray) -> list[str]:
        return [d.text for d in pipeline.decode(frame)]

    def zx(frame: np.ndarray) -> list[str]:
        return [r.text for r in zxingcpp.read_barcodes(frame, formats=qr)]

    def zb(frame: np.ndarray) -> list[str]:
        return [r.data.decode("utf-8", "replace") for r in pyzbar.decode(to_gray(frame), symbols=symbols)]

    decoders: dict[str, Decoder] = {"pipeline": pipe, "zxingcpp": zx, "pyzbar": zb}
    try:
        detector = OpenCvDecoder()
    except DecoderUnavailable:
        return decoders

    def ocv(frame: np.ndarray) -> list[str]:
        return [d.text for d in detector.decode_gray(frame)]  # its detector takes BGR too

    decoders["opencv"] = ocv
    return decoders


def _same(decoded: str, expected: str) -> bool:
    return decoded.replace("\r\n", "\n") == expected


def measure(decoder: Decoder, cases: list[tuple[np.ndarray, str | None]]) -> dict[str, Any]:
    """Read count and per-frame times; an expected None means "must find nothing"."""
    read, times = 0, []
    for frame, expected in cases:
        t = time.perf_counter()
        texts = decoder(frame)
        times.append((time.perf_counter() - t) * 1000.0)
        if expected is None:
            read += not texts
        else:
            read += any(_same(x, expected) for x in texts)
    return {
        "read": read,
        "median_ms": round(statistics.median(times), 3),
        "p95_ms": round(float(np.percentile(times, 95)), 2),
        "mean_ms": round(statistics.fmean(times), 3),
        "max_ms": round(max(times), 2),
    }


def photo_paths() -> list[Path]:
    return sorted(PHOTOS.glob("*/*.png"))


def photo_cases() -> list[tuple[np.ndarray, str | None]]:
    """The shared photos as 3-channel BGR frames (as a camera delivers them)."""
    cases: list[tuple[np.ndarray, str | None]] = []
    for png in photo_paths():
        frame = read_image(png)
        if frame is not None:
            if frame.ndim == 2:
                frame = np.repeat(frame[:, :, None], 3, axis=2)
            cases.append((frame, png.with_suffix(".txt").read_text(encoding="utf-8")))
    return cases


def rescue_steps(pipeline: ScanPipeline, cases: list[tuple[np.ndarray, str | None]]) -> dict[str, int]:
    """How many photos each pass-2 step read (and how many pass 2 tried but could not)."""
    steps: dict[str, int] = {}
    for frame, expected in cases:
        texts = [d.text for d in pipeline.decode(frame)]
        if pipeline.last_pass == 2:
            ok = expected is not None and any(_same(t, expected) for t in texts)
            key = pipeline.last_step if ok else "unread"
            steps[key] = steps.get(key, 0) + 1
    return steps


def synthetic_cases(perturb: Perturb | None, width: int, height: int, n: int) -> list[tuple[np.ndarray, str | None]]:
    text = "KB1.k1.b00042.E0000042.tntcw0.u6la80." + "x" * 86  # badge-sized (123 chars)
    return [
        (render_frame(None if perturb is None else text, width=width, height=height,
                      perturb=perturb or Perturb(), seed=1000 + i), None if perturb is None else text)
        for i in range(n)
    ]


def _row(label: str, total: int, results: dict[str, dict[str, Any]]) -> str:
    cells = "  ".join(f"{r['read']:>4}/{total:<4} {r['median_ms']:>7.2f} ms" for r in results.values())
    return f"{label:<28} {cells}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.decode", description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20, help="synthetic frames per condition and size")
    parser.add_argument("--repeat", type=int, default=3, help="photo runs; the best median is kept")
    args = parser.parse_args(argv)

    pipeline = ScanPipeline()
    decoders = make_decoders(pipeline)
    header = f"{'':<28} " + "  ".join(f"{name:>20}" for name in decoders)
    print("read / frames and median ms per frame (each decoder gets the same BGR frame)")
    if "opencv" not in decoders:
        print("(OpenCV is not installed: its column is left out; pip install 'checkin-kiosk[video]' to compare)")
    print(header)

    for width, height in ((640, 480), (1280, 720)):
        for name, perturb in CONDITIONS.items():
            cases = synthetic_cases(perturb, width, height, args.frames)
            results = {d: measure(fn, cases) for d, fn in decoders.items()}
            print(_row(f"{width}x{height} {name}", len(cases), results), flush=True)

    if not PHOTOS.is_dir():
        print(f"shared photos not found at {PHOTOS}: skipping the real-photo comparison")
        return 0
    cases = photo_cases()
    photo: dict[str, dict[str, Any]] = {}
    for d, fn in decoders.items():
        runs = [measure(fn, cases) for _ in range(max(1, args.repeat))]
        photo[d] = min(runs, key=lambda r: r["median_ms"])
    print(_row("shared photos (0°)", len(cases), photo))
    ratio = photo["pipeline"]["median_ms"] / max(1e-9, photo["zxingcpp"]["median_ms"])
    print(f"pipeline median / raw zxing-cpp median: {ratio:.2f}x; pipeline p95 {photo['pipeline']['p95_ms']:.2f} ms")
    steps = rescue_steps(pipeline, cases)
    print("pass 2 on the photos: " + ", ".join(f"{k} {v}" for k, v in sorted(steps.items())))
    summary: dict[str, Any] = {"total": len(cases)}
    summary.update({d: {"read": r["read"], "median_ms": r["median_ms"], "p95_ms": r["p95_ms"]} for d, r in photo.items()})
    summary["pass2_steps"] = steps
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
