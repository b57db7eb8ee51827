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

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image, ImageOps

from .pacing import Pacer

log = logging.getLogger(__name__)

VIDEO_NEEDS_OPENCV = (
    "Video files need OpenCV, which is not installed: pip install 'checkin-kiosk[video]'."
)


STATES = ("ok", "connecting", "disconnected", "error")
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"})


class SourceError(Exception):
    """A frame source that cannot be opened; ``str()`` is a sentence for the user."""


class FrameSource:
    """The interface every source implements (and the worker relies on).

    Attributes:
        state: one of "ok", "connecting", "disconnected", "error".
        state_detail: one sentence saying what the state means right now.
    """

    state: str = "ok"
    state_detail: str = ""

    def read(self) -> np.ndarray | None:
        """The next BGR (or gray) frame, or None when there is no frame now."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the device or file; reading after close returns None."""

    def preview_image(self) -> Any:
        """A colour QImage of the last frame read, for a source whose frames are gray
        (a camera that delivers only the luma plane); None: preview the frame itself."""
        return None

    def _set_state(self, state: str, detail: str) -> None:
        if state != self.state or detail != self.state_detail:
            log.info("source %s: %s", state, detail)
        self.state = state
        self.state_detail = detail


# ---------------------------------------------------------------------------- camera


class Capture(Protocol):
    """One opened camera, whatever the backend (QtMultimedia, OpenCV, a test fake).

    Attributes:
        name: the camera's product name ("HD Webcam"), or "" when the backend cannot tell.

    A capture may also offer ``preview() -> QImage | None``: a colour picture of the frame
    ``read`` returned last, for a backend whose ``read`` gives gray frames.
    """

    name: str

    def is_open(self) -> bool: ...
    def configure(self, width: int, height: int, fps: int) -> None:
        """Ask for the capture size and rate closest to these (and start capturing)."""
    def read(self) -> np.ndarray | None:
        """The newest frame (BGR or gray), or None after waiting at most about a second."""
    def release(self) -> None: ...


BACKENDS = ("auto", "v4l2", "qt", "opencv")


def camera_backend(name: str = "auto") -> Callable[[int], Capture]:
    """The capture factory for ``[camera] backend``: ``v4l2`` (Linux, linuxpy), ``qt``
    (QtMultimedia), ``opencv``, or ``auto`` (v4l2 on Linux when linuxpy imports, else qt
    when QtMultimedia imports and has its media backend, else opencv when cv2 imports).
    Raises :class:`SourceError` with a sentence when the one asked for cannot."""
    if name not in BACKENDS:
        raise SourceError(f"Unknown camera backend {name!r}: use auto, v4l2, qt or opencv.")
    if name in ("auto", "v4l2"):
        from .v4l2_capture import V4l2Capture, v4l2_unavailable

        why = v4l2_unavailable()
        if not why:
            return V4l2Capture
        if name == "v4l2":
            raise SourceError(why)
    qt_problem = ""
    if name in ("auto", "qt"):
        try:
            from .qt_capture import QtCapture, prepare
        except ImportError as exc:
            qt_problem = f"QtMultimedia (PySide6-Addons) is not installed ({exc})"
        else:
            qt_problem = prepare()
            if not qt_problem:
                return QtCapture
        if name == "qt":
            raise SourceError(f"The qt camera backend cannot capture: {qt_problem}.")
    from .cv_capture import load_cv2, open_cv_capture

    try:
        load_cv2()
    except SourceError:
        if name == "opencv":
            raise
        raise SourceError(
            f"No camera backend: {qt_problem}, and OpenCV is not installed either; install "
            "one of them, or scan with a USB scanner only."
        ) from None
    return open_cv_capture


def prepare_camera_backend(name: str = "auto") -> None:
    """Initialise QtMultimedia in the calling (GUI) thread before a worker opens a camera
    (see :func:`kiosk.scan.qt_capture.prepare`)."""
    if name not in ("auto", "qt"):
        return
    if name == "auto":
        from .v4l2_capture import v4l2_unavailable

        if not v4l2_unavailable():
            return  # auto is v4l2 here: QtMultimedia is not used
    try:
        from .qt_capture import prepare
    except ImportError:
        return
    prepare()


