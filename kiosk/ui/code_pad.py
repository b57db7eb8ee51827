"""The on-screen keypad for the enrolment code: a kiosk usually has no keyboard.

It offers exactly the characters an enrolment code is made of (``kiosk-server
add-terminal`` leaves out 0/O and 1/I so a code can be read aloud), plus a dash and
backspace, and types them into the line edit it is given.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLineEdit, QPushButton, QWidget

from .theme import TOUCH_PX

# The same alphabet as server_stub.admin's codes (tests/ui/test_touch_theme.py checks it).
CODE_KEYS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
COLUMNS = 9
BACKSPACE = "⌫"


class CodePad(QWidget):
    """Buttons that type into ``target`` (never take the focus from it)."""

    def __init__(self, target: QLineEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codePad")
        self._target = target
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        self.buttons: dict[str, QPushButton] = {}
        for i, key in enumerate([*CODE_KEYS, "-", BACKSPACE]):
            button = QPushButton(key)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setMinimumSize(TOUCH_PX + 8, TOUCH_PX + 8)
            button.clicked.connect(lambda _=False, k=key: self.press(k))
            grid.addWidget(button, i // COLUMNS, i % COLUMNS)
            self.buttons[key] = button

    def press(self, key: str) -> None:
        if key == BACKSPACE:
            self._target.backspace()
        else:
            self._target.insert(key)
