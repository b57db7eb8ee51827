"""Wiring: config + paths -> services -> window, and :func:`run_kiosk`.

:class:`KioskApp` builds the outbox's two hosts (the recorder and sync services), the
camera worker, the wedge reader and the window, and connects them; the flows live in
``kiosk/flows``: enrolment until the terminal is enrolled, scan routing, the status
panel's actions, and the staged shutdown (camera -> recorder -> sync -> short calls, off
the GUI thread, one deadline) when the window closes, on SIGTERM, or when a test says so.
``kiosk run`` and ``kiosk demo`` both go through :func:`run_kiosk`.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from PySide6.QtCore import QCoreApplication, QObject, QTimer, QTranslator, Signal
from PySide6.QtWidgets import QApplication

from kiosk import __version__, logging_setup
from kiosk.core.clock import Clock, SystemClock
from kiosk.core.config import Config
from kiosk.core.paths import Paths
from kiosk.core.pin import PinLock
from kiosk.core.policies import Cooldown
from kiosk.core.protocol import BadgeVerifier, Roster
from kiosk.core.recorder import Recorder
from kiosk.flows.corrections import CorrectionFlow
from kiosk.flows.enrolment import EnrolmentFlow
from kiosk.flows.panel_actions import PanelActions
from kiosk.flows.scan_routing import ScanRouter
from kiosk.flows.shutdown import Shutdown, Stage, threads_stage
from kiosk.scan.frame_source import FrameSource
from kiosk.scan.opencv import undo_opencv_qt_paths
from kiosk.scan.wedge import WedgeReader
from kiosk.services import watchdog
from kiosk.services.background import BackgroundCall
from kiosk.services.camera import CameraService
from kiosk.services.diagnostics import diagnostics_bundle
from kiosk.services.log_buffer import LogBuffer
from kiosk.services.pin_check import PinCheck
from kiosk.services.process import SignalWakeup, install_excepthook, install_qt_message_handler
from kiosk.services.push_service import PushService
from kiosk.services.recorder_service import RecorderService
from kiosk.services.status import Status, StatusModel
from kiosk.services.sync_service import SyncService
from kiosk.store import Outbox
from kiosk.sync.clock_offset import ClockOffset
from kiosk.sync.corrections import CorrectionQueue
from kiosk.sync.engine import SyncEngine
from kiosk.sync.push import PushWorker
from kiosk.sync.push_actions import PushActions
from kiosk.sync.roster import RosterCache
from kiosk.sync.secrets import SecretStore
from kiosk.sync.tls import insecure_allowed
from kiosk.ui.enroll_screen import EnrollScreen
from kiosk.ui.i18n import install_translator, pick_language
from kiosk.ui.main_window import KioskWindow
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
    session: requests.Session | None = None  # for the sync engine (tests)
    push_session: requests.Session | None = None  # for the event stream (its own thread)
    push: bool = True  # hold the server's event stream open (kiosk/sync/push.py)
    source_factory: Callable[[], FrameSource] | None = None  # a frame source maker (benchmarks)
    diagnostics_dir: Path | None = None  # where "Export diagnostics" writes (None: data folder)


def site_timezone(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


class KioskApp(QObject):
    """Owns every service and the window. Signals: finished() after the staged shutdown.

    Attributes:
        window, status, recorder, sync, push, camera, wedge, router, actions: the parts, once
            the terminal is enrolled (None before).
    """

    finished = Signal()

    def __init__(self, config: Config, paths: Paths, secret_store: SecretStore,
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
        self.translator: QTranslator | None = None  # kept referenced: Qt does not own it
        self.window: KioskWindow | None = None
        self.recorder: RecorderService | None = None
        self.sync: SyncService | None = None
        self.push: PushService | None = None
        self.camera: CameraService | None = None
        self.wedge: WedgeReader | None = None
        self.status: StatusModel | None = None
        self.router: ScanRouter | None = None
        self.actions: PanelActions | None = None
        self.pin_check: PinCheck | None = None
        self.background = BackgroundCall(self)
        urls = config.server.urls
        self.enrolment = EnrolmentFlow(urls[0] if urls else "", paths, secret_store,
                                       self.background, self)
        self.enrolment.enrolled.connect(self._enrolled)
        self._roster: RosterCache | None = None
        self._tz: tzinfo = timezone.utc
        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(2000)
        self._shutdown = Shutdown(parent=self)
        self._shutdown.done.connect(self._stopped)
        self._finished = False

    # -- start -----------------------------------------------------------------------------
    def start(self) -> None:
        logging.getLogger().addHandler(self.log_buffer)  # the status panel's last lines
        if self.config.enrolled:
            self._start_kiosk()
        else:
            self.enrolment.show()
            self._scan_for_enrolment()

    @property
    def enroll_screen(self) -> EnrollScreen | None:
        return self.enrolment.screen

    def _scan_for_enrolment(self) -> None:
        """The camera and the wedge scanner read the enrolment QR (no preview, no punches).
        The kiosk keeps both once enrolled: no second open of the device, no join."""
        self.wedge = self._make_wedge()
        if self.wedge is not None:
            self.wedge.code_scanned.connect(self.enrolment.read_scan)
        self.camera = self._make_camera()
        if self.camera is not None:
            self.camera.code_decoded.connect(self.enrolment.read_code)
            self.camera.start()

    def _enrolled(self, config: Config) -> None:
        if self._shutdown.started:
            return
        self.config = config
        if self.wedge is not None:
            self.wedge.code_scanned.disconnect(self.enrolment.read_scan)
        if self.camera is not None:
            self.camera.code_decoded.disconnect(self.enrolment.read_code)
        self._start_kiosk()

    def _start_kiosk(self) -> None:
        cfg, paths, clock = self.config, self.paths.ensure(), self.clock
        roster_cache = self._roster = RosterCache(paths.roster_cache)  # before the window
        roster = roster_cache.roster
        self._tz = site_timezone(roster.timezone if roster else None)
        status = self.status = StatusModel(Status(
            terminal_id=cfg.terminal.id, terminal_name=cfg.terminal.name, site=cfg.terminal.site,
            version=__version__, server_urls=tuple(cfg.server.urls),
            keyring_backend=self.keyring_label,
            insecure_http=insecure_allowed(cfg.server.urls, cfg.sync.allow_insecure_http),
        ), self)
        # The sync thread opens its connection first: the open runs the integrity check and
        # moves a corrupt file aside, so the recorder's thread waits for that, then opens a
        # healthy file. Neither open runs on the GUI thread.
        sync = self.sync = SyncService(
            lambda: Outbox(paths.outbox_file, clock),
            lambda outbox, listener: SyncEngine(
                cfg, outbox, self.secret_store, clock, session=self.options.session,
                listener=listener, status_provider=self._camera_state, roster=roster_cache,
                corrections=CorrectionQueue(paths.data_dir / "corrections"),
            ), self)

        if self.options.push:
            self.push = PushService(self._make_push_worker, self)

        def open_recorder_outbox() -> Outbox:
            if not sync.wait_ready():
                log.warning("the sync thread has not opened the outbox yet; opening anyway")
            return Outbox(paths.outbox_file, clock)

        recorder = self.recorder = RecorderService(
            open_recorder_outbox, self._make_recorder,
            data_dir=paths.data_dir, on_appended=sync.wake, parent=self)
        sounds_on = cfg.ui.sounds if self.options.sounds is None else self.options.sounds
        self.pin_check = PinCheck(PinLock(cfg.ui.admin_pin_hash, clock), self)
        window = self.window = KioskWindow(
            clock=clock, status=status, pin_check=self.pin_check,
            log_lines=self.log_buffer.lines, card_seconds=cfg.ui.card_seconds,
            card_hold_max_s=cfg.ui.card_hold_max_s,
            sounds=SoundPlayer(enabled=sounds_on), kiosk_mode=self.options.fullscreen,
        )
        window.set_timezone(self._tz)
        self.log_buffer.set_timezone(self._tz)
        router = self.router = ScanRouter(recorder, window, status, self)
        self.corrections = CorrectionFlow(window, router, sync, clock, lambda: self._tz,
                                          cfg.ui.corrections_offer_s, self)
        if self.camera is None:  # (else the enrolment screen's camera, already running)
            self.camera = self._make_camera()
        if self.wedge is None:
            self.wedge = self._make_wedge()
        self._connect(recorder, sync, window, status, router)
        sync.start()
        if self.push is not None:
            self.push.start()
        recorder.start()
        if self.camera is not None:
            if self.camera.worker is None:
                self.camera.start()
            else:  # running since the enrolment screen: say where it is now
                self.camera.announce()
        self._stats_timer.start()
        recorder.request_stats()
        if self.options.fullscreen:
            window.showFullScreen()
        else:
            window.show()
        log.info("kiosk started: terminal %s, site %s, version %s", cfg.terminal.id,
                 cfg.terminal.site, __version__)

    def _make_push_worker(self, service: PushService) -> PushWorker | None:
        """On the push thread: the event stream, sharing the sync engine's clock offset."""
        sync, roster = self.sync, self._roster
        assert sync is not None and roster is not None
        if not sync.wait_ready():
            log.warning("the sync thread has not opened the outbox yet; streaming anyway")
        engine = sync.engine
        cfg, clock = self.config, self.clock
        offset = engine.offset if engine is not None else ClockOffset(clock, 0.0)
        actions = PushActions(roster, lambda: sync.engine, show_message=service.show_message,
                              make_diagnostics=self._diagnostics_bundle,
                              on_revoked=service.on_revoked)
        return PushWorker(cfg, self.secret_store, clock, offset,
                          self.paths.data_dir / "push_state.json", actions,
                          on_state=service.on_state, session=self.options.push_session)

    def _diagnostics_bundle(self) -> bytes:
        """The status panel's diagnostics zip as bytes (IT asked for it; on the push
        thread: the status is an immutable snapshot, the log tail a locked copy)."""
        status = self.status.status.to_json() if self.status is not None else {}
        status["log_tail"] = self.log_buffer.lines(200)
        return diagnostics_bundle(self.config, self.paths, status, self.clock.now())

    def _make_recorder(self, outbox: Outbox) -> Recorder:
        cfg, roster, sync = self.config, self._roster, self.sync
        assert roster is not None and sync is not None
        return Recorder(
            outbox, terminal_id=cfg.terminal.id, app_version=__version__[:40],
            clock=self.clock, cooldown=Cooldown(cfg.scan.cooldown_s, self.clock),
            verifier=lambda: roster.verifier() if roster.roster is not None else None,
            display_name=roster.display_name,
            site_tz=lambda: self._tz,
            clock_offset=lambda: sync.clock_offset_s,
            last_punch_time=outbox.last_punch_time,
        )

    def _connect(self, rec: RecorderService, sync: SyncService, win: KioskWindow,
                 st: StatusModel, router: ScanRouter) -> None:
        camera, wedge = self.camera, self.wedge
        if camera is not None:
            camera.frame_ready.connect(win.show_frame)
            camera.code_decoded.connect(router.on_code)
            camera.stats_changed.connect(st.update_camera_stats)
            camera.check_changed.connect(st.update_camera_check)
            camera.camera_status_changed.connect(st.update_camera_status)  # the model's writer
            camera.camera_state_changed.connect(win.show_camera_state)
            camera.badge_in_view_changed.connect(win.show_badge_in_view)
        else:
            win.show_camera_state("none")
        if wedge is not None:
            wedge.code_scanned.connect(router.on_wedge)
        rec.storage_changed.connect(st.update_storage)  # the storage fields' one writer
        sync.verdicts_received.connect(router.show_verdicts)
        sync.sync_state_changed.connect(st.update_sync_state)
        sync.roster_changed.connect(self._on_roster)
        if self.push is not None:
            self.push.message_received.connect(win.show_notice)
        sync.outbox_opened.connect(st.update_outbox_open)
        self._stats_timer.timeout.connect(rec.request_stats)
        win.close_requested.connect(self.shutdown)
        self.actions = PanelActions(
            win.status_panel, sync=sync, camera=camera, wedge=wedge, status=st,
            log_buffer=self.log_buffer, config=lambda: self.config, paths=self.paths,
            clock=self.clock, verifier=self.badge_verifier,
            diagnostics_dir=self.options.diagnostics_dir, parent=self)

    def _on_roster(self, roster: Roster) -> None:
        self._tz = site_timezone(roster.timezone)
        if self.status is not None:
            self.status.update_roster(roster)
        if self.window is not None:
            self.window.set_timezone(self._tz)
        self.log_buffer.set_timezone(self._tz)

    # -- scans (the router's; kept here for the tests and the demo) --------------------------
    def submit(self, text: str, source: str, frame_ts: float | None = None) -> None:
        """Every scan, camera or wedge, goes through the router to the recorder's thread."""
        if self.router is not None:
            self.router.submit(text, source, frame_ts)

    @property
    def counts(self) -> dict[str, int]:
        """Scans, one count per outcome kind, acknowledged/accepted: the demo's summary."""
        if self.router is None:
            return {"scans": 0, "recorded": 0, "already": 0, "refused": 0, "storage_error": 0,
                    "acknowledged": 0, "accepted": 0}
        return self.router.counts

    # -- camera and wedge ------------------------------------------------------------------
    def _camera_state(self) -> str:
        """For the heartbeat (called on the sync thread: reads one immutable snapshot)."""
        status = self.status
        return status.status.camera_state if status is not None else "unknown"

    def _make_camera(self) -> CameraService | None:
        """The camera from the options/config (not started, not connected); None when
        there is none."""
        spec = self.options.camera if self.options.camera is not None else \
            self.config.camera.source
        if not spec and self.options.source_factory is None:
            return None
        return CameraService(spec, self.config.camera, self.options.synthetic_tokens,
                             preview_fps=self.options.preview_fps,
                             source_factory=self.options.source_factory, parent=self)

    def _make_wedge(self) -> WedgeReader | None:
        """The keyboard-wedge reader, installed on the application; None when it is off."""
        if not self.config.scan.wedge_enabled:
            return None
        s = self.config.scan
        wedge = WedgeReader(max_interkey_ms=s.wedge_max_interkey_ms,
                            min_length=s.wedge_min_length, parent=self)
        app = QApplication.instance()
        if app is not None:
            wedge.install(app)
        return wedge

    def badge_verifier(self) -> BadgeVerifier | None:
        """A verifier for the cached roster's keys, or None before the first roster."""
        roster = self._roster
        return roster.verifier() if roster is not None and roster.roster is not None else None

    # -- health and shutdown -----------------------------------------------------------------
    def healthy(self) -> bool:
        """For the systemd watchdog: False once the recorder's or the sync's thread died,
        so the pings stop and systemd restarts the kiosk."""
        if self._shutdown.started:
            return True
        return all(service.healthy for service in (self.recorder, self.sync)
                   if service is not None)

    def shutdown_when_synced(self, grace_s: float = 5.0) -> None:
        """Shut down once every punch recorded here has its verdict, or after ``grace_s``
        (``--exit-after``: a slow machine should not fail the smoke test mid-flight)."""
        deadline = time.monotonic() + grace_s

        def check() -> None:
            if self._shutdown.started:
                return
            c = self.counts
            if c["acknowledged"] >= c["recorded"] or time.monotonic() >= deadline:
                self.shutdown()
            else:
                QTimer.singleShot(100, check)

        check()

    def shutdown(self) -> None:
        """Begin the staged stop; returns at once (``finished`` follows). Safe to call more
        than once and from any close path."""
        if self._shutdown.started:
            return
        log.info("shutting down")
        self._stats_timer.stop()
        self.enrolment.close()
        if self.router is not None:  # no new scans; the queued ones still finish
            self.router.close()
        if self.camera is not None:  # 1. no new frames (asked here, joined by the stages)
            self.camera.close()
        if self.wedge is not None:  # 2. no new keystroke scans
            app = QApplication.instance()
            if app is not None:
                self.wedge.uninstall(app)
        self._shutdown.run(self._stages())

    def _stages(self) -> list[Stage]:
        stages = []
        if self.camera is not None:
            stages.append(Stage("camera", self.camera.join, self.camera.threads))
        if self.recorder is not None:  # 3. finish the queued scans, close its connection
            rec = self.recorder
            stages.append(Stage("recorder", rec.join, rec.threads, rec.request_stop))
        if self.push is not None:  # the event stream: drop its connection
            push = self.push
            stages.append(Stage("push", push.join, push.threads, push.request_stop))
        if self.sync is not None:  # 4. stop the drain loop, close the last connection
            sync = self.sync
            stages.append(Stage("sync", sync.join, sync.threads, sync.request_stop))
        calls = [self.background] + ([self.actions.background] if self.actions else [])
        pin = self.pin_check
        stages.append(threads_stage("background calls", lambda: [
            t for call in calls for t in call.threads()] + (pin.threads() if pin else [])))
        return stages

    def wait_stopped(self, timeout_s: float | None = None) -> bool:
        """Block until the shutdown's stages are through and finish it here: for callers
        without a running event loop (``run_kiosk`` after ``exec()``, tests)."""
        done = self._shutdown.wait(timeout_s)
        if done and self._shutdown.left is not None:
            self._stopped(self._shutdown.left)
        return done

    def _stopped(self, _left: list[str]) -> None:
        if self._finished:
            return
        self._finished = True
        for w in (self.window, self.enroll_screen):
            if w is not None and w.isVisible():
                if isinstance(w, KioskWindow):
                    w.kiosk_mode = False
                w.close()
        log.info("stopped")
        logging.getLogger().removeHandler(self.log_buffer)
        self.finished.emit()


def run_kiosk(
    config: Config, paths: Paths, secret_store: SecretStore, options: KioskOptions, *,
    keyring_label: str = "", clock: Clock | None = None,
    exit_after_s: float | None = None, on_started: Callable[[KioskApp], None] | None = None,
) -> tuple[int, KioskApp]:
    """Run the kiosk until the window closes, SIGTERM, or ``exit_after_s``; returns
    (exit code, the KioskApp) so the demo can print its summary."""
    logging_setup.configure(config, paths)
    uninstall_qt_handler = install_qt_message_handler()
    install_excepthook()
    if QApplication.instance() is None and (dropped := undo_opencv_qt_paths()):
        log.info("ignoring %s: they point into OpenCV's own Qt 5", ", ".join(dropped))
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setApplicationName("checkin-kiosk")
    QCoreApplication.setApplicationVersion(__version__)
    kiosk = KioskApp(config, paths, secret_store, options, clock=clock,
                     keyring_label=keyring_label)
    kiosk.translator = install_translator(
        qapp, pick_language(options.language or config.ui.language))
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
        kiosk.wait_stopped()
        wakeup.close()
        if dog is not None:
            dog.stop()
        uninstall_qt_handler()
    return code, kiosk
