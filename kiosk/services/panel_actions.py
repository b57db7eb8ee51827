"""What the status panel's buttons do: sync now, test camera, scan a test code, export
diagnostics.

The panel only emits signals; this runs the work on the services' threads (a diagnostics
zip is written on a background thread) and puts one sentence back on the panel.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QObject

from kiosk.core.layouts import guess_layout
from kiosk.core.scan_check import classify_scan

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
        panel.scanner_test_requested.connect(self.test_scanner)
        self._tested_wedge: Any = None  # the reader whose test_scanned is connected
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

    def test_scanner(self) -> None:
        wedge = self._kiosk.wedge
        if wedge is None:
            self._panel.show_result(QCoreApplication.translate(
                "App", "The wedge scanner reader is off ([scan] wedge_enabled)."))
            return
        if wedge is not self._tested_wedge:  # the reader is installed after the panel
            wedge.test_scanned.connect(self._scanner_tested)
            self._tested_wedge = wedge
        wedge.start_test()
        self._panel.show_result(QCoreApplication.translate(
            "App", "Scan a code with the scanner now (a badge, or any QR or barcode)."))

    def _scanner_tested(self, info: Any) -> None:
        """Show how the test code arrived; a badge is named by its id, never shown."""
        k = self._kiosk
        verifier = k.badge_verifier()
        verdict = None
        if verifier is not None:
            verdict = classify_scan(info.text, verifier, k.clock.now(), typed=True)
        if verdict is not None and (verdict.badge is not None or verdict.layout is not None):
            what = QCoreApplication.translate("App", "a badge (%1)").replace(
                "%1", verdict.badge.badge_id if verdict.badge else verdict.reason.value)
            layout = verdict.layout.code if verdict.layout is not None else ""
        else:
            what = info.text if len(info.text) <= 80 else info.text[:77] + "…"
            layout = guess_layout(info.text)
        self._panel.show_scanner_test(info, what, layout)

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
