"""The kiosk window: header, live preview, feedback card; the PIN pad and the status panel
are pages of the same window (never a modal dialog that could block the door).

Widgets only: the window receives outcomes, verdicts and states through its slots, which
the app connects to the services' signals. It does no disk or network I/O.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QIcon, QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from kiosk.core.clock import Clock
from kiosk.core.recorder import Outcome, OutcomeKind
from kiosk.services.pin_check import PinCheck
from kiosk.services.status import StatusModel

from . import messages
from .card import FeedbackCard
from .correction_screen import CorrectionScreen
from .header import HeaderBar
from .pin_pad import PinPad
from .preview import PreviewWidget
from .resources import resource
from .sounds import SoundPlayer
from .status_panel import StatusPanel

log = logging.getLogger("kiosk.ui.window")

ADMIN_SHORTCUT = "Ctrl+Alt+S"
LONG_PRESS_MS = 3000
CORNER_PX = 120
NOTICE_MS = 30 * 60 * 1000  # IT's idle-screen message stays half an hour
CORRECTION_IDLE_MS = 60_000  # the make-up screen left alone: back to the kiosk
VERDICT_WAIT_MS = 2500  # no answer by then: "Saved on this terminal – will sync"


class KioskWindow(QMainWindow):
    """Signals:
        card_changed(CardMessage): the card now shows this (tests, benchmark, demo summary).
        admin_opened(): the status panel was unlocked.
        close_requested(): the window is closing; the app stops the workers in order.
        correction_filed(CorrectionForm): the employee confirmed a make-up request.
    """

    card_changed = Signal(object)
    admin_opened = Signal()
    close_requested = Signal()
    correction_filed = Signal(object)

    def __init__(
        self,
        *,
        clock: Clock,
        status: StatusModel,
        pin_check: PinCheck,
        log_lines: Any,
        card_seconds: float = 4.0,
        card_hold_max_s: float = 30.0,
        sounds: SoundPlayer | None = None,
        kiosk_mode: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Check-in kiosk"))
        self.setWindowIcon(QIcon(str(resource("icons", "kiosk.svg"))))
        self._status = status
        self._sounds = sounds
        self.kiosk_mode = kiosk_mode
        self._names: OrderedDict[str, Outcome] = OrderedDict()  # event id -> its outcome
        self._early_verdicts: OrderedDict[str, Any] = OrderedDict()

        self.header = HeaderBar(clock)
        self.preview = PreviewWidget()
        self.card = FeedbackCard(card_seconds, hold_max_s=card_hold_max_s)
        self._badge_in_view = False  # the camera's last scanned badge is still in frame
        self.card.message_shown.connect(self.card_changed)
        kiosk_page = QWidget()
        kiosk_page.setObjectName("kioskPage")
        column = QVBoxLayout(kiosk_page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.header)
        body = QVBoxLayout()
        body.setContentsMargins(16, 16, 16, 16)
        body.setSpacing(16)
        body.addWidget(self.preview, 3)
        # IT's message for the idle screen (a pushed command); hidden until there is one
        self.notice = QLabel()
        self.notice.setObjectName("itNotice")
        self.notice.setWordWrap(True)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setStyleSheet("#itNotice { background: #243447; color: #ffffff; "
                                  "font-size: 22px; padding: 12px; border-radius: 8px; }")
        self.notice.hide()
        body.addWidget(self.notice, 0)
        body.addWidget(self.card, 0)  # fixed height: the preview takes the rest
        column.addLayout(body, 1)
        kiosk_page.setStyleSheet("#kioskPage { background: #0d1014; }")

        self.pin_pad = PinPad(pin_check)
        self.pin_pad.unlocked.connect(self._open_status)
        self.pin_pad.cancelled.connect(self.show_kiosk)
        self.status_panel = StatusPanel(status, log_lines)
        self.status_panel.closed.connect(self.show_kiosk)
        self.status_panel.leave_kiosk_requested.connect(self.leave_kiosk_mode)

        self.correction_screen = CorrectionScreen()
        self.correction_screen.filed.connect(self._correction_confirmed)
        self.correction_screen.cancelled.connect(self.show_kiosk)
        self.card.correction_requested.connect(self.open_correction)
        self._correction_name = ""
        self.correction_idle = QTimer(self)  # someone walked away from the form
        self.correction_idle.setSingleShot(True)
        self.correction_idle.setInterval(CORRECTION_IDLE_MS)
        self.correction_idle.timeout.connect(self._correction_abandoned)

        self.pages = QStackedWidget()
        for page in (kiosk_page, self.pin_pad, self.status_panel, self.correction_screen):
            self.pages.addWidget(page)
        self.kiosk_page = kiosk_page
        self.setCentralWidget(self.pages)
        self.resize(1024, 720)

        self._verdict_timer = QTimer(self)
        self._verdict_timer.setSingleShot(True)
        self._verdict_timer.setInterval(VERDICT_WAIT_MS)
        self._verdict_timer.timeout.connect(self._no_verdict_in_time)
        self._pending_outcome: Outcome | None = None
        self._long_press = QTimer(self)
        self._long_press.setSingleShot(True)
        self._long_press.setInterval(LONG_PRESS_MS)
        self._long_press.timeout.connect(self.open_admin)
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.setInterval(NOTICE_MS)
        self._notice_timer.timeout.connect(self.notice.hide)
        self._panel_refresh = QTimer(self)
        self._panel_refresh.setInterval(2000)
        self._panel_refresh.timeout.connect(self.status_panel.refresh_log)

        shortcut = QShortcut(QKeySequence(ADMIN_SHORTCUT), self)
        shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
        shortcut.activated.connect(self.open_admin)
        self.kiosk_page.installEventFilter(self)
        for child in (self.preview, self.card, self.header):
            child.installEventFilter(self)

        status.changed.connect(self._show_status)
        self._show_status(status.status)

    # -- pages -----------------------------------------------------------------------------
    def open_admin(self) -> None:
        if self.pages.currentWidget() is self.status_panel:
            return
        self.pin_pad.reset()
        self.pages.setCurrentWidget(self.pin_pad)

    def _open_status(self) -> None:
        self.status_panel.refresh_log()
        self.pages.setCurrentWidget(self.status_panel)
        self._panel_refresh.start()
        self.admin_opened.emit()
        log.info("status panel opened")

    def offer_correction(self, name: str, seconds: float) -> None:
        """After a recognised scan: "Forgot a punch?" on the card for ``seconds``."""
        self._correction_name = name
        self.card.offer_correction(seconds)

    def open_correction(self) -> None:
        self.card.withdraw_correction()
        self.correction_screen.reset(self._correction_name)
        self.pages.setCurrentWidget(self.correction_screen)
        self.correction_idle.start()

    def _correction_abandoned(self) -> None:
        if self.pages.currentWidget() is self.correction_screen:
            log.info("make-up screen left alone: back to the kiosk")
            self.show_kiosk()

    def _correction_confirmed(self, form: Any) -> None:
        self.show_kiosk()
        self.correction_filed.emit(form)

    def show_correction_message(self, msg: messages.CardMessage) -> None:
        self._pending_outcome = None
        self._verdict_timer.stop()
        self._show(msg, False)

    def show_kiosk(self) -> None:
        self._panel_refresh.stop()
        self.correction_idle.stop()
        self.pages.setCurrentWidget(self.kiosk_page)

    def leave_kiosk_mode(self) -> None:
        """IT's way out: a normal window that can be closed."""
        self.kiosk_mode = False
        self.showNormal()
        self.status_panel.show_result(self.tr("Kiosk mode left: the window can now be closed."))
        log.info("kiosk mode left from the status panel")

    def set_timezone(self, tz: Any) -> None:
        """The site's time zone (from the roster) for the header clock and the panel."""
        self.header.set_timezone(tz)
        self.status_panel.set_timezone(tz)

    # -- slots for the services ------------------------------------------------------------
    def show_frame(self, image: QImage) -> None:
        self.preview.set_frame(image)

    def show_code(self, text: str, polygon: list, frame_ts: float = 0.0) -> None:
        self.preview.show_code(polygon)

    def show_badge_in_view(self, in_view: bool) -> None:
        """The scan worker: the badge of its last scan is (still) in frame, or has left."""
        self._badge_in_view = in_view
        if not in_view:
            self.card.release()

    def show_camera_state(self, state: str) -> None:
        messages_by_state = {
            "running": "", "ok": "", "open": "",
            "connecting": self.tr("Connecting to the camera…"),
            "disconnected": self.tr("Camera disconnected – reconnecting…"),
            "reconnecting": self.tr("Camera disconnected – reconnecting…"),
            "error": self.tr("Camera not available – badge scanners still work"),
            "stopped": self.tr("Camera stopped"),
            "none": self.tr("No camera on this terminal – use the badge scanner"),
        }
        state = str(state).lower()
        self.preview.set_message(messages_by_state.get(state, ""))
        self.card.set_camera_available(state in ("running", "ok", "open", "connecting"))

    def show_outcome(self, outcome: Outcome) -> None:
        offline = self._status.status.online is False
        msg = messages.for_outcome(outcome, offline=offline)
        self.card.withdraw_correction()  # a new scan: the last one's offer ends
        hold = outcome.source == "camera" and self._badge_in_view
        if outcome.kind is OutcomeKind.RECORDED and outcome.event_id:
            self._remember(self._names, outcome.event_id, outcome)
            early = self._early_verdicts.pop(outcome.event_id, None)
            if early is not None:
                self._show(msg, hold)
                self._apply_verdict(early)
                return
            self._pending_outcome = outcome
            if not offline:
                self._verdict_timer.start()
        else:
            self._pending_outcome = None
            self._verdict_timer.stop()
        self._show(msg, hold)

    def show_verdicts(self, verdicts: list) -> None:
        for verdict in verdicts:
            event_id = str(verdict.event_id)
            if event_id == self.card.event_id:
                self._apply_verdict(verdict)
            elif event_id not in self._names:
                self._remember(self._early_verdicts, event_id, verdict)

    def _apply_verdict(self, verdict: Any) -> None:
        event_id = str(verdict.event_id)
        self._verdict_timer.stop()
        self._pending_outcome = None
        outcome = self._names.get(event_id)
        self._show(messages.for_verdict(verdict, outcome.name or "" if outcome else "",
                                        outcome.local_time or "" if outcome else ""))

    def _no_verdict_in_time(self) -> None:
        outcome = self._pending_outcome
        if outcome is not None and self.card.event_id == outcome.event_id:
            msg = messages.saved_offline(outcome)
            self._show(_quiet(msg))

    def show_notice(self, text: str) -> None:
        """Show IT's message on the idle screen for NOTICE_MS (a newer one replaces it)."""
        self.notice.setText(text)
        self.notice.show()
        self._notice_timer.start()

    def _show_status(self, st: Any) -> None:
        self.header.set_terminal(st.terminal_name, st.site)
        self.header.set_connection(st.online)
        self.header.set_pending(st.pending)
        if st.online is False and self._pending_outcome is not None:
            if self.card.event_id == self._pending_outcome.event_id:
                self._verdict_timer.stop()
                self._show(_quiet(messages.saved_offline(self._pending_outcome)))
                self._pending_outcome = None

    def _show(self, msg: messages.CardMessage, hold: bool | None = None) -> None:
        self.card.show_message(msg, hold)
        if msg.sound and self._sounds is not None:
            self._sounds.play(messages.TONE_SOUNDS[msg.tone])

    @staticmethod
    def _remember(store: OrderedDict, key: str, value: Any) -> None:
        store[key] = value
        while len(store) > 200:
            store.popitem(last=False)

    # -- input -------------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and isinstance(obj, QWidget):
            pos = obj.mapTo(self, event.position().toPoint())  # type: ignore[attr-defined]
            if self._in_corner(pos):
                self._long_press.start()
        elif kind == QEvent.Type.MouseButtonRelease:
            self._long_press.stop()
        return False

    def _in_corner(self, pos: QPoint) -> bool:
        w, h = self.width(), self.height()
        near_x = pos.x() < CORNER_PX or pos.x() > w - CORNER_PX
        near_y = pos.y() < CORNER_PX or pos.y() > h - CORNER_PX
        return near_x and near_y

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self.kiosk_mode:
            # Alt+F4, a window manager's close or any stray close() does nothing at the
            # door. The ways out clear kiosk_mode first: the panel's "Leave kiosk mode",
            # and KioskApp.shutdown (SIGTERM, --exit-after).
            event.ignore()
            log.info("close ignored: the window is in kiosk mode")
            return
        self._verdict_timer.stop()
        self._long_press.stop()
        self._panel_refresh.stop()
        self.correction_idle.stop()
        self.close_requested.emit()
        event.accept()


def _quiet(msg: messages.CardMessage) -> messages.CardMessage:
    """The switch from "Recorded" to "saved offline" is the same punch: no second beep."""
    return replace(msg, sound=False)
