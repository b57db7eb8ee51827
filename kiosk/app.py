"""Wiring: config + paths -> services -> window, and the one place that shuts it all down.

:class:`KioskApp` builds the outbox, the recorder and sync services, the camera worker and
the wedge reader, connects their signals to the window, and stops them in stages
(camera -> wedge -> recorder -> sync -> outbox) when the window closes, on SIGTERM, or when
a test says so. ``kiosk run`` and ``kiosk demo`` both go through :func:`run_kiosk`.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from kiosk import __version__, logging_setup, watchdog
from kiosk.core.clock import Clock, SystemClock
from kiosk.core.config import Config
from kiosk.core.paths import Paths
from kiosk.core.pin import PinLock
from kiosk.core.policies import Cooldown
from kiosk.core.problems import problem_of
from kiosk.core.protocol import Roster, Verdict, VerdictStatus
from kiosk.core.recorder import Outcome, OutcomeKind, Recorder
from kiosk.scan.wedge import WedgeReader
from kiosk.services.background import BackgroundCall
from kiosk.services.camera import CameraService
from kiosk.services.log_buffer import LogBuffer
from kiosk.services.panel_actions import PanelActions
from kiosk.services.process import SignalWakeup, install_excepthook
from kiosk.services.recorder_service import RecorderService
from kiosk.services.status import Status, StatusModel
from kiosk.services.sync_service import SyncService
from kiosk.store import Outbox
from kiosk.sync.engine import SyncEngine
from kiosk.sync.enroll import enroll
from kiosk.sync.roster import RosterCache
from kiosk.ui.enroll_screen import EnrollScreen
from kiosk.ui.i18n import install_translator, pick_language
from kiosk.ui.main_window import KioskWindow
from kiosk.ui.problems import describe
from kiosk.ui.sounds import SoundPlayer

log = logging.getLogger("kiosk.app")


@dataclass
class KioskOptions:
    """What the command line adds to the config."""

    fullscreen: bool = True
    camera: str | None = None  # overrides [camera] source; "" = no camera
    synthetic_tokens: Sequence[str] = ()
    language: str | None = None  # overrides [ui] language
    sounds: bool | None = None  # overrides [ui] sounds
    preview_fps: float = 15.0
    session: Any = None  # requests.Session for the sync engine (tests)
    source_factory: Callable[[], Any] | None = None  # a FrameSource maker (benchmarks)
    diagnostics_dir: Path | None = None  # where "Export diagnostics" writes (None: data folder)


def site_timezone(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


class KioskApp(QObject):
    """Owns every service and the window. Signals: finished() after the staged shutdown.

    Attributes:
        counts: scans/recorded/refused/acknowledged/accepted, for the demo's summary.
    """

    finished = Signal()

    def __init__(self, config: Config, paths: Paths, secret_store: Any,
                 options: KioskOptions, *, clock: Clock | None = None,
                 log_buffer: LogBuffer | None = None, keyring_label: str = "") -> None:
        super().__init__()
        self.config = config
        self.paths = paths
        self.secret_store = secret_store
        self.options = options
        self.clock = clock or SystemClock()
        self.log_buffer = log_buffer or LogBuffer()
        self.keyring_label = keyring_label
        # one count per outcome kind (the demo's summary), and the server's answers
        self.counts = {"scans": 0, "recorded": 0, "already": 0, "refused": 0,
                       "storage_error": 0, "acknowledged": 0, "accepted": 0}
        self._own_events: set[str] = set()
        self.window: Any = None
        self.enroll_screen: Any = None
        self.recorder: RecorderService | None = None
        self.sync: SyncService | None = None
        self.camera: CameraService | None = None
        self.wedge: Any = None
        self.status: StatusModel | None = None
        self.actions: PanelActions | None = None
        self.background = BackgroundCall(self)
        self.background.finished.connect(self._background_done)
        self._roster: Any = None
        self._tz: tzinfo = timezone.utc
        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(2000)
        self._shut = False

    # -- start -----------------------------------------------------------------------------
    def start(self) -> None:
        logging.getLogger().addHandler(self.log_buffer)  # the status panel's last lines
        if self.config.enrolled:
            self._start_kiosk()
        else:
            self._show_enrolment()

    def _show_enrolment(self) -> None:
        urls = self.config.server.urls
        self.enroll_screen = EnrollScreen(urls[0] if urls else "")
        self.enroll_screen.setWindowTitle(QCoreApplication.translate("App", "Enrol terminal"))
        self.enroll_screen.enroll_requested.connect(self._enroll)
        self.enroll_screen.resize(900, 600)
        self.enroll_screen.show()
        self._scan_for_enrolment(self.enroll_screen)

    def _scan_for_enrolment(self, screen: EnrollScreen) -> None:
        """The camera and the wedge scanner read the enrolment QR (no preview, no punches)."""
        self._install_wedge(screen.read_scan)
        if self._make_camera():
            assert self.camera is not None
            self.camera.code_decoded.connect(lambda text, _poly, _ts: screen.read_scan(text))
            self.camera.start()

    def _stop_scanning(self) -> None:
        """Stop the enrolment screen's camera and wedge reader (the kiosk starts its own)."""
        if self.camera is not None:
            self.camera.stop()
            self.camera = None
        if self.wedge is not None:
            app = QApplication.instance()
            if app is not None:
                self.wedge.uninstall(app)
            self.wedge = None

    def _enroll(self, url: str, code: str) -> None:
        paths, store = self.paths, self.secret_store
        self.background.start("enroll", lambda: enroll(url, code, paths, store))

    def _background_done(self, name: str, result: Any, error: BaseException | None) -> None:
        if name != "enroll" or self._shut:
            return
        if error is not None:  # the English sentence is in the log; the screen says its code
            self.enroll_screen.show_error(describe(problem_of(error)))
            return
        self.config = result
        self._stop_scanning()
        self.enroll_screen.close()
        self.enroll_screen.deleteLater()
        self.enroll_screen = None
        self._start_kiosk()

    def _start_kiosk(self) -> None:
        cfg, paths, clock = self.config, self.paths.ensure(), self.clock
        self._roster = RosterCache(paths.roster_cache)  # start-up, before the window shows
        roster = self._roster.roster
        self._tz = site_timezone(roster.timezone if roster else None)
        self.status = StatusModel(Status(
            terminal_id=cfg.terminal.id, terminal_name=cfg.terminal.name, site=cfg.terminal.site,
            version=__version__, server_urls=tuple(cfg.server.urls),
            keyring_backend=self.keyring_label,
        ), self)
        # The sync thread opens its connection first: the open runs the integrity check and
        # moves a corrupt file aside, so the recorder's thread waits for that, then opens a
        # healthy file. Neither open runs on the GUI thread.
        self.sync = SyncService(
            lambda: Outbox(paths.outbox_file, clock),
            lambda outbox, listener: SyncEngine(
                cfg, outbox, self.secret_store, clock, session=self.options.session,
                listener=listener, status_provider=self._camera_state, roster=self._roster,
            ), self)
        sync = self.sync

        def open_recorder_outbox() -> Outbox:
            if not sync.wait_ready():
                log.warning("the sync thread has not opened the outbox yet; opening anyway")
            return Outbox(paths.outbox_file, clock)

        self.recorder = RecorderService(
            open_recorder_outbox, self._make_recorder,
            data_dir=paths.data_dir, on_appended=self._wake_sync, parent=self)
        sounds_on = cfg.ui.sounds if self.options.sounds is None else self.options.sounds
        self.window = KioskWindow(
            clock=clock, status=self.status, pin_lock=PinLock(cfg.ui.admin_pin_hash, clock),
            log_lines=self.log_buffer.lines, card_seconds=cfg.ui.card_seconds,
            sounds=SoundPlayer(enabled=sounds_on), kiosk_mode=self.options.fullscreen,
        )
        self.window.set_timezone(self._tz)
        self.log_buffer.set_timezone(self._tz)
        self._connect()
        self.sync.start()
        self.recorder.start()
        self._start_camera()
        self._install_wedge()
        self._stats_timer.start()
        self.recorder.request_stats()
        if self.options.fullscreen:
            self.window.showFullScreen()
        else:
            self.window.show()
        log.info("kiosk started: terminal %s, site %s, version %s", cfg.terminal.id,
                 cfg.terminal.site, __version__)

    def _wake_sync(self) -> None:
        if self.sync is not None:
            self.sync.wake()

    def _make_recorder(self, outbox: Any) -> Recorder:
        cfg, roster, sync = self.config, self._roster, self.sync
        return Recorder(
            outbox, terminal_id=cfg.terminal.id, app_version=__version__[:40],
            clock=self.clock, cooldown=Cooldown(cfg.scan.cooldown_s, self.clock),
            verifier=lambda: roster.verifier() if roster.roster is not None else None,
            display_name=roster.display_name,
            site_tz=lambda: self._tz,
            clock_offset=lambda: sync.clock_offset_s if sync is not None else 0.0,
            last_punch_time=outbox.last_punch_time,
        )

    def _connect(self) -> None:
        rec, sync, win, st = self.recorder, self.sync, self.window, self.status
        assert rec and win and st
        rec.punch_recorded.connect(self._on_outcome)
        rec.scan_refused.connect(self._on_outcome)
        rec.storage_changed.connect(st.update_storage)  # the storage fields' one writer
        if sync is not None:
            sync.verdicts_received.connect(self._on_verdicts)
            sync.sync_state_changed.connect(st.update_sync_state)
            sync.roster_changed.connect(self._on_roster)
            sync.outbox_opened.connect(st.update_outbox_open)
        self._stats_timer.timeout.connect(rec.request_stats)
        win.close_requested.connect(self.shutdown)
        self.actions = PanelActions(self, win.status_panel, self)

    # -- scans -----------------------------------------------------------------------------
    def submit(self, text: str, source: str, frame_ts: float | None = None) -> None:
        """Every scan, camera or wedge, goes through here to the recorder's thread."""
        if self.recorder is None or self._shut:
            return
        self.counts["scans"] += 1
        self.recorder.submit(text, source, frame_ts)

    def _on_code(self, text: str, polygon: list, frame_ts: float) -> None:
        if self.window is not None:
            self.window.show_code(text, polygon, frame_ts)
        self.submit(text, "camera", frame_ts)

    def _on_wedge(self, text: str) -> None:
        self.submit(text, "wedge", time.monotonic())

    def _on_outcome(self, outcome: Outcome) -> None:
        if outcome.layout and self.status is not None:
            self.status.update_scanner_layout(outcome.layout)
        self.counts[outcome.kind.value] += 1
        if outcome.kind is OutcomeKind.RECORDED and outcome.event_id:
            self._own_events.add(outcome.event_id)
        if self.window is not None:
            self.window.show_outcome(outcome)

    def _on_verdicts(self, verdicts: list[Verdict]) -> None:
        for v in verdicts:
            if str(v.event_id) in self._own_events:
                self.counts["acknowledged"] += 1
                if v.status is VerdictStatus.ACCEPTED:
                    self.counts["accepted"] += 1
        if self.window is not None:
            self.window.show_verdicts(verdicts)
        if self.recorder is not None:
            self.recorder.request_stats()

    def _on_roster(self, roster: Roster) -> None:
        self._tz = site_timezone(roster.timezone)
        if self.status is not None:
            self.status.update_roster(roster)
        if self.window is not None:
            self.window.set_timezone(self._tz)
        self.log_buffer.set_timezone(self._tz)

    # -- camera and wedge ------------------------------------------------------------------
    def _camera_state(self) -> str:
        return self.status.status.camera_state if self.status is not None else "unknown"

    def _make_camera(self) -> bool:
        """Create ``self.camera`` from the options/config; False when there is no camera."""
        spec = self.options.camera if self.options.camera is not None else \
            self.config.camera.source
        if not spec and self.options.source_factory is None:
            return False
        self.camera = CameraService(spec, self.config.camera, self.options.synthetic_tokens,
                                    preview_fps=self.options.preview_fps,
                                    source_factory=self.options.source_factory, parent=self)
        return True

    def _start_camera(self) -> None:
        if not self._make_camera():
            if self.window is not None:
                self.window.show_camera_state("none")
            return
        assert self.camera is not None
        st, win = self.status, self.window
        self.camera.frame_ready.connect(win.show_frame)
        self.camera.code_decoded.connect(self._on_code)
        self.camera.stats_changed.connect(st.update_camera_stats)
        self.camera.check_changed.connect(st.update_camera_check)
        self.camera.camera_status_changed.connect(st.update_camera_status)
        self.camera.camera_state_changed.connect(win.show_camera_state)
        self.camera.start()

    def _install_wedge(self, on_code: Callable[[str], None] | None = None) -> None:
        if not self.config.scan.wedge_enabled:
            return
        s = self.config.scan
        self.wedge = WedgeReader(max_interkey_ms=s.wedge_max_interkey_ms,
                                 min_length=s.wedge_min_length, parent=self)
        self.wedge.code_scanned.connect(on_code or self._on_wedge)
        self.wedge.install(QApplication.instance())

    def badge_verifier(self) -> Any:
        """A verifier for the cached roster's keys, or None before the first roster."""
        roster = self._roster
        return roster.verifier() if roster is not None and roster.roster is not None else None

    def healthy(self) -> bool:
        """For the systemd watchdog: False once the recorder's or the sync's thread died,
        so the pings stop and systemd restarts the kiosk."""
        if self._shut:
            return True
        return all(service.healthy for service in (self.recorder, self.sync)
                   if service is not None)

    # -- shutdown ----------------------------------------------------------------------------
    def shutdown_when_synced(self, grace_s: float = 5.0) -> None:
        """Shut down once every punch recorded here has its verdict, or after ``grace_s``
        (``--exit-after``: a slow machine should not fail the smoke test mid-flight)."""
        deadline = time.monotonic() + grace_s

        def check() -> None:
            c = self.counts
            if self._shut:
                return
            if c["acknowledged"] >= c["recorded"] or time.monotonic() >= deadline:
                self.shutdown()
            else:
                QTimer.singleShot(100, check)

        check()

    def shutdown(self) -> None:
        """Stop in stages; safe to call more than once and from any close path."""
        if self._shut:
            return
        self._shut = True
        log.info("shutting down")
        self._stats_timer.stop()
        if self.camera is not None:  # 1. no new frames
            self.camera.stop()
        if self.wedge is not None:  # 2. no new keystroke scans
            app = QApplication.instance()
            if app is not None:
                self.wedge.uninstall(app)
        if self.recorder is not None:  # 3. finish the queued scans, close its connection
            self.recorder.stop()
        if self.sync is not None:  # 4. stop the drain loop, close the last connection
            self.sync.stop()
        self.background.join()
        if self.actions is not None:
            self.actions.join()
        for w in (self.window, self.enroll_screen):
            if w is not None and w.isVisible():
                if hasattr(w, "kiosk_mode"):
                    w.kiosk_mode = False
                w.close()
        log.info("stopped")
        logging.getLogger().removeHandler(self.log_buffer)
        self.finished.emit()


