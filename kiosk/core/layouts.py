"""Keyboard-layout mix-ups between a wedge scanner and the terminal (Qt-free).

A HID scanner sends key positions, and the terminal's layout turns them into characters. When
the scanner is set up for another layout than the terminal's, the text arrives changed in a
fixed way: on a German (QWERTZ) terminal a US scanner's ``y`` and ``z`` swap; on a French or
Belgian (AZERTY) one letters swap (``a``/``q``, ``z``/``w``) and the unshifted digit row types
``&é"'(-è_çà`` (Odoo #214407: ``àà&"è'!ç&&``); with Caps Lock on, every letter is in the
other case. Each :class:`LayoutFix` undoes one such mix-up.

A fixed-up text is only ever a *candidate*: the caller accepts it only when the badge's
signature verifies after the mapping (see :func:`kiosk.core.scan_check.classify_scan`), so a
mapping can never turn a wrong text into someone's badge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["FIXES", "LayoutFix", "candidates", "guess_layout", "read_typed", "swap_letter_case"]

T = TypeVar("T")

_US_DIGITS, _US_SHIFTED_DIGITS = "1234567890", "!@#$%^&*()"
_LOWER, _UPPER = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CAPS = str.maketrans(_LOWER + _UPPER, _UPPER + _LOWER)  # Caps Lock: letters only ("ß" stays)


def swap_letter_case(text: str) -> str:
    """What Caps Lock does to typed text: A-Z and a-z in the other case, nothing else."""
    return text.translate(_CAPS)


def _swap(pairs: str) -> dict[str, str]:
    """Both directions, both cases, of letter pairs like "yz"."""
    out: dict[str, str] = {}
    for a, b in zip(pairs[::2], pairs[1::2], strict=True):
        for x, y in ((a, b), (a.upper(), b.upper())):
            out[x], out[y] = y, x
    return out


def _azerty(digit_row: str, extra: dict[str, str]) -> dict[str, str]:
    """A US scanner on an AZERTY terminal: what arrived -> what the scanner meant."""
    table = _swap("aqzw")
    table.update(zip(digit_row, _US_DIGITS, strict=True))  # the unshifted digit row
    table.update(zip(_US_DIGITS, _US_SHIFTED_DIGITS, strict=True))  # AZERTY's digits need Shift
    # the US "m" key types ","; US ";" types "m"; US "," ";"; US "." ":"; US "-" ")"
    table.update({",": "m", "?": "M", "m": ";", "M": ":", ";": ",", ":": ".", ")": "-", "°": "_"})
    table.update(extra)
    return table


@dataclass(frozen=True, slots=True)
class LayoutFix:
    """One mix-up: ``code`` (stable, for the status panel), the layout the terminal seems to
    type in, and the table from the characters that arrived to the ones the scanner meant.
    ``caps_lock`` first swaps the case of every letter that arrived (the lock's doing)."""

    code: str
    terminal_layout: str
    table: dict[str, str]
    caps_lock: bool = False

    def apply(self, text: str) -> str:
        typed = swap_letter_case(text) if self.caps_lock else text  # the lock acted on letters as typed
        return "".join(self.table.get(c, c) for c in typed)


_QWERTZ = {**_swap("yz"), "ß": "-", "?": "_", "-": "/", "_": "?", "ö": ";", "Ö": ":", "ä": "'", "Ä": '"'}
_FR = _azerty("&é\"'(-è_çà", {"!": "/", "§": "?", ".": "<", "/": ">"})
_BE = _azerty("&é\"'(§è!çà", {"=": "/", "+": "?", ".": "<", "/": ">"})

_LAYOUTS = (
    ("qwertz", "German (QWERTZ)", _QWERTZ),
    ("azerty_fr", "French (AZERTY)", _FR),
    ("azerty_be", "Belgian (AZERTY)", _BE),
)

#: Every fix tried, cheapest and most common first: Caps Lock alone, then each layout,
#: then each layout with Caps Lock on as well.
FIXES: tuple[LayoutFix, ...] = (
    LayoutFix("caps_lock", "Caps Lock on", {}, caps_lock=True),
    *(LayoutFix(code, name, table) for code, name, table in _LAYOUTS),
    *(LayoutFix(code + "+caps_lock", name + " with Caps Lock on", table, caps_lock=True)
      for code, name, table in _LAYOUTS),
)


def candidates(text: str) -> list[tuple[LayoutFix, str]]:
    """``text`` as each mix-up would have meant it (only those that change it, each once)."""
    seen = {text}
    out = []
    for fix in FIXES:
        meant = fix.apply(text)
        if meant not in seen:
            seen.add(meant)
            out.append((fix, meant))
    return out


def read_typed(
    text: str, parse: Callable[[str], T], error: type[Exception]
) -> tuple[T, LayoutFix | None]:
    """``parse(text)``, else ``parse`` of the first mix-up that it accepts, with that fix.

    For typed texts that check themselves (the enrolment QR's checksum): ``parse`` raises
    ``error`` on a text it does not accept; when no spelling is accepted, the first error
    is raised.
    """
    try:
        return parse(text), None
    except error as first:
        for fix, meant in candidates(text):
            try:
                return parse(meant), fix
            except error:
                continue
        raise first


def guess_layout(text: str) -> str:
    """A guess from the characters alone, for any test code: AZERTY's digit row or German
    letters give the layout away; "" when nothing does (a badge that verifies after a fix
    says more, see :func:`kiosk.core.scan_check.classify_scan`)."""
    if "§" in text or ("!" in text and any(c in "éèçà" for c in text)):
        return "azerty_be"
    if any(c in "éèçà²" for c in text):
        return "azerty_fr"
    if any(c in "ßöäüÖÄÜ" for c in text):
        return "qwertz"
    return ""
