"""The scan worker: owns the frame source in its own QThread, decodes, reports by signals.

The loop reads a frame, decodes it, debounces, and goes straight on to the next frame — it
never queues frames. A camera delivers the newest frame (its buffer is kept at one), and
paced sources restart their schedule when the loop falls behind, so a slow decode drops
frames instead of building a backlog. The preview is throttled to ``preview_fps`` and sent
only when the GUI has taken the previous one, so a busy GUI cannot pile up images either;
it is the source's colour picture when it has one (``preview_image``), else the frame.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from kiosk.core.policies import Debouncer

from .camera_check import CameraMeter
from .camera_source import CameraSource
from .decoder import ScanPipeline
from .frame_source import FrameSource, SourceError

log = logging.getLogger(__name__)

_IDLE_WAIT_S = 0.02  # no frame now (camera reconnecting): look again this much later
_STATS_PERIOD_S = 1.0


def to_qimage(frame: np.ndarray) -> QImage:
    """A QImage that owns a copy of a BGR (or gray) frame's pixels."""
    frame = np.ascontiguousarray(frame)
    h, w = frame.shape[:2]
    if frame.ndim == 2:
        img = QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_Grayscale8)
    else:
        img = QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_BGR888)
    return img.copy()


class _PreviewAck(QObject):
    """Lives in the GUI thread; runs once the GUI's event loop reached a preview frame."""

    def __init__(self, event: threading.Event) -> None:
        super().__init__()
        self._event = event

    @Slot(QImage)
    def taken(self, _image: QImage) -> None:
        self._event.set()


