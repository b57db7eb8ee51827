"""The on-screen PIN keypad in front of the status panel (touch-friendly, no dialog)."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.core.pin import PinAnswer, PinResult
from kiosk.services.pin_check import PinCheck

PAD_WIDTH = 360


class PinPad(QWidget):
    """Signals:
        unlocked(): the right PIN was entered.
        cancelled(): back to the kiosk.
    """

    unlocked = Signal()
    cancelled = Signal()

    def __init__(self, check: PinCheck, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._check = check
        self._waiting = False
        check.answered.connect(self._answered)
        check.failed.connect(self._failed)
        self.setObjectName("pinPad")
        title = QLabel(self.tr("IT status panel – enter the admin PIN"))
        title.setObjectName("pinTitle")
        self.entry = QLineEdit()
        self.entry.setEchoMode(QLineEdit.EchoMode.Password)
        self.entry.setMaxLength(12)
        self.entry.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.entry.returnPressed.connect(self.submit)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("pinMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setFixedWidth(PAD_WIDTH + 200)
        self.message.setMinimumHeight(60)
        keypad = QWidget()
        keypad.setFixedWidth(PAD_WIDTH)
        grid = QGridLayout(keypad)
        grid.setContentsMargins(0, 0, 0, 0)
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "OK"]
        for i, key in enumerate(keys):
            label = self.tr("OK") if key == "OK" else key
            button = QPushButton(label)
            button.setMinimumSize(96, 72)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, k=key: self._key(k))
            grid.addWidget(button, i // 3, i % 3)
        cancel = QPushButton(self.tr("Cancel"))
        cancel.setFixedWidth(PAD_WIDTH)
        cancel.setObjectName("pinCancel")
        cancel.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        cancel.clicked.connect(self._cancel)
        box = QVBoxLayout(self)
        box.addStretch(1)
        for w in (title, self.entry, self.message):
            box.addWidget(w, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addWidget(keypad, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addWidget(cancel, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(1)
        self.entry.setFixedWidth(PAD_WIDTH)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "PinPad { background: #1c2027; }"
            " QLabel { color: #e8eaed; font-size: 20px; }"
            " QLabel#pinTitle { font-size: 26px; font-weight: 600; }"
            " QLabel#pinMessage { color: #ffb4a9; }"
            " QLineEdit { font-size: 30px; padding: 6px; border-radius: 8px; }"
            " QPushButton { font-size: 26px; color: white; background: #2f343d;"
            "   border: 1px solid #454b56; border-radius: 10px; }"
            " QPushButton:pressed { background: #4a505c; }"
            " QPushButton#pinCancel { font-size: 20px; min-height: 52px; }"
        )

    def reset(self) -> None:
        self.entry.clear()
        left = self._check.locked_for()
        if not self._check.configured:
            self.message.setText(self.tr(
                "No admin PIN is set on this terminal. Set one with: kiosk set-pin"))
        elif left > 0:
            self._show_locked(left)
        else:
            self.message.setText("")
        self.entry.setFocus()

    def _key(self, key: str) -> None:
        if key == "OK":
            self.submit()
        elif key == "⌫":
            self.entry.backspace()
        else:
            self.entry.insert(key)

    def _cancel(self) -> None:
        self.entry.clear()
        self.cancelled.emit()

    def _show_locked(self, seconds: float) -> None:
        minutes = max(1, math.ceil(seconds / 60))
        self.message.setText(self.tr("Too many wrong PINs – locked for %n min.", "", minutes))

    @property
    def busy(self) -> bool:
        """A PIN is being checked (off the GUI thread) and its answer not shown yet."""
        return self._waiting

    def submit(self) -> None:
        if self._waiting or not self._check.check(self.entry.text()):
            return  # the previous PIN is still being checked
        self._waiting = True
        self.entry.clear()

    def _failed(self) -> None:
        self._waiting = False

    def _answered(self, answer: PinAnswer) -> None:
        self._waiting = False
        if answer.result is PinResult.OK:
            self.message.setText("")
            self.unlocked.emit()
        elif answer.result is PinResult.LOCKED:
            self._show_locked(answer.locked_s)
        elif answer.result is PinResult.NO_PIN:
            self.reset()
        else:
            self.message.setText(
                self.tr("Wrong PIN – tries left: %n", "", answer.tries_left))