def run_kiosk(
    config: Config, paths: Paths, secret_store: Any, options: KioskOptions, *,
    keyring_label: str = "", clock: Clock | None = None,
    exit_after_s: float | None = None, on_started: Callable[[KioskApp], None] | None = None,
) -> tuple[int, KioskApp]:
    """Run the kiosk until the window closes, SIGTERM, or ``exit_after_s``; returns
    (exit code, the KioskApp) so the demo can print its summary."""
    from kiosk.scan.opencv import undo_opencv_qt_paths

    logging_setup.configure(config, paths)
    uninstall_qt_handler = logging_setup.install_qt_message_handler()
    install_excepthook()
    if QApplication.instance() is None and (dropped := undo_opencv_qt_paths()):
        log.info("ignoring %s: they point into OpenCV's own Qt 5", ", ".join(dropped))
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setApplicationName("checkin-kiosk")
    QCoreApplication.setApplicationVersion(__version__)
    translator = install_translator(qapp, pick_language(options.language or config.ui.language))
    kiosk = KioskApp(config, paths, secret_store, options, clock=clock,
                     keyring_label=keyring_label)
    kiosk.translator = translator  # type: ignore[attr-defined]  # Qt does not own it: keep it
    wakeup = SignalWakeup()
    wakeup.received.connect(lambda _sig: kiosk.shutdown())
    kiosk.finished.connect(qapp.quit)
    dog = watchdog.start(healthy=kiosk.healthy)
    if exit_after_s is not None:
        QTimer.singleShot(int(exit_after_s * 1000), kiosk.shutdown_when_synced)
    kiosk.start()
    if on_started is not None:
        on_started(kiosk)
    try:
        code = qapp.exec()
    finally:
        kiosk.shutdown()
        wakeup.close()
        if dog is not None:
            dog.stop()
        uninstall_qt_handler()
    left = [t.name for t in threading.enumerate()
            if t.is_alive() and t.name.startswith(("kiosk-", "scan-worker"))]
    if left:
        log.error("threads still running after shutdown: %s", left)
    return code, kiosk
