"""What the status panel's buttons do: sync now, test camera, export diagnostics.

The panel only emits signals; this runs the work on the services' threads (a diagnostics
zip is written on a background thread) and puts one sentence back on the panel.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QObject

from .background import BackgroundCall
from .diagnostics import export_diagnostics


class PanelActions(QObject):
    """Connects ``panel``'s action signals to the running :class:`~kiosk.app.KioskApp`."""

    def __init__(self, kiosk: Any, panel: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._kiosk = kiosk
        self._panel = panel
        self.background = BackgroundCall(self)
        self.background.finished.connect(self._done)
        panel.sync_requested.connect(self.sync_now)
        panel.camera_test_requested.connect(self.test_camera)
        panel.diagnostics_requested.connect(self.export_diagnostics)

    def sync_now(self) -> None:
        if self._kiosk.sync is not None:
            self._kiosk.sync.wake()
            self._panel.show_result(QCoreApplication.translate("App", "Sync started."))

    def test_camera(self) -> None:
        camera = self._kiosk.camera
        if camera is None:
            self._panel.show_result(QCoreApplication.translate("App", "No camera is configured."))
            return
        camera.restart()
        self._panel.show_result(QCoreApplication.translate(
            "App", "Camera restarted: watch the preview and the camera line above."))

    def export_diagnostics(self) -> None:
        if self.background.busy():
            return
        k = self._kiosk
        status = k.status.status.to_json() if k.status else {}
        status["log_tail"] = k.log_buffer.lines(200)
        cfg, paths, now = k.config, k.paths, k.clock.now()
        target = getattr(getattr(k, "options", None), "diagnostics_dir", None)
        self.background.start("diagnostics",
                              lambda: export_diagnostics(cfg, paths, status, now, target))

    def _done(self, name: str, result: Any, error: BaseException | None) -> None:
        if error is not None:  # an OSError's own words (disk full, permission) help IT here
            text = QCoreApplication.translate("App", "Could not export: %1").replace(
                "%1", str(error) or type(error).__name__)
        else:
            text = QCoreApplication.translate("App", "Diagnostics saved to %1").replace(
                "%1", str(result))
        self._panel.show_result(text)

    def join(self) -> None:
        self.background.join()
