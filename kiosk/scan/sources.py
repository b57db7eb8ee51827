"""Frame sources behind one interface: a camera, a video file, a folder of images, synthetic.

All of them are chosen by one string (``--camera`` / ``[camera] source``) through
:func:`open_source`. A source is owned by one worker thread, which calls :meth:`read` in a
loop; ``read`` returns a BGR (or, from a camera, gray) frame or ``None`` when there is no
frame right now (camera unplugged, reconnecting), and never raises for a device that
comes and goes. Opening a file or folder that cannot be used raises :class:`SourceError`
with a sentence for the user.

Images are read with Pillow. OpenCV is optional (``pip install 'checkin-kiosk[video]'``):
only video files and the OpenCV camera capture import it, when they are opened.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

# The camera and the shared base have their own modules; their names stay importable from
# here, where callers find every source.
from .camera_source import (  # noqa: F401 - re-exported
    BACKENDS,
    CameraSource,
    Capture,
    camera_backend,
    prepare_camera_backend,
)
from .frame_source import STATES, FrameSource, SourceError  # noqa: F401 - re-exported
from .opencv import VIDEO_NEEDS_OPENCV, load_cv2
from .pacing import Pacer
from .synthetic import SyntheticSource

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"})


# ---------------------------------------------------------------------------- files


class VideoFileSource(FrameSource):
    """A video file, frame by frame, optionally looping, paced at the file's frame rate.

    Decoded by OpenCV, the one optional dependency: without it opening a video raises
    :class:`SourceError` saying how to install it.
    """

    def __init__(
        self,
        path: Path,
        *,
        loop: bool = True,
        fps: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"Video file not found: {self.path}.")
        self.loop = loop
        self._cv = load_cv2(VIDEO_NEEDS_OPENCV)
        self._cap = self._open()
        ok, first = self._cap.read()
        if not ok or not isinstance(first, np.ndarray):
            self._cap.release()
            raise SourceError(f"Cannot read video file {self.path}: it is empty, corrupt or in a format OpenCV cannot decode.")
        self._pending: np.ndarray | None = first
        file_fps = self._cap.get(self._cv.CAP_PROP_FPS) or 0.0
        rate = fps if fps is not None else (file_fps if 1 <= file_fps <= 240 else 30.0)
        self._pacer = Pacer(rate, clock, sleep)
        self.frames_read = 0
        self._set_state("ok", f"Playing {self.path.name}.")

    def _open(self) -> Any:
        cap = self._cv.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"Cannot open video file {self.path}: it is corrupt or not a video.")
        return cap

    def read(self) -> np.ndarray | None:
        if self._cap is None:
            return None
        self._pacer.wait()
        if self._pending is not None:
            frame, self._pending = self._pending, None
        else:
            ok, frame = self._cap.read()
            if not ok or frame is None:
                if not self.loop or self.frames_read == 0:
                    self._set_state("error", f"End of video {self.path.name}.")
                    return None
                self._cap.release()
                self._cap = self._cv.VideoCapture(str(self.path))
                ok, frame = self._cap.read()
                if not ok or frame is None:
                    self._set_state("error", f"Video {self.path.name} can no longer be read.")
                    return None
        self.frames_read += 1
        return frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


class ImageFolderSource(FrameSource):
    """The images of a folder in name order, each held ``hold_frames`` frames, looping.

    An unreadable image is skipped (and said in ``state_detail``), not fatal; a folder in
    which no image can be read is an error.
    """

    def __init__(
        self,
        folder: Path,
        *,
        loop: bool = True,
        fps: float = 30.0,
        hold_frames: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise SourceError(f"Image folder not found: {self.folder}.")
        self.paths = list_images(self.folder)
        if not self.paths:
            raise SourceError(
                f"Folder {self.folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})."
            )
        self.loop = loop
        self._hold = max(1, hold_frames)
        self._pacer = Pacer(fps, clock, sleep)
        self._i = 0
        self._held = 0
        self._current: np.ndarray | None = None
        self._bad: set[Path] = set()
        self._closed = False
        self._set_state("ok", f"Showing {len(self.paths)} images from {self.folder.name}.")

    def read(self) -> np.ndarray | None:
        if self._closed:
            return None
        self._pacer.wait()
        if self._current is not None and self._held < self._hold:
            self._held += 1
            return self._current
        for _ in range(len(self.paths)):
            if self._i >= len(self.paths):
                if not self.loop:
                    self._set_state("error", f"End of the images in {self.folder.name}.")
                    return None
                self._i = 0
            path = self.paths[self._i]
            self._i += 1
            frame = read_image(path)
            if frame is None:
                self._bad.add(path)
                self._set_state("ok", f"Skipped {path.name}: not a readable image.")
                continue
            self._current, self._held = frame, 1
            return frame
        self._set_state("error", f"None of the images in {self.folder} can be read.")
        return None

    def close(self) -> None:
        self._closed = True


def read_image(path: Path) -> np.ndarray | None:
    """An image file as a BGR array (gray for a gray file), turned upright by its EXIF
    orientation like a photo viewer shows it; None when the file is missing, empty,
    corrupt or not an image."""
    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)
            if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16-bit or float gray
                wide = np.asarray(img, dtype=np.float64)
                top = max(float(wide.max()), 1.0)
                return (wide * (255.0 / (65535.0 if top > 255 else 255.0))).clip(0, 255).astype(np.uint8)
            if img.mode in ("1", "L", "LA"):
                return np.array(img.convert("L"))
            rgb = np.asarray(img.convert("RGB"))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    if rgb.size == 0:
        return None
    return np.ascontiguousarray(rgb[:, :, ::-1])


# ---------------------------------------------------------------------------- choosing


def open_source(
    spec: str,
    *,
    width: int = 1280,
    height: int = 720,
    fps: int = 30,
    loop: bool = True,
    synthetic_tokens: Sequence[str] = (),
    backend: str = "auto",
    capture_factory: Callable[[int], Capture] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    hold_s: float = 1.0,
) -> FrameSource:
    """The source a ``--camera`` value names: ``0`` (index), a video, a folder, ``synthetic``.

    A single image file works too (shown as a one-image folder). Raises
    :class:`SourceError` with a sentence for anything that cannot be opened.
    """
    spec = str(spec).strip()
    if not spec:
        raise SourceError("No camera given: use a camera number (0), a video file, a folder or 'synthetic'.")
    if spec.isdigit():
        return CameraSource(
            int(spec), width=width, height=height, fps=fps,
            backend=backend, capture_factory=capture_factory, clock=clock,
        )
    if spec.lower() == "synthetic":
        return SyntheticSource(synthetic_tokens, width, height, fps, clock=clock, sleep=sleep)
    path = Path(spec).expanduser()
    if path.is_dir():
        return ImageFolderSource(
            path, loop=loop, fps=fps, hold_frames=round(fps * hold_s), clock=clock, sleep=sleep
        )
    if path.is_file():
        if path.suffix.lower() in IMAGE_SUFFIXES:
            return _SingleImageSource(path, fps=fps, clock=clock, sleep=sleep)
        return VideoFileSource(path, loop=loop, clock=clock, sleep=sleep)
    raise SourceError(
        f"No camera, video file or folder called {spec!r}: use a camera number (0), "
        "a video file, a folder of images or 'synthetic'."
    )


class _SingleImageSource(FrameSource):
    def __init__(self, path: Path, *, fps: float, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self._frame = read_image(path)
        if self._frame is None:
            raise SourceError(f"Cannot read image {path}: it is empty, corrupt or not an image.")
        self._pacer = Pacer(fps, clock, sleep)
        self._set_state("ok", f"Showing {path.name}.")

    def read(self) -> np.ndarray | None:
        if self._frame is None:
            return None
        self._pacer.wait()
        return self._frame

    def close(self) -> None:
        self._frame = None
