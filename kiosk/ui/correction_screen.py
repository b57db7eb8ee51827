"""The touch screen for a make-up punch (补卡), opened from the card after a scan.

Big buttons only (no keyboard): which day, which direction, the time with hour and minute
steppers, one of a few reasons, then confirm. The screen knows only the employee's name to
show; the request is made for the badge just scanned by the caller. Widgets only: it
emits ``filed(CorrectionForm)`` and does no I/O.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.core.corrections import DAYS_AGO, REASONS, CorrectionForm, step_time

from . import theme
from .theme import TOUCH_PX


class CorrectionScreen(QWidget):
    """Signals:
        filed(CorrectionForm): the employee confirmed.
        cancelled(): back to the kiosk without a request.
    """

    filed = Signal(object)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("correctionScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(theme.STYLE)  # the kiosk's dark theme, touch-sized
        self.title = QLabel()
        self.title.setObjectName("correctionTitle")
        self.title.setWordWrap(True)
        day_labels = {1: self.tr("Yesterday"), 0: self.tr("Today"), 2: self.tr("Two days ago")}
        self.days = self._choices({d: day_labels[d] for d in DAYS_AGO})
        self.directions = self._choices({"check_in": self.tr("Check in"),
                                         "check_out": self.tr("Check out")})
        reason_labels = {
            "forgot": self.tr("Forgot to scan"),
            "badge_missing": self.tr("Badge not at hand"),
            "terminal_down": self.tr("Terminal was not working"),
            "work_outside": self.tr("Working outside the office"),
        }
        self.reasons = self._choices({k: reason_labels[k] for k in REASONS})
        self.time_label = QLabel()
        self.time_label.setObjectName("correctionTime")
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._steppers: dict[str, QPushButton] = {}
        steps = QHBoxLayout()
        for key, text, delta in (("h-", self.tr("− hour"), -60), ("m-", self.tr("− 5 min"), -5),
                                 ("m+", self.tr("+ 5 min"), 5), ("h+", self.tr("+ hour"), 60)):
            button = self._button(text)
            button.clicked.connect(lambda _=False, d=delta: self._step(d))
            self._steppers[key] = button
            steps.addWidget(button)
            if key == "m-":
                steps.addWidget(self.time_label, 1)
        self.confirm = self._button(self.tr("Send request"))
        self.confirm.setObjectName("correctionConfirm")
        self.confirm.clicked.connect(self._confirm)
        self.cancel = self._button(self.tr("Cancel"))
        self.cancel.clicked.connect(self.cancelled)

        grid = QGridLayout()
        grid.setVerticalSpacing(14)
        for row, (label, group) in enumerate((
                (self.tr("Day"), self.days), (self.tr("Direction"), self.directions))):
            grid.addWidget(QLabel(label), row, 0)
            grid.addLayout(self._row(group), row, 1)
        grid.addWidget(QLabel(self.tr("Time")), 2, 0)
        grid.addLayout(steps, 2, 1)
        grid.addWidget(QLabel(self.tr("Reason")), 3, 0, Qt.AlignmentFlag.AlignTop)
        reasons = QGridLayout()
        for i, button in enumerate(self.reasons.buttons()):
            reasons.addWidget(button, i, 0)  # one a row: long reasons (and zh) keep room
        grid.addLayout(reasons, 3, 1)
        actions = QHBoxLayout()
        actions.addWidget(self.cancel)
        actions.addStretch(1)
        actions.addWidget(self.confirm)
        column = QVBoxLayout(self)
        column.setContentsMargins(32, 24, 32, 24)
        column.setSpacing(18)
        column.addWidget(self.title)
        column.addLayout(grid)
        column.addStretch(1)
        column.addLayout(actions)
        self.reset("")

    def reset(self, name: str, form: CorrectionForm | None = None) -> None:
        """A fresh form for ``name`` (the employee just scanned)."""
        form = form or CorrectionForm()
        self.title.setText(self.tr("Forgot a punch? %1").replace("%1", name).strip())
        self._check(self.days, form.days_ago)
        self._check(self.directions, form.direction)
        self._check(self.reasons, form.reason)
        self._hour, self._minute = form.hour, form.minute
        self._show_time()

    def form(self) -> CorrectionForm:
        return CorrectionForm(days_ago=int(self._value(self.days)),
                              direction=self._value(self.directions),  # type: ignore[arg-type]
                              hour=self._hour, minute=self._minute,
                              reason=str(self._value(self.reasons)))

    def press_stepper(self, key: str) -> None:
        """Tests and screenshots: "h-", "m-", "m+" or "h+"."""
        self._steppers[key].click()

    def _confirm(self) -> None:
        self.filed.emit(self.form())

    def _step(self, delta: int) -> None:
        self._hour, self._minute = step_time(self._hour, self._minute, delta)
        self._show_time()

    def _show_time(self) -> None:
        self.time_label.setText(f"{self._hour:02d}:{self._minute:02d}")

    def _button(self, text: str) -> QPushButton:
        button = QPushButton(text)
        button.setMinimumHeight(TOUCH_PX)
        button.setMinimumWidth(TOUCH_PX)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    def _choices(self, options: dict[object, str]) -> QButtonGroup:
        group = QButtonGroup(self)
        group.setExclusive(True)
        for value, text in options.items():
            button = self._button(text)
            button.setCheckable(True)
            button.setProperty("value", value)
            group.addButton(button)
        return group

    @staticmethod
    def _row(group: QButtonGroup) -> QHBoxLayout:
        row = QHBoxLayout()
        for button in group.buttons():
            row.addWidget(button)
        row.addStretch(1)
        return row

    @staticmethod
    def _check(group: QButtonGroup, value: object) -> None:
        for button in group.buttons():
            button.setChecked(button.property("value") == value)

    @staticmethod
    def _value(group: QButtonGroup) -> object:
        checked = group.checkedButton()
        return checked.property("value") if checked is not None else None
