"""What a QtMultimedia camera frame costs the scan worker: ``python -m benchmarks.qt_frames``.

Per format, at 1280x720 and 640x480: ``video_frame_to_gray`` (what every frame pays before
decoding) and ``QVideoFrame.toImage()`` (what a preview pays, at most 15 times a second),
median of ``--repeat`` runs (each on a new frame), on frames built like a camera's (tests/helpers/video_frames.py).
No GPU here: ``toImage`` converts on the CPU (Qt logs "No RHI backend" once).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QGuiApplication  # noqa: E402

from kiosk.scan.qt_frames import video_frame_to_gray  # noqa: E402
from tests.helpers.video_frames import make_frame, pattern  # noqa: E402

FORMATS = ("Format_NV12", "Format_YUYV", "Format_YUV420P", "Format_P010")


def _median_ms(call: Callable[[object], object], inputs: list[object]) -> float:
    times = []
    for item in inputs:
        t0 = time.perf_counter()
        call(item)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()
    app = QGuiApplication([])  # noqa: F841 - toImage needs a GUI application
    print(f"{'format':<16}{'size':>10}{'to gray ms':>12}{'toImage ms':>12}")
    for width, height in ((1280, 720), (640, 480)):
        luma = pattern(width, height)
        for name in FORMATS:
            # a new frame per run: a frame caches its toImage() result
            frames = [make_frame(name, luma, chroma=(100, 160)) for _ in range(args.repeat)]
            assert np.array_equal(video_frame_to_gray(frames[0]), luma)
            gray_ms = _median_ms(video_frame_to_gray, frames)
            image_ms = _median_ms(lambda f: f.toImage(), frames)
            print(f"{name:<16}{width:>5}x{height:<4}{gray_ms:>12.2f}{image_ms:>12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
