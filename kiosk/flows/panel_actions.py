"""What the status panel's buttons do: sync now, test camera, scan a test code, export
diagnostics.

The panel only emits signals; this runs the work on the services' threads (a diagnostics
zip is written on a background call, the camera restarts without joining on the GUI
thread) and puts one sentence back on the panel.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject

from kiosk.core.clock import Clock
from kiosk.core.config import Config
from kiosk.core.layouts import guess_layout
from kiosk.core.paths import Paths
from kiosk.core.protocol import BadgeVerifier
from kiosk.core.scan_check import classify_scan
from kiosk.scan.burst import BurstInfo
from kiosk.scan.wedge import WedgeReader
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
                 camera: CameraService | None, wedge: WedgeReader | None,
                 status: StatusModel, log_buffer: LogBuffer, config: Callable[[], Config],
                 paths: Paths, clock: Clock, verifier: Callable[[], BadgeVerifier | None],
                 diagnostics_dir: Path | None = None, parent: QObject | None = None) -> None:
        """``config`` is read when the export runs (enrolment may have replaced it);
        ``verifier`` when a test code arrives (None before the first roster);
        ``diagnostics_dir`` is where the zip goes (None: the data folder)."""
        super().__init__(parent)
        self._panel = panel
        self._sync = sync
        self._camera = camera
        self._wedge = wedge
        self._status = status
        self._log_buffer = log_buffer
        self._config = config
        self._paths = paths
        self._clock = clock
        self._verifier = verifier
        self._diagnostics_dir = diagnostics_dir
        self.background = BackgroundCall(self)
        self.background.finished.connect(self._done)
        panel.sync_requested.connect(self.sync_now)
        panel.camera_test_requested.connect(self.test_camera)
        panel.scanner_test_requested.connect(self.test_scanner)
        panel.diagnostics_requested.connect(self.export_diagnostics)
        if wedge is not None:
            wedge.test_scanned.connect(self._scanner_tested)

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

    def test_scanner(self) -> None:
        wedge = self._wedge
        if wedge is None:
            self._panel.show_result(QCoreApplication.translate(
                "App", "The wedge scanner reader is off ([scan] wedge_enabled)."))
            return
        wedge.start_test()
        self._panel.show_result(QCoreApplication.translate(
            "App", "Scan a code with the scanner now (a badge, or any QR or barcode)."))

    def _scanner_tested(self, info: BurstInfo) -> None:
        """Show how the test code arrived; a badge is named by its id, never shown."""
        verifier = self._verifier()
        verdict = None
        if verifier is not None:
            verdict = classify_scan(info.text, verifier, self._clock.now(), typed=True)
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
        status = self._status.status.to_json()
        status["log_tail"] = self._log_buffer.lines(200)
        cfg, paths, now = self._config(), self._paths, self._clock.now()
        target = self._diagnostics_dir
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
