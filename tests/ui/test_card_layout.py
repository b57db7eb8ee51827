"""The card keeps one height whatever it says, so the preview never jumps (issue #16), and
without a camera it points to the badge scanner."""

from __future__ import annotations

from kiosk.core.recorder import Outcome, OutcomeKind, RefuseReason
from kiosk.ui import messages
from kiosk.ui.card import CARD_HEIGHT, FeedbackCard
from kiosk.ui.messages import CardMessage, Tone


def test_the_card_and_the_preview_keep_their_height(qtbot) -> None:
    from kiosk.core.clock import SystemClock
    from kiosk.core.pin import PinLock
    from kiosk.services.pin_check import PinCheck
    from kiosk.services.status import Status, StatusModel
    from kiosk.ui.main_window import KioskWindow

    clock = SystemClock()
    win = KioskWindow(clock=clock, status=StatusModel(Status()),
                      pin_check=PinCheck(PinLock("", clock)),
                      log_lines=lambda n: [], kiosk_mode=False)
    qtbot.addWidget(win)
    win.resize(1024, 720)
    win.show()
    qtbot.waitExposed(win)
    shown = [
        CardMessage("Recorded", "Saved on this terminal – will sync with the server as soon "
                    "as it can be reached again, nothing is lost", "Alice Example", Tone.OK),
        CardMessage("已记录：签到 – 准时", "欢迎！这是一段很长的说明文字，会换行显示在卡片上",
                    "王小明", Tone.OK),
        messages.for_outcome(Outcome(OutcomeKind.REFUSED, "camera",
                                     reason=RefuseReason.NOT_A_BADGE)),
    ]
    heights = set()
    for message in shown:
        win.card.show_message(message)
        qtbot.wait(20)
        heights.add((win.card.height(), win.preview.height()))
    win.card.show_idle()
    qtbot.wait(20)
    heights.add((win.card.height(), win.preview.height()))
    assert len(heights) == 1, heights
    assert heights.pop()[0] == CARD_HEIGHT


def test_without_a_camera_the_idle_card_points_to_the_scanner(qtbot) -> None:
    card = FeedbackCard()
    qtbot.addWidget(card)
    assert "camera" in card.text()
    card.set_camera_available(False)
    assert card.text() == "Scan your badge at the badge scanner"
    card.show_message(CardMessage("Recorded", "", "Ada", Tone.OK))
    card.show_idle()
    assert card.text() == "Scan your badge at the badge scanner"  # still no camera
    card.set_camera_available(True)
    assert card.text() == "Show your badge to the camera"


def test_window_camera_states_switch_the_idle_text(qtbot) -> None:
    from kiosk.core.clock import SystemClock
    from kiosk.core.pin import PinLock
    from kiosk.services.pin_check import PinCheck
    from kiosk.services.status import Status, StatusModel
    from kiosk.ui.main_window import KioskWindow

    clock = SystemClock()
    win = KioskWindow(clock=clock, status=StatusModel(Status()),
                      pin_check=PinCheck(PinLock("", clock)),
                      log_lines=lambda n: [], kiosk_mode=False)
    qtbot.addWidget(win)
    for state, camera in (("error", False), ("running", True), ("disconnected", False),
                          ("none", False), ("ok", True)):
        win.show_camera_state(state)
        assert ("camera" in win.card.text()) is camera, (state, win.card.text())
