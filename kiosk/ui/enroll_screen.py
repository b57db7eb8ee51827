"""First run: the terminal is not enrolled yet, so ask for the server URL and the code.

Or scan them: the enrolment QR (``kiosk-server add-terminal … --qr``) shown to the camera or
read by a wedge scanner fills both fields and enrols, so a terminal without a keyboard can be
set up. The app feeds scanned texts to :meth:`EnrollScreen.read_scan`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.core.layouts import read_typed
from kiosk.core.protocol.enrolment import (
    EnrolmentCodeError,
    EnrolmentCodeErrorReason,
    parse_enrolment,
)

from . import theme
from .code_pad import CodePad


class EnrollScreen(QWidget):
    """Signals:
        enroll_requested(str, str): server URL and one-time code (the app does the I/O).
    """

    enroll_requested = Signal(str, str)

    def __init__(self, server_url: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("enrollScreen")
        title = QLabel(self.tr("This terminal is not enrolled yet"))
        title.setObjectName("enrollTitle")
        hint = QLabel(self.tr(
            "Ask the administrator for a one-time enrolment code "
            "(kiosk-server add-terminal), then enter it with the server address, "
            "or show its enrolment QR to the camera or the scanner."))
        hint.setWordWrap(True)
        self.url = QLineEdit(server_url)
        self.url.setPlaceholderText("https://attendance.example.com")
        self.code = QLineEdit()
        self.code.setPlaceholderText(self.tr("enrolment code"))
        self.code.returnPressed.connect(self._submit)
        self.code.setMaxLength(64)
        self.pad = CodePad(self.code)
        self.button = QPushButton(self.tr("Enrol this terminal"))
        self.button.clicked.connect(self._submit)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("enrollMessage")
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(self.tr("Server address:"), self.url)
        form.addRow(self.tr("Enrolment code:"), self.code)
        box = QVBoxLayout(self)
        box.addStretch(1)
        box.addWidget(title)
        box.addWidget(hint)
        box.addLayout(form)
        box.addWidget(self.pad, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        box.addWidget(self.message)
        box.addStretch(2)
        box.setContentsMargins(80, 32, 80, 32)
        box.setSpacing(14)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(theme.STYLE)  # a window of its own before enrolment

    def _submit(self) -> None:
        url, code = self.url.text().strip(), self.code.text().strip()
        if not url.startswith(("http://", "https://")):
            self.show_error(self.tr("The server address must start with http:// or https://"))
            return
        if len(code) < 4:
            self.show_error(self.tr("Enter the enrolment code you were given."))
            return
        self.button.setEnabled(False)
        self._set_error(False)
        self.message.setText(self.tr("Enrolling…"))
        self.enroll_requested.emit(url, code)

    @Slot(str)
    def read_scan(self, text: str) -> None:
        """A scanned text (camera or wedge): an enrolment QR fills the form and enrols."""
        if not self.button.isEnabled():
            return  # enrolling already; the camera still sees the same QR
        try:
            enrolment, _fix = read_typed(text, parse_enrolment, EnrolmentCodeError)
        except EnrolmentCodeError as exc:
            if exc.reason is EnrolmentCodeErrorReason.NOT_ENROLMENT:
                self.show_error(self.tr("This code is not an enrolment code."))
            else:
                self.show_error(self.tr("The enrolment QR was not read completely: scan it again."))
            return
        self.url.setText(enrolment.server_url)
        self.code.setText(enrolment.code)
        self._submit()

    def show_error(self, text: str) -> None:
        self.button.setEnabled(True)
        self._set_error(True)
        self.message.setText(text)

    def _set_error(self, error: bool) -> None:
        self.message.setProperty("error", error)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
