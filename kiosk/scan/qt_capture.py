"""Camera capture with QtMultimedia: QCamera -> QMediaCaptureSession -> QVideoSink.

Qt's FFmpeg media backend reads V4L2 on Linux and Media Foundation on Windows, so the kiosk
needs no OpenCV to see a camera. The scan worker's loop is blocking, so this module bridges
Qt's signals to a blocking ``read()``:

- the Qt camera objects are created in the worker thread (the one calling the factory and
  ``read``), so their events are that thread's events;
- ``read`` runs a short nested :class:`QEventLoop` that ends on the next frame or after a
  timeout; while it runs the thread's events (the camera objects' own) are processed. No
  extra thread; ``QThread.quit()`` from ``ScanWorker.stop`` ends a nested loop at once
  (and makes every later one return at once);
- only the newest frame is kept: a slow decode drops frames, never queues them;
- a camera error or the device leaving the system makes ``read`` return None at once, so
  the camera source counts misses and reconnects.

The decoder gets gray: the Y plane of YUV frames, no colour conversion (see
:mod:`.qt_frames`). The colour preview is ``QVideoFrame.toImage()`` of the newest frame,
made only when the worker sends a preview.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QSize, QTimer, Slot
from PySide6.QtGui import QImage

from .qt_frames import (  # first: imports QtMultimedia with its messages routed to the log
    LUMA_FORMATS,
    NO_BACKEND,
    QCamera,
    QMediaCaptureSession,
    QMediaDevices,
    QVideoFrame,
    QVideoSink,
    qt_messages_to_log,
    video_frame_to_gray,
)

log = logging.getLogger(__name__)

_prepared = False
_problem = ""


def prepare() -> str:
    """Create Qt's media backend (and list the cameras once); "" when there is one, else a
    sentence saying why QtMultimedia cannot capture.

    Qt creates its media backend, a process-wide object, on first use. Call this from the
    GUI thread, which lasts as long as the app, so that first use does not happen in a scan
    worker's thread, which ends at every camera restart.
    """
    global _prepared, _problem
    if not _prepared:
        _prepared = True
        with qt_messages_to_log() as messages:
            QMediaDevices.videoInputs()
        if any(NO_BACKEND in m for m in messages):
            _problem = ("QtMultimedia has no media backend in this installation (Qt's FFmpeg "
                        "plugin, plugins/multimedia, is missing)")
            log.error("camera: %s", _problem)
    return _problem


# ---------------------------------------------------------------------------- formats


class _Format(Protocol):
    def resolution(self) -> QSize: ...
    def maxFrameRate(self) -> float: ...  # noqa: N802 - Qt's names
    def pixelFormat(self) -> Any: ...  # noqa: N802


def choose_format(formats: Sequence[_Format], width: int, height: int, fps: int) -> Any:
    """The camera format closest to the configured one, or None when there is none.

    In order: the resolution nearest width x height; then one that reaches ``fps`` (a
    webcam often gives 720p as YUYV at 10 fps and as MJPEG at 30: the rate wins, Qt decodes
    the JPEG); then a format whose luma is read without conversion; then the rate nearest.
    """
    def cost(f: _Format) -> tuple[float, float, int, float]:
        size = f.resolution()
        rate = f.maxFrameRate()
        return (abs(size.width() - width) + abs(size.height() - height),
                max(0.0, fps - rate),
                0 if f.pixelFormat() in LUMA_FORMATS else 1,
                abs(rate - fps))

    return min(formats, key=cost, default=None)


# ---------------------------------------------------------------------------- capture


class NewestFrame(QObject):
    """Holds the newest frame a video sink delivered and lets a blocking caller wait for one.

    Lives in the thread that waits. ``offer`` is connected to ``QVideoSink.videoFrameChanged``
    (queued to this thread when the backend emits from its own thread); ``fail`` records an
    error that ends any wait. ``wait`` runs a nested event loop, so this thread's events
    (the camera's own) are processed meanwhile.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._frame: Any = None
        self._loop: QEventLoop | None = None
        self.error = ""
        self.offered = 0

    @Slot(QVideoFrame)
    def offer(self, frame: Any) -> None:
        if not frame.isValid():
            return
        self.offered += 1
        self._frame = frame  # replaces one not taken yet: newest only
        if self._loop is not None:
            self._loop.quit()

    @Slot(str)
    def fail(self, message: str) -> None:
        if not self.error:
            log.warning("camera error: %s", message)
        self.error = message or "camera error"
        if self._loop is not None:
            self._loop.quit()

    def take(self) -> Any:
        frame, self._frame = self._frame, None
        return frame

    def wait(self, timeout_ms: int) -> Any:
        """The newest frame, waiting up to ``timeout_ms`` for one; None on timeout, error or
        when the thread is asked to quit."""
        QCoreApplication.processEvents()  # what arrived meanwhile: frames, errors
        if self._frame is None and not self.error:
            loop = QEventLoop()
            timer = QTimer()
            timer.setSingleShot(True)
            timer.timeout.connect(loop.quit)
            self._loop = loop
            try:
                timer.start(max(1, timeout_ms))
                loop.exec()
            finally:
                self._loop = None
                timer.stop()
        return None if self.error else self.take()


class SinkCapture(QObject):
    """The ``Capture`` protocol over a QVideoSink: newest frame, blocking read, gray out.

    :class:`QtCapture` feeds the sink from a camera; a test feeds it with
    ``sink.setVideoFrame(frame)``, which is exactly what a camera backend does.

    Attributes:
        name: the camera's description ("HD Webcam"), "" when unknown.
        sink: the QVideoSink whose frames are read.
    """

    def __init__(self, sink: Any = None, *, timeout_s: float = 1.0) -> None:
        super().__init__()
        self.name = ""
        self.sink = sink if sink is not None else QVideoSink()
        self._timeout_ms = int(timeout_s * 1000)
        self._newest = NewestFrame()
        self._last: Any = None
        self._released = False
        self.sink.videoFrameChanged.connect(self._newest.offer)

    @property
    def error(self) -> str:
        """Why the capture stopped ("" while it works)."""
        return self._newest.error

    def is_open(self) -> bool:
        return not self._released and not self._newest.error

    def configure(self, width: int, height: int, fps: int) -> None:
        """Nothing to choose for a bare sink."""

    def fail(self, message: str) -> None:
        """The camera broke: reads return None from now on (the source reconnects)."""
        self._newest.fail(message)

    def read(self) -> np.ndarray | None:
        """The newest frame in gray, waiting at most ``timeout_s``; None when there is none."""
        if not self.is_open():
            return None
        self._before_read()
        frame = self._newest.wait(self._timeout_ms)
        if frame is None:
            return None
        self._last = frame
        try:
            return video_frame_to_gray(frame)
        except ValueError as exc:
            log.debug("unreadable camera frame: %s", exc)
            return None

    def _before_read(self) -> None:
        pass

    def preview(self) -> QImage | None:
        """The frame ``read`` returned last, in colour (Qt converts it; on the CPU when
        there is no GPU)."""
        if self._last is None:
            return None
        image = self._last.toImage()
        return None if image.isNull() else image

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        self._last = None
        self._newest.take()
        self.sink.videoFrameChanged.disconnect(self._newest.offer)


class QtCapture(SinkCapture):
    """A camera by index in ``QMediaDevices.videoInputs()``, behind the ``Capture`` protocol.

    Create, read and release it in one thread (the scan worker's). An index beyond the list
    means "not open": the camera source reports it and tries again later.

    Attributes:
        format: the QCameraFormat chosen by :meth:`configure` (None before).
    """

    def __init__(self, index: int, *, timeout_s: float = 1.0,
                 devices: Callable[[], Sequence[Any]] | None = None) -> None:
        prepare()  # before the first media object, so its one-time messages are routed
        super().__init__(timeout_s=timeout_s)
        self._list_devices = devices or QMediaDevices.videoInputs
        self.format: Any = None
        self._started = False
        self._camera: Any = None
        self._session: Any = None
        self._devices: Any = None
        inputs = list(self._list_devices())
        if not 0 <= index < len(inputs):
            return
        device = inputs[index]
        self._device_id = bytes(device.id())
        self.name = device.description()
        self._camera = QCamera(device)
        self._session = QMediaCaptureSession()
        self._session.setCamera(self._camera)
        self._session.setVideoSink(self.sink)
        self._camera.errorOccurred.connect(self._on_error)
        self._devices = QMediaDevices()
        self._devices.videoInputsChanged.connect(self._on_devices_changed)
        if self._camera.error() != QCamera.Error.NoError:  # gone since it was listed
            self.fail(self._camera.errorString())

    def is_open(self) -> bool:
        return self._camera is not None and super().is_open()

    def configure(self, width: int, height: int, fps: int) -> None:
        """Choose the format closest to width x height at fps, and start the camera."""
        if self._camera is None:
            return
        chosen = choose_format(self._camera.cameraDevice().videoFormats(), width, height, fps)
        if chosen is not None:
            self.format = chosen
            self._camera.setCameraFormat(chosen)
            size = chosen.resolution()
            log.info("camera %s: %dx%d %s up to %.0f fps", self.name, size.width(),
                     size.height(), chosen.pixelFormat().name, chosen.maxFrameRate())
        self._before_read()

    def _before_read(self) -> None:
        if not self._started:  # configure() starts it; a read without one too
            self._started = True
            self._camera.start()

    def release(self) -> None:
        if self._camera is not None:
            self._camera.errorOccurred.disconnect(self._on_error)
            self._devices.videoInputsChanged.disconnect(self._on_devices_changed)
            self._camera.stop()
            self._session.setVideoSink(None)
            self._session.setCamera(None)
        self._camera = self._session = self._devices = None
        super().release()

    # -- slots (this thread) ------------------------------------------------------------

    @Slot(QCamera.Error, str)
    def _on_error(self, error: Any, message: str) -> None:
        self.fail(f"{message} ({getattr(error, 'name', error)})")

    @Slot()
    def _on_devices_changed(self) -> None:
        if not any(bytes(d.id()) == self._device_id for d in self._list_devices()):
            self.fail(f"camera {self.name!r} was removed")
