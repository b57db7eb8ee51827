"""The camera side: builds the frame source and the decoder pipeline from the config and
hosts the scan worker (which owns its own QThread), re-emitting its signals.

Restartable for the status panel's "Test camera". A camera that cannot be opened is a
state on the screen ("Camera not available"), never a crash: wedge scanners keep working.
Stopping never blocks the GUI thread: :meth:`CameraService.request_stop` returns at once,
:meth:`CameraService.join` waits from the shutdown's thread (or a restart's helper).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from kiosk.core.config import CameraSection
from kiosk.scan.camera_source import prepare_camera_backend
from kiosk.scan.decoder import ScanPipeline
from kiosk.scan.frame_source import FrameSource
from kiosk.scan.sources import open_source
from kiosk.scan.worker import ScanWorker

log = logging.getLogger("kiosk.services.camera")


class CameraService(QObject):
    """Signals: frame_ready(QImage), code_decoded(str, list, float frame_ts),
    stats_changed(float fps, float decode_ms), check_changed(CameraCheck: focus, brightness,
    read rate), camera_state_changed(str),
    camera_status_changed(str state, str detail): the sentence IT reads on the status panel
    ("Camera 0: permission denied on /dev/video0 (add the kiosk user to the 'video' group)…"),
    badge_in_view_changed(bool): the last scanned badge is still in frame, or has left.
    """

    frame_ready = Signal(QImage)
    code_decoded = Signal(str, list, float)
    stats_changed = Signal(float, float)
    check_changed = Signal(object)
    camera_state_changed = Signal(str)
    camera_status_changed = Signal(str, str)
    badge_in_view_changed = Signal(bool)
    _released = Signal()  # a restart's old worker has ended (emitted by the helper thread)

    def __init__(self, spec: str, camera: CameraSection, synthetic_tokens: Sequence[str] = (),
                 *, preview_fps: float = 15.0, source_factory: Callable[[], FrameSource] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._spec = spec
        self._camera = camera
        self._tokens = list(synthetic_tokens)
        self._preview_fps = preview_fps
        self._source_factory = source_factory
        self.worker: ScanWorker | None = None
        self._stopping: list[ScanWorker] = []  # asked to stop, not yet ended
        self._ended: list[ScanWorker] = []  # ended: deleted on the GUI thread
        self._waiter: threading.Thread | None = None
        self._closed = False
        self._guard = threading.Lock()
        self._released.connect(self._start_again)
        self._logged: tuple[str, str] | None = None
        self.camera_status_changed.connect(self._log_status)

    def _log_status(self, state: str, detail: str) -> None:
        """Each change of the camera's state once in the log, with the source it is about
        (a wrong ``--camera`` path must be findable there, not only on the panel)."""
        if (state, detail) == self._logged:
            return
        self._logged = (state, detail)
        level = logging.WARNING if state in ("error", "disconnected") else logging.INFO
        log.log(level, "camera %r: %s - %s", self._spec, state, detail or "no detail")

    def _source(self) -> FrameSource:
        if self._source_factory is not None:
            return self._source_factory()
        c = self._camera
        return open_source(self._spec, width=c.width, height=c.height, fps=c.fps, loop=True,
                           synthetic_tokens=self._tokens, backend=c.backend)

    def start(self) -> None:
        if self.worker is not None or self._closed:
            return
        try:
            pipeline = ScanPipeline(self._camera.decoder)
        except Exception as exc:  # a decoder backend that cannot run here
            log.error("camera scanning unavailable: %s", exc)
            self.camera_state_changed.emit("error")
            self.camera_status_changed.emit("error", f"The QR decoder cannot run: {exc}")
            return
        if self._source_factory is None and self._spec.strip().isdigit():
            prepare_camera_backend(self._camera.backend)  # in the GUI thread, see there
        worker = ScanWorker(self._source, pipeline, self._preview_fps)
        worker.frame_ready.connect(self.frame_ready)
        worker.code_decoded.connect(self.code_decoded)
        worker.stats_changed.connect(self.stats_changed)
        worker.check_changed.connect(self.check_changed)
        worker.camera_state_changed.connect(self.camera_state_changed)
        worker.camera_status_changed.connect(self.camera_status_changed)
        worker.badge_in_view_changed.connect(self.badge_in_view_changed)
        self.worker = worker
        worker.start()

    def announce(self) -> None:
        """Say the running worker's last state again, for observers connected after it was
        reported (the kiosk takes over the enrolment screen's camera)."""
        worker = self.worker
        if worker is None:
            return
        state, detail = worker.state
        if state:
            self.camera_state_changed.emit(state)
            self.camera_status_changed.emit(state, detail)

    def stop(self) -> None:
        """Stop and join (blocking: scripts and tests; the app uses close/join)."""
        self.request_stop()
        self.join(5.0)

    def request_stop(self) -> None:
        """Ask the worker to stop; returns at once (it is joined by :meth:`join`)."""
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.request_stop()
            with self._guard:
                self._stopping.append(worker)

    def close(self) -> None:
        """For good (the shutdown): stop, and no restart may start a new worker."""
        self._closed = True
        self.request_stop()

    def join(self, timeout_s: float) -> bool:
        """Wait (from any thread) for the stopped workers; True when all have ended. A
        worker that has not stays referenced and is named by :meth:`threads`."""
        deadline = time.monotonic() + timeout_s
        for worker in list(self._stopping):
            if worker.wait(deadline - time.monotonic()):
                with self._guard:  # a restart's helper and the shutdown may both join
                    if worker in self._stopping:
                        self._stopping.remove(worker)
                        self._ended.append(worker)
        waiter = self._waiter
        if waiter is not None and waiter is not threading.current_thread():
            waiter.join(max(0.0, deadline - time.monotonic()))
        return not self.threads()

    def threads(self) -> list[str]:
        """What is still running: camera workers being stopped, a restart's helper."""
        names = ["scan-worker" for _ in self._stopping]
        waiter = self._waiter
        if waiter is not None and waiter.is_alive() and waiter is not threading.current_thread():
            names.append(waiter.name)
        return names

    def show_badges(self, tokens: Sequence[str]) -> None:
        """What the synthetic camera holds up from its next (re)start (demo, screenshots)."""
        self._tokens = list(tokens)

    def restart(self) -> None:
        """"Test camera": stop the worker, and start a fresh one once the old one has let
        go of the device; the join runs on a helper thread, never on the GUI thread."""
        if self._closed or (self._waiter is not None and self._waiter.is_alive()):
            return
        self.request_stop()

        def wait_then_restart() -> None:
            self.join(5.0)
            self._released.emit()

        self._waiter = threading.Thread(target=wait_then_restart, name="kiosk-camera-restart")
        self._waiter.start()

    def _start_again(self) -> None:
        with self._guard:
            ended, self._ended = self._ended, []
        for worker in ended:
            worker.deleteLater()
        self.start()
