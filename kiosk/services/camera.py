"""The camera side: builds the frame source and the decoder pipeline from the config and
hosts the scan worker (which owns its own QThread), re-emitting its signals.

Restartable for the status panel's "Test camera". A camera that cannot be opened is a
state on the screen ("Camera not available"), never a crash: wedge scanners keep working.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from kiosk.core.config import CameraSection
from kiosk.scan.camera_source import prepare_camera_backend
from kiosk.scan.decoder import ScanPipeline
from kiosk.scan.sources import open_source
from kiosk.scan.worker import ScanWorker

log = logging.getLogger("kiosk.services.camera")


class CameraService(QObject):
    """Signals: frame_ready(QImage), code_decoded(str, list, float frame_ts),
    stats_changed(float fps, float decode_ms), check_changed(CameraCheck: focus, brightness,
    read rate), camera_state_changed(str),
    camera_status_changed(str state, str detail): the sentence IT reads on the status panel
    ("Camera 0: permission denied on /dev/video0 (add the kiosk user to the 'video' group)…").
    """

    frame_ready = Signal(QImage)
    code_decoded = Signal(str, list, float)
    stats_changed = Signal(float, float)
    check_changed = Signal(object)
    camera_state_changed = Signal(str)
    camera_status_changed = Signal(str, str)

    def __init__(self, spec: str, camera: CameraSection, synthetic_tokens: Sequence[str] = (),
                 *, preview_fps: float = 15.0, source_factory: Callable[[], Any] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._spec = spec
        self._camera = camera
        self._tokens = list(synthetic_tokens)
        self._preview_fps = preview_fps
        self._source_factory = source_factory
        self.worker: Any = None
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

    def _source(self) -> Any:
        if self._source_factory is not None:
            return self._source_factory()
        c = self._camera
        return open_source(self._spec, width=c.width, height=c.height, fps=c.fps, loop=True,
                           synthetic_tokens=self._tokens, backend=c.backend)

    def start(self) -> None:
        if self.worker is not None:
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
        self.worker = worker
        worker.start()

    def stop(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.stop()  # joins its thread
            worker.deleteLater()

    def show_badges(self, tokens: Sequence[str]) -> None:
        """What the synthetic camera holds up from its next (re)start (demo, screenshots)."""
        self._tokens = list(tokens)

    def restart(self) -> None:
        self.stop()
        self.start()