class ScanWorker(QObject):
    """Captures and decodes in a thread it creates; ``start()`` / ``stop()`` (joins).

    Signals:
        frame_ready(QImage): preview at display rate; the image owns its pixels.
        code_decoded(str, list, float): a new scan — text, polygon [(x, y), ...] and the
            ``time.monotonic()`` at which its frame was captured (for latency figures).
        stats_changed(float, float): frames per second and mean decode ms, once a second.
        check_changed(object): the :class:`~kiosk.scan.camera_check.CameraCheck` (focus,
            brightness, read rate over the last frames), with ``stats_changed``.
        camera_state_changed(str): "ok", "connecting", "disconnected" or "error".
        camera_status_changed(str, str): the state and a sentence saying what it means.
        badge_in_view_changed(bool): on change only: the badge of the last
            ``code_decoded`` is still in frame (True, sent just before that scan), or has
            left it (False; also when the camera gives no frame). From the debouncer's
            per-frame view, so it costs no extra decoding.

    The signals are emitted from the worker thread: connect them to slots of QObjects that
    live in the GUI thread (then Qt queues them there). A bare lambda or function connected
    to them runs in the worker thread and must not touch widgets.
    """

    frame_ready = Signal(QImage)
    code_decoded = Signal(str, list, float)
    stats_changed = Signal(float, float)
    check_changed = Signal(object)
    camera_state_changed = Signal(str)
    camera_status_changed = Signal(str, str)
    badge_in_view_changed = Signal(bool)

    def __init__(
        self,
        source_factory: Callable[[], FrameSource],
        pipeline: ScanPipeline,
        preview_fps: float = 15,
        *,
        debouncer: Debouncer | None = None,
    ) -> None:
        super().__init__()
        self._source_factory = source_factory
        self._pipeline = pipeline
        self._preview_period = 1.0 / preview_fps if preview_fps > 0 else 0.0
        self._debouncer = debouncer or Debouncer()
        self._meter = CameraMeter()
        self._stop = threading.Event()
        self._preview_free = threading.Event()
        self._preview_free.set()
        self._ack = _PreviewAck(self._preview_free)
        self.frame_ready.connect(self._ack.taken)
        self._state = ""
        self._last_scan: str | None = None  # the text of the last code_decoded
        self._in_view = False
        self.camera_detail = ""
        self.frames_processed = 0
        self._thread = QThread()
        self._thread.setObjectName("scan-worker")
        self.moveToThread(self._thread)
        self._thread.started.connect(self._run)
        app = QCoreApplication.instance()
        if app is not None:  # a safety net: the window's close path should stop us first
            ref = weakref.ref(self)
            app.aboutToQuit.connect(lambda: (w := ref()) is not None and w.stop())

    @property
    def running(self) -> bool:
        return self._thread.isRunning()

    @property
    def state(self) -> tuple[str, str]:
        """The last state reported and its sentence (``("", "")`` before the first)."""
        return self._state, self.camera_detail

    def start(self) -> None:
        if self._thread.isRunning():
            return
        self._stop.clear()
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Stop the loop and join the thread; True when the thread has ended."""
        self.request_stop()
        done = self.wait(timeout_s)
        if not done:
            log.error("scan worker did not stop within %.1f s", timeout_s)
        return done

    def request_stop(self) -> None:
        """Ask the loop to end (returns at once: the GUI thread never waits for it)."""
        self._stop.set()
        self._thread.quit()

    def wait(self, timeout_s: float) -> bool:
        """Join the thread (from any thread); True when it has ended."""
        return bool(self._thread.wait(max(0, int(timeout_s * 1000))))

    # -- in the worker thread -------------------------------------------------------

    @Slot()
    def _run(self) -> None:
        try:
            self._loop()
        except Exception:  # noqa: BLE001 - a worker must report, not die silently
            log.exception("scan worker failed")
            self._report("error", "The camera worker stopped after an unexpected error; see the log.")
        finally:
            self._thread.quit()

    def _loop(self) -> None:
        try:
            source = self._source_factory()
        except SourceError as exc:
            self._report("error", str(exc))
            return
        try:
            self._capture(source)
        finally:
            source.close()

    def _capture(self, source: FrameSource) -> None:
        last_preview = 0.0
        window_start = time.monotonic()
        window_frames = 0
        window_ms = 0.0
        self._report(source.state, source.state_detail)
        while not self._stop.is_set():
            frame = source.read()
            self._report(source.state, source.state_detail)
            if frame is None:
                self._set_in_view(False)
                if source.state == "error" and not _retries(source):
                    return
                self._stop.wait(_IDLE_WAIT_S)
                continue
            frame_ts = time.monotonic()
            found = self._pipeline.decode(frame)
            window_frames += 1
            window_ms += self._pipeline.last_ms
            self.frames_processed += 1
            self._meter.feed(frame, self._pipeline.last_pass > 0, bool(found))
            polygons = {d.text: d.polygon for d in found}
            for text in self._debouncer.feed(d.text for d in found):
                self._last_scan = text
                self._set_in_view(True)
                self.code_decoded.emit(text, [list(p) for p in polygons[text]], frame_ts)
            if self._in_view and self._last_scan not in self._debouncer.in_view():
                self._set_in_view(False)
            now = time.monotonic()
            if now - last_preview >= self._preview_period and self._preview_free.is_set():
                self._preview_free.clear()
                last_preview = now
                self.frame_ready.emit(_preview(source, frame))
            if now - window_start >= _STATS_PERIOD_S:
                fps = window_frames / (now - window_start)
                self.stats_changed.emit(fps, window_ms / max(1, window_frames))
                self.check_changed.emit(self._meter.check(fps))
                window_start, window_frames, window_ms = now, 0, 0.0

    def _set_in_view(self, in_view: bool) -> None:
        if in_view != self._in_view:
            self._in_view = in_view
            self.badge_in_view_changed.emit(in_view)

    def _report(self, state: str, detail: str) -> None:
        if state == self._state and detail == self.camera_detail:
            return
        changed = state != self._state
        self._state, self.camera_detail = state, detail
        if changed:
            self.camera_state_changed.emit(state)
        self.camera_status_changed.emit(state, detail)


def _preview(source: FrameSource, frame: np.ndarray) -> QImage:
    """The source's colour picture of this frame when it has one (a camera that hands the
    decoder only its gray plane), else the frame itself."""
    hook = getattr(source, "preview_image", None)
    image = hook() if hook is not None else None
    if isinstance(image, QImage) and not image.isNull():
        return image
    return to_qimage(frame)


def _retries(source: FrameSource) -> bool:
    """A camera in "error" may come back; a finished file or folder will not."""
    return isinstance(source, CameraSource)
