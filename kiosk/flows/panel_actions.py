"""What the status panel's buttons do: sync now, test camera, export diagnostics.

The panel only emits signals; this runs the work on the services' threads (a diagnostics
zip is written on a background call, the camera restarts without joining on the GUI
thread) and puts one sentence back on the panel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject

from kiosk.core.clock import Clock
from kiosk.core.config import Config
from kiosk.core.paths import Paths
from kiosk.services.background import BackgroundCall
from kiosk.services.camera import CameraService
from kiosk.services.diagnostics import export_diagnostics
from kiosk.services.log_buffer import LogBuffer
from kiosk.services.status import StatusModel
from kiosk.services.sync_service import SyncService
from kiosk.ui.status_panel import StatusPanel


class PanelActions(QObject):
    """Connects ``panel``'s action signals to the services it acts on."""

    def __init__(self, panel: StatusPanel, *, sync: SyncService | None,
                 camera: CameraService | None, status: StatusModel, log_buffer: LogBuffer,
                 config: Callable[[], Config], paths: Paths, clock: Clock,
                 parent: QObject | None = None) -> None:
        """``config`` is read when the export runs (enrolment may have replaced it)."""
        super().__init__(parent)
        self._panel = panel
        self._sync = sync
        self._camera = camera
        self._status = status
        self._log_buffer = log_buffer
        self._config = config
        self._paths = paths
        self._clock = clock
        self.background = BackgroundCall(self)
        self.background.finished.connect(self._done)
        panel.sync_requested.connect(self.sync_now)
        panel.camera_test_requested.connect(self.test_camera)
        panel.diagnostics_requested.connect(self.export_diagnostics)

    def sync_now(self) -> None:
        if self._sync is not None:
            self._sync.wake()
            self._panel.show_result(QCoreApplication.translate("App", "Sync started."))

    def test_camera(self) -> None:
        if self._camera is None:
            self._panel.show_result(QCoreApplication.translate("App", "No camera is configured."))
            return
        self._camera.restart()
        self._panel.show_result(QCoreApplication.translate(
            "App", "Camera restarted: watch the preview and the camera line above."))

    def export_diagnostics(self) -> None:
        if self.background.busy():
            return
        status = self._status.status.to_json()
        status["log_tail"] = self._log_buffer.lines(200)
        cfg, paths, now = self._config(), self._paths, self._clock.now()
        self.background.start("diagnostics",
                              lambda: export_diagnostics(cfg, paths, status, now))

    def _done(self, name: str, result: Any, error: BaseException | None) -> None:
        if error is not None:  # an OSError's own words (disk full, permission) help IT here
            text = QCoreApplication.translate("App", "Could not export: %1").replace(
                "%1", str(error) or type(error).__name__)
        else:
            text = QCoreApplication.translate("App", "Diagnostics saved to %1").replace(
                "%1", str(result))
        self._panel.show_result(text)
