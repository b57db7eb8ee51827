"""From decoded text to a verdict for the screen (Qt-free, total: never raises).

Whatever a decoder or a wedge scanner produced — a URL, binary junk, a 3 kB code, a badge
with one character changed — ends up as either a verified :class:`Badge` or a reason code
and one short sentence the UI can show (and translate by code).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from kiosk.core.protocol import Badge, BadgeError, BadgeErrorReason, BadgeVerifier
from kiosk.core.protocol.badge import looks_like_badge

from .layouts import LayoutFix, candidates
from .text import is_binary_text


class ScanReason(str, enum.Enum):
    OK = "ok"
    NOT_A_BADGE = "not_a_badge"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    UNKNOWN_KEY = "unknown_key"
    DAMAGED = "damaged"


MESSAGES: dict[ScanReason, str] = {
    ScanReason.OK: "Badge accepted",
    ScanReason.NOT_A_BADGE: "Not a badge",
    ScanReason.REVOKED: "Badge revoked",
    ScanReason.EXPIRED: "Badge expired",
    ScanReason.NOT_YET_VALID: "Badge not valid yet",
    ScanReason.UNKNOWN_KEY: "Badge not recognised (unknown key)",
    ScanReason.DAMAGED: "Badge damaged or forged",
}

_FROM_BADGE_ERROR = {
    BadgeErrorReason.REVOKED: ScanReason.REVOKED,
    BadgeErrorReason.EXPIRED: ScanReason.EXPIRED,
    BadgeErrorReason.NOT_YET_VALID: ScanReason.NOT_YET_VALID,
    BadgeErrorReason.UNKNOWN_KEY: ScanReason.UNKNOWN_KEY,
    BadgeErrorReason.BAD_SIGNATURE: ScanReason.DAMAGED,
}


@dataclass(frozen=True, slots=True)
class ScanCheck:
    """The outcome of one scan: ``badge`` when accepted, else ``reason`` and ``message``."""

    reason: ScanReason
    message: str
    badge: Badge | None = None
    layout: LayoutFix | None = None  # the keyboard mix-up undone to read a typed badge

    @property
    def ok(self) -> bool:
        return self.reason is ScanReason.OK


def _verdict(reason: ScanReason) -> ScanCheck:
    return ScanCheck(reason, MESSAGES[reason])


# Refusals that come after the signature verified: the badge is genuine.
_SIGNED = frozenset({BadgeErrorReason.REVOKED, BadgeErrorReason.EXPIRED, BadgeErrorReason.NOT_YET_VALID})


def classify_scan(
    text: object, verifier: BadgeVerifier, now: datetime, *, typed: bool = False
) -> ScanCheck:
    """Verify ``text`` as a badge at ``now``; a reason for the screen when it is not one.

    A text that starts like a badge (``KB1.``, ``KB2.``) but does not parse is "damaged or
    forged"; anything else that does not parse is "not a badge". A ``typed`` text (a wedge
    scanner's) that is no badge as it came is tried through the keyboard-layout mix-ups of
    :mod:`.layouts`, and taken only if the signature verifies after the mapping.
    """
    if not isinstance(text, str) or is_binary_text(text):
        return _verdict(ScanReason.NOT_A_BADGE)
    stripped = text.strip("\r\n")  # wedge scanners may add a line end
    verdict, signed = _verify(stripped, verifier, now)
    if signed or not typed:
        return verdict
    for fix, meant in candidates(stripped):
        fixed, signed = _verify(meant, verifier, now)
        if signed:
            return ScanCheck(fixed.reason, fixed.message, fixed.badge, layout=fix)
    return verdict


def _verify(text: str, verifier: BadgeVerifier, now: datetime) -> tuple[ScanCheck, bool]:
    """The verdict, and whether the signature verified (a genuine badge, maybe refused)."""
    try:
        badge = verifier.verify(text, now)
    except BadgeError as exc:
        if exc.reason is BadgeErrorReason.MALFORMED:
            looks_like = looks_like_badge(text)
            return _verdict(ScanReason.DAMAGED if looks_like else ScanReason.NOT_A_BADGE), False
        return _verdict(_FROM_BADGE_ERROR.get(exc.reason, ScanReason.DAMAGED)), exc.reason in _SIGNED
    return ScanCheck(ScanReason.OK, MESSAGES[ScanReason.OK], badge), True
