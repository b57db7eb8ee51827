"""``kiosk decode PATH...``: decode image and video files with the kiosk's own pipeline.

Prints one JSON object per line: ``{"path": ..., "texts": [...], "ms": ...}`` per image
(and per frame of a video, with ``"frame"``); ``ms`` is the pipeline's own time for that
image. ``texts`` hold each code's content exactly (JSON escapes control characters, so a
code holding ``\x01\x10`` prints as ``"\u0001\u0010"``); ``--readable`` names them instead
(``<SOH><DLE>``), for people. A file that cannot be read gets a line with an ``"error"`` sentence and the command
exits 1 at the end. IT uses it to test a snapshot from a terminal's camera. Images are
read with Pillow; video files need the optional OpenCV (``checkin-kiosk[video]``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from kiosk.core.cli_style import EXIT_BAD_ARGUMENT, fail
from kiosk.core.config import ConfigError, load_config
from kiosk.core.paths import default_paths
from kiosk.core.text import readable_text
from kiosk.scan.decoder import DecoderUnavailable, ScanPipeline
from kiosk.scan.frame_source import SourceError
from kiosk.scan.opencv import VIDEO_NEEDS_OPENCV, load_cv2
from kiosk.scan.sources import IMAGE_SUFFIXES, list_images, read_image


def _configured_backend(args: argparse.Namespace) -> str:
    try:
        return load_config(default_paths(getattr(args, "home", None)).config_file).camera.decoder
    except ConfigError as exc:
        print(f"kiosk: warning: ignoring the config ({exc}); decoding with zxingcpp",
              file=sys.stderr)
        return "zxingcpp"


def main(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    backend = args.backend or _configured_backend(args)
    try:
        pipeline = ScanPipeline(backend, second_pass=not args.no_second_pass)
    except DecoderUnavailable as exc:
        return fail("kiosk", str(exc), EXIT_BAD_ARGUMENT)  # the --backend or [camera] decoder
    failures = 0
    for arg in args.paths:
        for record in _decode_path(Path(arg), pipeline, args.max_frames, args.readable):
            failures += "error" in record
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
    return 1 if failures else 0


def _decode_path(path: Path, pipeline: Any, max_frames: int, readable: bool) -> Iterator[dict[str, Any]]:
    if path.is_dir():
        images = list_images(path)
        if not images:
            yield {"path": str(path), "error": "This folder holds no images."}
        for image in images:
            yield _decode_image(image, pipeline, readable)
    elif not path.exists():
        yield {"path": str(path), "error": "No such file or folder."}
    elif path.suffix.lower() in IMAGE_SUFFIXES:
        yield _decode_image(path, pipeline, readable)
    else:
        yield from _decode_video(path, pipeline, max_frames, readable)


def _texts(found: list[Any], readable: bool) -> list[str]:
    return [readable_text(d.content) if readable else d.content for d in found]


def _decode_image(path: Path, pipeline: Any, readable: bool) -> dict[str, Any]:
    frame = read_image(path)
    if frame is None:
        return {"path": str(path), "error": "Cannot read this file: it is empty, corrupt or not an image."}
    found = pipeline.decode(frame)
    return {"path": str(path), "texts": _texts(found, readable), "ms": round(pipeline.last_ms, 3)}


def _decode_video(path: Path, pipeline: Any, max_frames: int, readable: bool) -> Iterator[dict[str, Any]]:
    try:
        cv2 = load_cv2(VIDEO_NEEDS_OPENCV)  # optional: only video files need OpenCV
    except SourceError as exc:
        yield {"path": str(path), "error": str(exc)}
        return
    cap = cv2.VideoCapture(str(path))
    try:
        ok, frame = cap.read() if cap.isOpened() else (False, None)
        if not ok or frame is None:
            yield {"path": str(path), "error": "Cannot read this file: it is not an image or a video OpenCV can decode, or it is corrupt."}
            return
        index = 0
        while ok and frame is not None:
            found = pipeline.decode(frame)
            yield {"path": str(path), "frame": index, "texts": _texts(found, readable), "ms": round(pipeline.last_ms, 3)}
            index += 1
            if max_frames and index >= max_frames:
                break
            ok, frame = cap.read()
    finally:
        cap.release()
