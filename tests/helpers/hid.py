"""A HID scanner's keystrokes as the window system hands them to Qt, per layout and platform.

A scanner in keyboard mode sends key codes; the terminal's layout turns them into text. So a
scanner set up for the layout in use produces the right characters, but with whatever
modifiers that layout needs: Shift around capitals everywhere, around digits and "." on
French AZERTY, AltGr for "@" on German and French. X11 reports AltGr as its own key
(ISO_Level3_Shift, Qt's Key_AltGr); Windows fakes a left Ctrl press and reports Ctrl+Alt.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent

SHIFT, ALTGR = "shift", "altgr"

# Which modifier each layout needs for a character (letters: Shift for capitals, everywhere).
_LAYOUT_EXTRAS: dict[str, dict[str, str]] = {
    "us": {"_": SHIFT, "@": SHIFT, ":": SHIFT, "?": SHIFT},
    "de": {"_": SHIFT, "@": ALTGR, ":": SHIFT, "/": SHIFT, "?": SHIFT, "=": SHIFT},
    "fr": {**{d: SHIFT for d in "0123456789"}, ".": SHIFT, "/": SHIFT, "?": SHIFT, "@": ALTGR},
}
LAYOUTS = tuple(_LAYOUT_EXTRAS)
PLATFORMS = ("x11", "windows")


def modifier_for(layout: str, ch: str) -> str | None:
    if ch.isalpha() and ch.isupper():
        return SHIFT
    return _LAYOUT_EXTRAS[layout].get(ch)


@dataclass(frozen=True)
class Stroke:
    kind: QEvent.Type
    key: Qt.Key
    modifiers: Qt.KeyboardModifier
    text: str
    ts: int

    def event(self) -> QKeyEvent:
        ev = QKeyEvent(self.kind, self.key, self.modifiers, self.text)
        ev.setTimestamp(self.ts)
        return ev


def _char_key(ch: str) -> Qt.Key:
    return {"\r": Qt.Key.Key_Return, "\t": Qt.Key.Key_Tab}.get(ch) or Qt.Key(ord(ch.upper()))


def scanner_strokes(
    text: str,
    layout: str = "us",
    platform: str = "x11",
    *,
    start_ms: int = 10_000,
    step_ms: int = 4,
    caps_lock: bool = False,
) -> list[Stroke]:
    """Every press and release a scanner typing ``text`` causes, with timestamps.

    With ``caps_lock`` the lock is on: the scanner still presses Shift for capitals, so every
    letter arrives in the other case (as on a real terminal where someone left it on).
    """
    press, release = QEvent.Type.KeyPress, QEvent.Type.KeyRelease
    none, shift = Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier
    ctrl_alt = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    out: list[Stroke] = []
    ts = start_ms
    for ch in text:
        mod = modifier_for(layout, ch)
        typed = ch.swapcase() if caps_lock and ch.isalpha() else ch
        key, shown = _char_key(ch), "" if ch == "\r" else typed
        if mod == SHIFT:
            out += [Stroke(press, Qt.Key.Key_Shift, shift, "", ts),
                    Stroke(press, key, shift, shown, ts + 1), Stroke(release, key, shift, shown, ts + 2),
                    Stroke(release, Qt.Key.Key_Shift, none, "", ts + 3)]
        elif mod == ALTGR and platform == "windows":
            out += [Stroke(press, Qt.Key.Key_Control, Qt.KeyboardModifier.ControlModifier, "", ts),
                    Stroke(press, Qt.Key.Key_Alt, ctrl_alt, "", ts),
                    Stroke(press, key, ctrl_alt, shown, ts + 1), Stroke(release, key, ctrl_alt, shown, ts + 2),
                    Stroke(release, Qt.Key.Key_Alt, Qt.KeyboardModifier.ControlModifier, "", ts + 3),
                    Stroke(release, Qt.Key.Key_Control, none, "", ts + 3)]
        elif mod == ALTGR:
            group = Qt.KeyboardModifier.GroupSwitchModifier
            out += [Stroke(press, Qt.Key.Key_AltGr, none, "", ts),
                    Stroke(press, key, group, shown, ts + 1), Stroke(release, key, group, shown, ts + 2),
                    Stroke(release, Qt.Key.Key_AltGr, group, "", ts + 3)]
        else:
            out += [Stroke(press, key, none, shown, ts), Stroke(release, key, none, shown, ts + 2)]
        ts += step_ms
    return out


def caps_lock_toggle(ts: int) -> list[Stroke]:
    press, release = QEvent.Type.KeyPress, QEvent.Type.KeyRelease
    none = Qt.KeyboardModifier.NoModifier
    return [Stroke(press, Qt.Key.Key_CapsLock, none, "", ts), Stroke(release, Qt.Key.Key_CapsLock, none, "", ts + 1)]
