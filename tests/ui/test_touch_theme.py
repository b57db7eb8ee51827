"""The status panel and the enrolment screen: the kiosk's dark theme, touch-sized, with an
on-screen keypad for the enrolment code (issue #16: light theme, default Qt buttons and a
small grey form on a terminal without a keyboard)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QWidget

from kiosk.services.status import Status, StatusModel
from kiosk.ui import theme
from kiosk.ui.code_pad import BACKSPACE, CODE_KEYS
from kiosk.ui.enroll_screen import EnrollScreen
from kiosk.ui.status_panel import StatusPanel


def _screens(qtbot) -> list[QWidget]:
    model = StatusModel(Status(terminal_name="Front door", site="HQ", version="0.1.0"))
    panel = StatusPanel(model, lambda n: ["2026-11-02 09:00:00,000 INFO kiosk started"])
    enrol = EnrollScreen("http://10.0.0.5:8765")
    for w in (panel, enrol):
        qtbot.addWidget(w)
        w.resize(1024, 720)
        w.show()
        qtbot.waitExposed(w)
    return [panel, enrol]


def test_every_touch_target_is_at_least_48_px(qtbot) -> None:
    small = []
    for screen in _screens(qtbot):
        for w in screen.findChildren(QWidget):
            if isinstance(w, (QAbstractButton, QLineEdit)) and w.isVisibleTo(screen):
                if w.height() < theme.TOUCH_PX or w.width() < theme.TOUCH_PX:
                    small.append(f"{screen.objectName()}: {type(w).__name__} "
                                 f"{getattr(w, 'text', lambda: '')()!r} {w.width()}x{w.height()}")
    assert small == []


def test_both_screens_share_the_kiosks_dark_background(qtbot) -> None:
    for screen in _screens(qtbot):
        image = screen.grab().toImage()
        corner = QColor(image.pixel(4, image.height() - 4))
        assert corner.name() == theme.BACKGROUND, (screen.objectName(), corner.name())


def test_the_code_pad_types_the_code_alphabet(qtbot) -> None:
    from server_stub.admin import _CODE_ALPHABET

    assert CODE_KEYS == _CODE_ALPHABET  # every character a code can have has a key
    enrol = EnrollScreen("http://10.0.0.5:8765")
    qtbot.addWidget(enrol)
    seen = []
    enrol.enroll_requested.connect(lambda url, code: seen.append((url, code)))
    for key in "H2SD-KLCX":
        qtbot.mouseClick(enrol.pad.buttons[key], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(enrol.pad.buttons[BACKSPACE], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(enrol.pad.buttons["N"], Qt.MouseButton.LeftButton)
    assert enrol.code.text() == "H2SD-KLCN"
    qtbot.mouseClick(enrol.button, Qt.MouseButton.LeftButton)
    assert seen == [("http://10.0.0.5:8765", "H2SD-KLCN")]


def test_an_enrolment_error_is_readable_on_the_dark_screen(qtbot) -> None:
    enrol = EnrollScreen("http://10.0.0.5:8765")
    qtbot.addWidget(enrol)
    enrol.show_error("Cannot reach the server.")
    assert enrol.message.property("error") is True
    assert enrol.message.palette().color(enrol.message.foregroundRole()).name() == \
        theme.ERROR_TEXT


def test_no_key_for_characters_a_code_never_has() -> None:
    assert not set("O0I1") & set(CODE_KEYS)
