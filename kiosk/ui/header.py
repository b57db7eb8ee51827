"""The header: clock, terminal name and site, connection state, pending punches."""

from __future__ import annotations

from datetime import tzinfo

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from kiosk.core.clock import Clock


class HeaderBar(QWidget):
    def __init__(self, clock: Clock, tz: tzinfo | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("header")
        self._clock = clock
        self._tz = tz
        self.clock_label = QLabel()
        self.clock_label.setObjectName("headerClock")
        self.terminal_label = QLabel()
        self.connection_label = QLabel()
        self.pending_label = QLabel()
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 8, 16, 8)
        row.addWidget(self.clock_label)
        row.addSpacing(24)
        row.addWidget(self.terminal_label, 1)
        row.addWidget(self.connection_label)
        row.addSpacing(16)
        row.addWidget(self.pending_label)
        self.setStyleSheet(
            "#header { background: #1c2027; } #header QLabel { color: #e8eaed; font-size: 18px; }"
            " #headerClock { font-size: 26px; font-weight: 600; }"
        )
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self.update_clock)
        self._tick.start()
        self.set_connection(None)
        self.set_pending(0)
        self.update_clock()

    def set_timezone(self, tz: tzinfo | None) -> None:
        self._tz = tz
        self.update_clock()

    def update_clock(self) -> None:
        now = self._clock.now()
        now = now.astimezone(self._tz) if self._tz else now.astimezone()
        self.clock_label.setText(now.strftime("%H:%M:%S"))

    def set_terminal(self, name: str, site: str) -> None:
        text = name or self.tr("Unnamed terminal")
        if site:
            text = self.tr("%1 · site %2").replace("%1", text).replace("%2", site)
        self.terminal_label.setText(text)

    def set_connection(self, online: bool | None) -> None:
        if online is None:
            self.connection_label.setText(self.tr("○ Connecting…"))
        elif online:
            self.connection_label.setText(self.tr("● Online"))
        else:
            self.connection_label.setText(self.tr("✕ Offline – punches are kept"))

    def set_pending(self, n: int) -> None:
        self.pending_label.setText(self.tr("Waiting to send: %1").replace("%1", str(n)))
