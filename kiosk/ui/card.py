"""The big feedback card: words, colour, icon (and the caller's sound) for each scan.

It clears itself after ``card_seconds`` and never blocks anything: the next scan simply
replaces it. A camera scan's card is *held* while its badge is still in view (the scan
worker says when it leaves): it clears ``LEAVE_LINGER_MS`` after the badge left, never
before ``card_seconds``, and at the latest after ``hold_max_s`` (a badge left on the glass
must not hold the card forever). Wedge scans have no view: they keep the fixed timeout. ``event_id`` is the punch the card is about, so a late server verdict updates
the card only while it still shows that punch.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .messages import TONE_COLOURS, TONE_ICONS, CardMessage, Tone, idle
from .resources import resource
from .theme import TOUCH_PX

# Room for a two-line title or detail and a CJK name at the card's font sizes: the card
# keeps this height whatever it says, so the preview above it never jumps.
CARD_HEIGHT = 248
LEAVE_LINGER_MS = 1000  # the badge left the view: the card stays this much longer
IDLE_ICON = "idle"  # round, like the outcome icons (kiosk.svg is the square app icon)


class FeedbackCard(QFrame):
    """Signals:
        message_shown(CardMessage): after the card changed (tests and the benchmark wait on it).
        correction_requested(): "Forgot a punch?" was tapped (offered after a scan).
    """

    message_shown = Signal(object)
    correction_requested = Signal()

    def __init__(self, card_seconds: float = 4.0, parent: QWidget | None = None, *,
                 hold_max_s: float = 30.0) -> None:
        super().__init__(parent)
        self.setObjectName("feedbackCard")
        self._icon = QLabel()
        self._icon.setFixedSize(QSize(96, 96))
        self._title = QLabel()
        self._title.setWordWrap(True)
        self._title.setObjectName("cardTitle")
        self._name = QLabel()
        self._name.setObjectName("cardName")
        self._detail = QLabel()
        self._detail.setWordWrap(True)
        self._detail.setObjectName("cardDetail")
        text = QVBoxLayout()
        text.addStretch(1)  # centred: the one-line idle text no longer sits at the top
        text.addWidget(self._title)
        text.addWidget(self._name)
        text.addWidget(self._detail)
        text.addStretch(1)
        # offered for a few seconds after a recognised scan (a make-up punch, 补卡)
        self.correction_button = QPushButton(self.tr("Forgot a punch?"))
        self.correction_button.setObjectName("cardAction")
        self.correction_button.setMinimumHeight(TOUCH_PX)
        self.correction_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.correction_button.clicked.connect(self.correction_requested)
        self.correction_button.hide()
        self._offer = QTimer(self)
        self._offer.setSingleShot(True)
        self._offer.timeout.connect(self.correction_button.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(24, 20, 24, 20)
        row.setSpacing(20)
        row.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addLayout(text, 1)
        row.addWidget(self.correction_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.setFixedHeight(CARD_HEIGHT)
        self._clear = QTimer(self)
        self._clear.setSingleShot(True)
        self._clear.setInterval(int(card_seconds * 1000))
        self._clear.timeout.connect(self._min_time_up)
        self._linger = QTimer(self)  # after the held badge left the view
        self._linger.setSingleShot(True)
        self._linger.setInterval(LEAVE_LINGER_MS)
        self._linger.timeout.connect(self.show_idle)
        self._hold_limit = QTimer(self)  # a badge left on the glass
        self._hold_limit.setSingleShot(True)
        self._hold_limit.setInterval(int(max(card_seconds, hold_max_s) * 1000))
        self._hold_limit.timeout.connect(self.show_idle)
        self._shown = False
        self.held = False
        # Read the icons once, at start-up: a card change must not wait on the disk.
        self._pixmaps: dict[str, QPixmap] = {
            name: QIcon(str(resource("icons", f"{name}.svg"))).pixmap(96, 96)
            for name in {IDLE_ICON, *TONE_ICONS.values()}
        }
        self._camera = True
        self.message: CardMessage = idle()
        self._render(self.message, idle=True)

    @property
    def event_id(self) -> str | None:
        return self.message.event_id if self._shown else None

    def show_message(self, message: CardMessage, hold: bool | None = None) -> None:
        """Show ``message``; ``hold``: its badge is in view (True), not (False), or None for
        an update of the same scan's card (a verdict), which keeps the hold as it was."""
        self.message = message
        self._render(message, idle=False)
        self._shown = True
        self._clear.start()
        if hold is not None:
            self.held = hold
            self._linger.stop()
            if hold:
                self._hold_limit.start()
            else:
                self._hold_limit.stop()
        self.message_shown.emit(message)

    def offer_correction(self, seconds: float) -> None:
        """Show "Forgot a punch?" for ``seconds`` (while the card shows this scan)."""
        self._offer.start(int(seconds * 1000))
        self.correction_button.show()

    def withdraw_correction(self) -> None:
        self._offer.stop()
        self.correction_button.hide()

    def release(self) -> None:
        """The held card's badge left the view: clear soon (not before ``card_seconds``)."""
        if not self.held:
            return
        self.held = False
        self._hold_limit.stop()
        if not self._clear.isActive():
            self._linger.start()

    def _min_time_up(self) -> None:
        if not self.held:
            self.show_idle()

    def set_camera_available(self, available: bool) -> None:
        """The idle text points to the camera or, without one, to the badge scanner."""
        if available == self._camera:
            return
        self._camera = available
        if self.is_idle():
            self.show_idle()

    def show_idle(self) -> None:
        self._clear.stop()
        self._linger.stop()
        self._hold_limit.stop()
        self._shown = False
        self.held = False
        self.withdraw_correction()
        self.message = idle(self._camera)
        self._render(self.message, idle=True)
        self.message_shown.emit(self.message)

    def is_idle(self) -> bool:
        return not self._shown

    def text(self) -> str:
        """Everything the card says, one line per label (tests, accessibility)."""
        parts = [self._title.text(), self._name.text(), self._detail.text()]
        return "\n".join(p for p in parts if p)

    def _render(self, m: CardMessage, idle: bool) -> None:
        colour = "#2b2f36" if idle else TONE_COLOURS[m.tone]
        self.setStyleSheet(
            f"#feedbackCard {{ background: {colour}; border-radius: 18px; }}"
            "#feedbackCard QLabel { color: white; }"
            f"#cardTitle {{ font-size: {30 if idle else 40}px; font-weight: 600; }}"
            "#cardName { font-size: 30px; }"
            "#cardDetail { font-size: 22px; }"
            f"#cardAction {{ color: white; background: rgba(0,0,0,0.28); font-size: 20px; "
            f"border: 2px solid white; border-radius: 10px; padding: 6px 18px; "
            f"min-height: {TOUCH_PX}px; min-width: {TOUCH_PX}px; }}"
        )
        self._title.setText(m.title)
        self._name.setText(m.name)
        self._name.setVisible(bool(m.name))
        self._detail.setText(m.detail)
        self._detail.setVisible(bool(m.detail))
        icon_name = IDLE_ICON if idle else TONE_ICONS[m.tone]
        self._icon.setPixmap(self._pixmaps[icon_name])
        self.setAccessibleName(self.text())
        if not idle and m.tone is Tone.ERROR:
            self.setAccessibleDescription("error")
