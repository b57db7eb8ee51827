"""What a V4L2 frame costs before the decoder: ``python -m benchmarks.v4l2_convert [--runs N]``.

For a synthetic camera frame (a badge in a scene) at 640x480 and 1280x720, as the camera
would send it (YUYV, NV12, MJPEG at quality 85), the median time of: the gray frame the
decoder gets (kiosk.scan.v4l2_frames), for MJPEG also a full colour decode converted to gray
(what skipping ``draft("L")`` would cost), and the half-size colour preview. No camera is
needed: the frames are built from the rendered picture with Pillow.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable

import numpy as np
from PIL import Image

from kiosk.scan.synthetic import render_frame
from kiosk.scan.v4l2_frames import frame_to_gray, frame_to_rgb_half

TOKEN = "KB1.k1.b00001.E0000001.tntcw0.u6la80.LbKPrlNaJ7LtkubdlWu1s9GmozfqWy714E_NCAZ70N8zPyVakMp56q6__9wg2pGta0fkUZqEQF-uXybcFxQ8Dg"


def camera_frames(width: int, height: int) -> dict[str, bytes]:
    bgr = render_frame(TOKEN, width=width, height=height, seed=1)
    rgb = Image.fromarray(np.ascontiguousarray(bgr[..., ::-1]))
    y, cb, cr = (np.array(p) for p in rgb.convert("YCbCr").split())
    yuyv = np.empty((height, width * 2), np.uint8)
    yuyv[:, 0::2] = y
    yuyv[:, 1::4] = cb[:, 0::2]
    yuyv[:, 3::4] = cr[:, 0::2]
    uv = np.empty((height // 2, width), np.uint8)
    uv[:, 0::2], uv[:, 1::2] = cb[::2, ::2], cr[::2, ::2]
    jpeg = io.BytesIO()
    rgb.save(jpeg, "JPEG", quality=85)
    return {"YUYV": yuyv.tobytes(), "NV12": y.tobytes() + uv.tobytes(), "MJPG": jpeg.getvalue()}


def median_ms(call: Callable[[], object], runs: int) -> float:
    call()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        call()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    print(f"{'size':>9}  {'format':6} {'to gray':>8} {'colour+gray':>11} {'preview':>8}  (median ms)")
    for width, height in ((640, 480), (1280, 720)):
        for fourcc, data in camera_frames(width, height).items():
            gray = median_ms(lambda: frame_to_gray(fourcc, data, width, height), args.runs)
            full = "-"
            if fourcc == "MJPG":
                full = f"{median_ms(lambda: np.array(Image.open(io.BytesIO(data)).convert('L')), args.runs):.2f}"
            preview = "-"
            if frame_to_rgb_half(fourcc, data, width, height) is not None:
                preview = f"{median_ms(lambda: frame_to_rgb_half(fourcc, data, width, height), args.runs):.2f}"
            size = f"{width}x{height}"
            print(f"{size:>9}  {fourcc:6} {gray:8.2f} {full:>11} {preview:>8}")


if __name__ == "__main__":
    main()
