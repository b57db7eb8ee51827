"""Keyboard-wedge scanners: a burst of fast keys is a scan, a person typing never is."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QVBoxLayout, QWidget

from kiosk.scan.burst import BurstDetector
from kiosk.scan.wedge import WedgeReader
from tests.helpers.hid import LAYOUTS, PLATFORMS, caps_lock_toggle, modifier_for, scanner_strokes

# ------------------------------------------------------------------ Qt-free detector


def _feed(det: BurstDetector, text: str, start: float, step: float):
    codes, passed = [], []
    ts = start
    for ch in text:
        r = det.key(ch, ts, payload=ch)
        passed.extend(r.release)
        if r.code:
            codes.append(r.code)
        if not r.hold:
            passed.append(ch)
        ts += step
    return codes, passed, ts


def test_scanner_burst_with_enter():
    det = BurstDetector(max_interkey_ms=30, min_length=8)
    codes, passed, _ = _feed(det, "KB1.k1.b00001\r", 1000, 4)
    assert codes == ["KB1.k1.b00001"] and passed == []
    assert not det.pending


def test_scanner_burst_without_enter_ends_by_pause():
    det = BurstDetector(30, 8)
    codes, passed, ts = _feed(det, "ABCDEFGHIJ", 0, 3)
    assert codes == [] and det.pending
    assert not det.expired(ts + 10) and det.expired(ts + det.end_gap_ms)
    result = det.flush()
    assert result.code == "ABCDEFGHIJ" and result.release == []
    # or the next key after a pause ends it (detector used without a timer)
    codes, passed, ts = _feed(det, "ABCDEFGHIJ", 5000, 3)
    r = det.key("x", ts + 500, "x")
    assert r.code == "ABCDEFGHIJ" and r.hold and det.pending


@pytest.mark.parametrize("step", [60, 120, 250])
def test_person_typing_is_never_a_scan(step):
    det = BurstDetector(30, 8)
    text = "hello world, this is me typing a long sentence\r"
    codes, passed, _ = _feed(det, text, 0, step)
    passed.extend(det.flush().release)
    assert codes == []
    assert "".join(passed) == text  # every key reached the field, in order


def test_fast_rolled_pairs_are_still_a_person():
    det = BurstDetector(30, 8)
    ts, codes, passed = 0.0, [], []
    for pair in ["th", "is", "is", "an", "ot", "he", "rt", "es", "t\r"]:
        c, p, _ = _feed(det, pair, ts, 15)  # two keys rolled in 15 ms, then a pause
        codes += c
        passed += p
        ts += 150
    passed.extend(det.flush().release)
    assert codes == [] and "".join(passed) == "thisisanothertest\r"


def test_short_fast_burst_is_given_back():
    det = BurstDetector(30, 8)
    codes, passed, _ = _feed(det, "abc\r", 0, 3)
    assert codes == [] and passed == list("abc\r")


def test_clock_going_back_breaks_a_burst():
    det = BurstDetector(30, 3)
    det.key("a", 1000, "a")
    r = det.key("b", 10, "b")
    assert r.release == ["a"] and r.code is None


def test_non_text_key_flushes():
    det = BurstDetector(30, 3)
    for i, ch in enumerate("ab"):
        det.key(ch, i, ch)
    r = det.key("", 5, None)
    assert r.release == ["a", "b"] and not r.hold


def test_detector_rejects_bad_settings():
    with pytest.raises(ValueError):
        BurstDetector(0, 8)
    with pytest.raises(ValueError):
        BurstDetector(30, 0)
    with pytest.raises(ValueError):
        BurstDetector(30, 8, double_ms=-1)


def test_overlong_burst_is_emitted_not_held_forever():
    det = BurstDetector(30, 8, max_length=50)
    text = "".join(chr(33 + i % 90) for i in range(120))
    codes, passed, _ = _feed(det, text, 0, 1)
    assert codes == [text[:50], text[50:100]] and passed == [] and det.pending


@pytest.mark.parametrize("between", ["\r", "\r\n", ""])
def test_doubled_output_is_one_scan(between):
    det = BurstDetector(30, 8)
    codes, passed, ts = _feed(det, "KB1.k1.b00001" + between + "KB1.k1.b00001\r", 0, 4)
    assert codes == ["KB1.k1.b00001"] and passed == [] and det.doubled == 1


def test_doubled_output_ended_by_pauses_is_one_scan():
    det = BurstDetector(30, 8)
    codes, _, ts = _feed(det, "ABCDEFGHIJ", 0, 3)
    assert det.flush().code == "ABCDEFGHIJ"
    _feed(det, "ABCDEFGHIJ", ts + 200, 3)
    assert det.flush().code is None and det.doubled == 1


def test_the_same_badge_again_later_is_a_new_scan():
    det = BurstDetector(30, 8, double_ms=1000)
    codes, _, ts = _feed(det, "KB1.k1.b00001\r", 0, 4)
    more, _, _ = _feed(det, "KB1.k1.b00001\r", ts + 1500, 4)  # a person scanning again: the cooldown decides
    assert codes == more == ["KB1.k1.b00001"] and det.doubled == 0


# ------------------------------------------------------------------ Qt reader


class Sink(QObject):
    scanned = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.codes: list[str] = []

    @Slot(str)
    def on_code(self, text: str) -> None:
        self.codes.append(text)
        self.scanned.emit(text)


@pytest.fixture
def reader(qtbot):
    app = QApplication.instance()
    r = WedgeReader(max_interkey_ms=30, min_length=8)
    r.install(app)
    sink = Sink()
    r.code_scanned.connect(sink.on_code)
    r.sink = sink
    yield r
    r.uninstall(app)


@pytest.fixture
def form(qtbot):
    w = QWidget()
    layout = QVBoxLayout(w)
    name, other, button = QLineEdit(), QLineEdit(), QPushButton("OK")
    for x in (name, other, button):
        layout.addWidget(x)
    qtbot.addWidget(w)  # not shown: the offscreen platform warns on show(); keys go to widgets directly
    return w, name, other, button


_KEYS = {"\r": Qt.Key.Key_Return, "\t": Qt.Key.Key_Tab, ".": Qt.Key.Key_Period, " ": Qt.Key.Key_Space}


def send_keys(widget: QWidget, text: str, start_ms: int, step_ms: int) -> int:
    """Key presses/releases with controlled timestamps, as the window system delivers them."""
    ts = start_ms
    for ch in text:
        key = _KEYS.get(ch) or Qt.Key(ord(ch.upper()))
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            ev = QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, "" if ch == "\r" else ch)
            ev.setTimestamp(ts)
            QApplication.sendEvent(widget, ev)
        ts += step_ms
    return ts


def test_scanner_burst_is_caught_and_swallowed(qtbot, reader, form, token):
    _, name, _, _ = form
    with qtbot.waitSignal(reader.sink.scanned, timeout=2000) as blocker:
        send_keys(name, token + "\r", 10_000, 4)
    assert blocker.args == [token]
    assert name.text() == ""


def test_burst_without_enter_is_caught_after_the_pause(qtbot, reader, form):
    _, name, _, _ = form
    with qtbot.waitSignal(reader.sink.scanned, timeout=2000) as blocker:
        send_keys(name, "BADGE12345", 10_000, 3)
    assert blocker.args == ["BADGE12345"] and name.text() == ""


def test_person_typing_lands_in_the_field(qtbot, reader, form):
    _, name, _, _ = form
    ts = 10_000
    for ch in "alice smith":
        ts = send_keys(name, ch, ts, 0) + 110
        qtbot.wait(5)
    qtbot.waitUntil(lambda: name.text() == "alice smith", timeout=2000)
    qtbot.wait(reader.detector.end_gap_ms + 20)
    assert reader.sink.codes == []


def test_person_typing_with_real_delays_via_qtest(qtbot, reader, form):
    _, name, _, _ = form
    QTest.keyClicks(name, "operator", delay=70)  # no timestamps: the reader's clock is used
    qtbot.waitUntil(lambda: name.text() == "operator", timeout=3000)
    assert reader.sink.codes == []


def test_scan_works_whichever_widget_has_focus(qtbot, reader, form):
    _, name, other, button = form
    with qtbot.waitSignal(reader.sink.scanned, timeout=2000) as blocker:
        send_keys(button, "KB1.abcdefgh\r", 20_000, 2)  # a button ignores keys: they propagate
    assert blocker.args == ["KB1.abcdefgh"]
    with qtbot.waitSignal(reader.sink.scanned, timeout=2000) as blocker:
        send_keys(other, "KB1.zyxwvuts\r", 30_000, 2)
    assert blocker.args == ["KB1.zyxwvuts"]
    assert name.text() == other.text() == "" and reader.sink.codes == ["KB1.abcdefgh", "KB1.zyxwvuts"]


def test_shortcuts_pass_through(qtbot, reader, form):
    _, name, _, _ = form
    name.setText("abc")
    name.selectAll()
    ev = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_X, Qt.KeyboardModifier.ControlModifier, "\x18")
    ev.setTimestamp(50_000)
    QApplication.sendEvent(name, ev)
    assert name.text() == "" and not reader.detector.pending


def test_disabled_reader_lets_everything_through(qtbot, reader, form):
    _, name, _, _ = form
    reader.enabled = False
    send_keys(name, "ABCDEFGHIJK\r", 60_000, 2)
    assert name.text() == "abcdefghijk".upper() and reader.sink.codes == []


def test_reader_from_config(qtbot):
    from kiosk.core.config import ScanSection

    r = WedgeReader.from_config(ScanSection(wedge_max_interkey_ms=12, wedge_min_length=20, wedge_enabled=False))
    assert r.detector.max_interkey_ms == 12 and r.detector.min_length == 20 and not r.enabled


# ------------------------------------------------------------------ real scanners' keystrokes


def type_strokes(widget: QWidget, strokes) -> None:
    for stroke in strokes:
        QApplication.sendEvent(widget, stroke.event())


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("suffix", ["\r", ""], ids=["enter", "no-enter"])
def test_scanner_with_shift_and_layout_reads_the_token(qtbot, reader, form, token, layout, platform, suffix):
    _, name, _, _ = form
    assert any(c.isupper() for c in token)  # every press of those comes with Shift around it
    with qtbot.waitSignal(reader.sink.scanned, timeout=2000) as blocker:
        type_strokes(name, scanner_strokes(token + suffix, layout, platform))
    assert blocker.args == [token]
    assert name.text() == "" and not reader.detector.pending


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("layout", ["de", "fr"])
def test_altgr_characters_stay_in_the_burst(qtbot, reader, form, layout, platform):
    _, name, _, _ = form
    text = "mailto:IT-desk@example.com?s=Door.7"
    assert modifier_for(layout, "@") == "altgr"
    with qtbot.waitSignal(reader.sink.scanned, timeout=2000) as blocker:
        type_strokes(name, scanner_strokes(text + "\r", layout, platform))
    assert blocker.args == [text] and name.text() == ""


@pytest.mark.parametrize("platform", PLATFORMS)
def test_caps_lock_inverts_letters_but_keeps_the_burst(qtbot, reader, form, token, platform):
    _, name, _, _ = form
    with qtbot.waitSignal(reader.sink.scanned, timeout=2000) as blocker:
        type_strokes(name, caps_lock_toggle(9_000) + scanner_strokes(token + "\r", "us", platform, caps_lock=True))
    assert blocker.args == [token.swapcase()] and name.text() == ""


def test_scanner_sending_everything_twice_gives_one_scan(qtbot, reader, form, token):
    _, name, _, _ = form
    type_strokes(name, scanner_strokes(token + "\r" + token + "\r", "de", "x11"))
    qtbot.wait(int(reader.detector.end_gap_ms) + 30)
    assert reader.sink.codes == [token] and reader.detector.doubled == 1 and name.text() == ""


def test_person_typing_capitals_with_shift_lands_in_the_field(qtbot, reader, form):
    _, name, _, _ = form
    ts = 10_000
    for ch in "Alice O'Neil":
        type_strokes(name, scanner_strokes(ch, "us", "x11", start_ms=ts))
        ts += 140
        qtbot.wait(3)
    qtbot.waitUntil(lambda: name.text() == "Alice O'Neil", timeout=2000)
    qtbot.wait(int(reader.detector.end_gap_ms) + 20)
    assert reader.sink.codes == []


@pytest.mark.parametrize("text", ["\x13", ""], ids=["x11", "windows"])
def test_ctrl_alt_shortcut_is_not_a_character(qtbot, reader, form, text):
    _, name, _, _ = form
    mods = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    ev = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_S, mods, text)
    ev.setTimestamp(70_000)
    assert WedgeReader._char_of(ev) is None
    QApplication.sendEvent(name, ev)
    assert not reader.detector.pending
