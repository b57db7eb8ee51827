"""A camera by index behind one :class:`Capture` protocol, whichever backend reads it.

:func:`camera_backend` turns ``[camera] backend`` into a capture factory (V4L2 with linuxpy
on Linux, QtMultimedia, OpenCV); :class:`CameraSource` drives one capture and reconnects,
with backoff, when the camera goes away. No backend library (linuxpy, QtMultimedia, OpenCV)
is imported until it is chosen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from .cv_capture import open_cv_capture
from .frame_source import FrameSource, SourceError
from .opencv import BACKEND_NEEDS_OPENCV, load_cv2
from .v4l2_capture import V4l2Capture, v4l2_unavailable


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
    try:
        load_cv2(BACKEND_NEEDS_OPENCV)
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
