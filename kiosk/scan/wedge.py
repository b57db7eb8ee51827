"""Keyboard-wedge scanners: catch a scanner's burst of keys, whichever widget has focus.

:class:`WedgeReader` is an event filter installed on the QApplication. It feeds each key
press to a :class:`~kiosk.scan.burst.BurstDetector`: printable keys are held back for a few
milliseconds; a scanner burst becomes ``code_scanned(text)`` and its keys never reach a
text field; a person's keys are replayed to the widget they were meant for, in order.

A HID scanner types like a keyboard on the terminal's layout: Shift around every capital
(and around digits on AZERTY), AltGr for some symbols, and Caps Lock may be on. Presses of
modifier keys alone carry no text and never end a burst; on Windows AltGr arrives as
Ctrl+Alt with the character's text, which is a character, not a shortcut.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QWidget

from kiosk.core.config import ScanSection

from .burst import BurstDetector, BurstResult

__all__ = ["BurstDetector", "WedgeReader"]

_ENTER_KEYS = {Qt.Key.Key_Return: "\r", Qt.Key.Key_Enter: "\r", Qt.Key.Key_Tab: "\t"}
_CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
_COMMAND_MODIFIERS = _CTRL_ALT | Qt.KeyboardModifier.MetaModifier
# Keys that only change what the next key types: they pass through and leave a burst alone.
_MODIFIER_KEYS = frozenset({
    Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_AltGr, Qt.Key.Key_Meta,
    Qt.Key.Key_CapsLock, Qt.Key.Key_NumLock, Qt.Key.Key_Mode_switch, Qt.Key.Key_Super_L,
    Qt.Key.Key_Super_R, Qt.Key.Key_Hyper_L, Qt.Key.Key_Hyper_R,
})


def _monotonic_ms() -> float:
    return time.monotonic() * 1000.0


class _HeldKey:
    """A copy of a held key press and where it was going, so it can be replayed."""

    def __init__(self, receiver: QObject, event: QKeyEvent) -> None:
        self.receiver = receiver
        self.key = event.key()
        self.modifiers = event.modifiers()
        self.text = event.text()
        self.timestamp = event.timestamp()

    def replay(self) -> None:
        if not shiboken6.isValid(self.receiver):
            return
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            ev = QKeyEvent(kind, self.key, self.modifiers, self.text)
            ev.setTimestamp(self.timestamp)
            QCoreApplication.sendEvent(self.receiver, ev)


class WedgeReader(QObject):
    """Application-wide event filter that turns scanner bursts into ``code_scanned``.

    Install with ``app.installEventFilter(reader)`` (or :meth:`install`). Key timestamps come
    from the events (the window system's clock); events without one use ``clock_ms``.

    Signals:
        code_scanned(str): the text a wedge scanner typed (without its Enter).
        test_scanned(object): after :meth:`start_test`, the next code's
            :class:`~kiosk.scan.burst.BurstInfo` instead of ``code_scanned`` (again, with
            ``doubled``, when the scanner types it a second time).
    """

    code_scanned = Signal(str)
    test_scanned = Signal(object)

    def __init__(
        self,
        max_interkey_ms: float = 30.0,
        min_length: int = 8,
        *,
        clock_ms: Callable[[], float] = _monotonic_ms,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.detector = BurstDetector(max_interkey_ms, min_length)
        self._clock_ms = clock_ms
        self._replaying = False
        self._last: tuple[int, str, int, QObject] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_pause)
        self.enabled = True
        self._test = ""  # "" off, "waiting" for the test code, "shown" (watching for its copy)
        self._doubled_seen = 0

    @classmethod
    def from_config(cls, scan: ScanSection, parent: QObject | None = None) -> WedgeReader:
        """A reader set up from ``[scan]`` (``wedge_enabled``, ``wedge_max_interkey_ms``,
        ``wedge_min_length``)."""
        reader = cls(scan.wedge_max_interkey_ms, scan.wedge_min_length, parent=parent)
        reader.enabled = scan.wedge_enabled
        return reader

    def start_test(self) -> None:
        """The next code is a test for the status panel: reported, never a scan."""
        self._test = "waiting"

    def install(self, app: QCoreApplication) -> None:
        app.installEventFilter(self)

    def uninstall(self, app: QCoreApplication) -> None:
        app.removeEventFilter(self)
        self._timer.stop()
        self._apply(self.detector.flush())

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if self._replaying or not self.enabled or event.type() != QEvent.Type.KeyPress:
            return False
        if not isinstance(obj, QWidget):
            return False  # the QWindow sees real keys first; act once, at the widget
        assert isinstance(event, QKeyEvent)
        if event.key() in _MODIFIER_KEYS or self._is_propagation(obj, event):
            return False
        char = self._char_of(event)
        if char is None:
            if self.detector.pending:  # e.g. an arrow key: give back what was held first
                self._timer.stop()
                self._apply(self.detector.flush())
            return False
        ts = float(event.timestamp()) or self._clock_ms()
        result = self.detector.key(char, ts, _HeldKey(obj, event))
        self._apply(result)
        if self.detector.pending:
            self._timer.start(max(1, int(self.detector.end_gap_ms)))
        else:
            self._timer.stop()
        return result.hold

    def _is_propagation(self, obj: QWidget, event: QKeyEvent) -> bool:
        """The same press handed on to a parent because the child ignored it."""
        sig = (int(event.key()), event.text(), int(event.timestamp()))
        last = self._last
        self._last = (*sig, obj)
        if last is None or last[:3] != sig or not shiboken6.isValid(last[3]):
            return False
        child = last[3]
        return isinstance(child, QWidget) and obj.isAncestorOf(child)

    @staticmethod
    def _char_of(event: QKeyEvent) -> str | None:
        text = event.text()
        printable = len(text) == 1 and text.isprintable()
        mods = event.modifiers()
        if mods & _COMMAND_MODIFIERS:
            # Windows delivers AltGr as Ctrl+Alt with the character's text: a character.
            # Anything else held with Ctrl, Alt or Meta is a shortcut.
            windows_altgr = (mods & _COMMAND_MODIFIERS) == _CTRL_ALT and printable
            if not windows_altgr:
                return None
        key = Qt.Key(event.key())
        if key in _ENTER_KEYS:
            return _ENTER_KEYS[key]
        return text if printable else None

    def _on_pause(self) -> None:
        self._apply(self.detector.flush())

    def _apply(self, result: BurstResult) -> None:
        self._replay(result)
        copied, self._doubled_seen = self.detector.doubled != self._doubled_seen, self.detector.doubled
        if result.code is not None and self._test == "waiting":
            self._test = "shown"
            self.test_scanned.emit(self.detector.last_burst)
        elif result.code is not None:
            self._test = ""
            self.code_scanned.emit(result.code)
        elif copied and self._test == "shown":
            self.test_scanned.emit(self.detector.last_burst)

    def _replay(self, result: BurstResult) -> None:
        if result.release:
            self._replaying = True
            try:
                for held in result.release:
                    held.replay()
            finally:
                self._replaying = False
