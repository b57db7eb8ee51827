"""The enrolment QR: the server's address and a one-time code, for a terminal without a keyboard.

``kiosk-server add-terminal … --qr FILE.png`` prints it; the kiosk's enrolment screen reads it
from the camera or a wedge scanner (as pretix's scanners are set up). Text form::

    KE1.<base32 of: len(code) | code | url (UTF-8) | first 4 bytes of sha256(all before)>

Base32 keeps every character in the QR alphanumeric set and makes the text case-insensitive
(Caps Lock on a wedge scanner cannot break it); the checksum lets a reader tell a good read
from a mangled one, so a wedge text can be tried through the keyboard-layout mix-ups and taken
only when one of them checks out. The code is a bearer secret for a few days: the QR is
handled like the code itself (never logged, shown once).
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

from .badge import b32_decode, b32_encode
from .reasons import ReasonError

PREFIX = "KE1."
_CHECK_LEN = 4
MAX_TEXT_LEN = 1024


class EnrolmentCodeErrorReason(str, enum.Enum):
    NOT_ENROLMENT = "not_enrolment"  # some other code (a badge, a URL)
    DAMAGED = "damaged"  # starts like one, but does not check out
    BAD_ADDRESS = "bad_address"  # not an http(s) address


class EnrolmentCodeError(ReasonError):
    reason: EnrolmentCodeErrorReason


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What the QR holds: where to enrol and with which one-time code."""

    server_url: str
    code: str


def _checked_url(url: str) -> str:
    url = url.strip()
    if not url.startswith(("http://", "https://")) or len(url) > 500 or any(c.isspace() for c in url):
        raise EnrolmentCodeError(EnrolmentCodeErrorReason.BAD_ADDRESS, "not an http(s) address")
    return url


def enrolment_text(server_url: str, code: str) -> str:
    """The QR's text for ``server_url`` and the one-time ``code``."""
    url = _checked_url(server_url)
    raw_code = code.strip().encode("ascii")
    if not 1 <= len(raw_code) <= 64:
        raise ValueError("the enrolment code must be 1-64 ASCII characters")
    body = bytes([len(raw_code)]) + raw_code + url.encode("utf-8")
    return PREFIX + b32_encode(body + hashlib.sha256(body).digest()[:_CHECK_LEN])


def parse_enrolment(text: object) -> Enrolment:
    """The enrolment in a scanned text, or :class:`EnrolmentCodeError` (never anything else)."""
    if not isinstance(text, str) or len(text) > MAX_TEXT_LEN:
        raise EnrolmentCodeError(EnrolmentCodeErrorReason.NOT_ENROLMENT)
    text = text.strip().upper()
    if not text.startswith(PREFIX):
        raise EnrolmentCodeError(EnrolmentCodeErrorReason.NOT_ENROLMENT)
    try:
        raw = b32_decode(text[len(PREFIX):])
        body, check = raw[:-_CHECK_LEN], raw[-_CHECK_LEN:]
        if len(body) < 2 or hashlib.sha256(body).digest()[:_CHECK_LEN] != check:
            raise ValueError("checksum")
        n = body[0]
        code = body[1 : 1 + n].decode("ascii")
        url = body[1 + n :].decode("utf-8")
        if len(code) != n or not code.isprintable():
            raise ValueError("code")
    except (ValueError, UnicodeDecodeError):
        raise EnrolmentCodeError(EnrolmentCodeErrorReason.DAMAGED, "does not check out") from None
    return Enrolment(_checked_url(url), code)