class CameraSource(FrameSource):
    """A camera by index that reconnects by itself, with backoff, when it disappears.

    ``misses_before_disconnect`` consecutive failed reads mean the camera is gone (a USB
    camera unplugged makes ``read()`` fail at once); the capture is released and reopened
    after ``backoff_base_s``, doubling up to ``backoff_cap_s`` while it stays away.
    ``capture_factory`` opens a camera by index (default: the ``backend``'s).
    """

    def __init__(
        self,
        index: int,
        *,
        width: int = 1280,
        height: int = 720,
        fps: int = 30,
        backend: str = "auto",
        capture_factory: Callable[[int], Capture] | None = None,
        clock: Callable[[], float] = time.monotonic,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 5.0,
        misses_before_disconnect: int = 5,
    ) -> None:
        self.index = index
        self._size = (width, height, fps)
        self._factory = capture_factory or camera_backend(backend)
        self._clock = clock
        self._backoff_base = backoff_base_s
        self._backoff_cap = backoff_cap_s
        self._max_misses = misses_before_disconnect
        self._cap: Capture | None = None
        self._misses = 0
        self._attempts = 0
        self._next_try = clock()
        self._closed = False
        self.reconnects = 0
        self._ever_opened = False
        self._set_state("connecting", f"Opening camera {index}…")

    @property
    def label(self) -> str:
        """"Camera 0", or "Camera 0 (HD Webcam)" when the backend tells its name."""
        name = getattr(self._cap, "name", "") if self._cap is not None else ""
        return f"Camera {self.index} ({name})" if name else f"Camera {self.index}"

    def read(self) -> np.ndarray | None:
        if self._closed:
            return None
        if self._cap is None and not self._try_open():
            return None
        assert self._cap is not None
        frame = self._cap.read()
        if isinstance(frame, np.ndarray) and frame.size:
            self._misses = 0
            if self.state != "ok":
                self._set_state("ok", f"{self.label} is working.")
            return frame
        self._misses += 1
        if self._misses >= self._max_misses or not self._cap.is_open():  # closed itself: gone
            self._drop("{c} stopped delivering frames (unplugged?); retrying in {s:.1f} s.")
        return None

    def preview_image(self) -> Any:
        """A colour picture of the last frame when the capture offers one (else None)."""
        preview = getattr(self._cap, "preview", None)
        return preview() if preview is not None else None

    def _try_open(self) -> bool:
        now = self._clock()
        if now < self._next_try:
            return False
        self._set_state("connecting", f"Connecting to camera {self.index}…")
        try:
            cap: Capture | None = self._factory(self.index)
            opened = cap is not None and bool(cap.is_open())
        except OSError:
            cap, opened = None, False
        if opened:
            assert cap is not None
            cap.configure(*self._size)
            opened = bool(cap.is_open())  # a busy camera may show only when it starts
        if not opened:
            reason = _capture_error(cap)
            if cap is not None:
                cap.release()
            self._schedule_retry()
            s = self._retry_in()
            self._set_state(
                "disconnected",
                f"Camera {self.index}: {reason}; retrying in {s:.1f} s." if reason
                else f"Camera {self.index} is not available; retrying in {s:.1f} s.",
            )
            return False
        self._cap = cap
        self._misses = 0
        self._attempts = 0
        if self._ever_opened:
            self.reconnects += 1
        self._ever_opened = True
        return True

    def _schedule_retry(self) -> None:
        delay = min(self._backoff_cap, self._backoff_base * (2 ** self._attempts))
        self._attempts += 1
        self._next_try = self._clock() + delay

    def _retry_in(self) -> float:
        return max(0.0, self._next_try - self._clock())

    def _drop(self, template: str) -> None:
        label, reason = self.label, _capture_error(self._cap)
        if self._cap is not None:
            self._cap.release()
        self._cap = None
        self._misses = 0
        self._schedule_retry()
        s = self._retry_in()
        detail = f"{label}: {reason}; retrying in {s:.1f} s." if reason else template.format(c=label, s=s)
        self._set_state("disconnected", detail)

    def close(self) -> None:
        self._closed = True
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def _capture_error(cap: Capture | None) -> str:
    """Why a capture is not open, when its backend says (``error``); "" otherwise."""
    error = getattr(cap, "error", "") if cap is not None else ""
    return error.strip().rstrip(".") if isinstance(error, str) else ""


# ---------------------------------------------------------------------------- files


def _opencv() -> Any:
    """The ``cv2`` module, or :class:`SourceError` saying video files need it."""
    try:
        import cv2 as opencv
    except ImportError:
        raise SourceError(VIDEO_NEEDS_OPENCV) from None
    return opencv


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
        self._cv = _opencv()
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
        from .synthetic import SyntheticSource

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
