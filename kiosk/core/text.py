"""Decoded bytes to text (light: no cv2), shared by the decoder, the verdict and the UI.

Texts that are not printable UTF-8 come back as :data:`BINARY_MARKER` plus a hex preview,
so the badge parser rejects them ("Not a badge") and nothing downstream handles bytes.
:func:`exact_text` is the content itself, control characters and all, for callers that must
match it (``kiosk decode``); :func:`readable_text` names the control characters for people.
"""

from __future__ import annotations

BINARY_MARKER = "\x00binary:"
_PREVIEW_BYTES = 32
_ALLOWED_CONTROLS = frozenset("\t\r\n")


def is_binary_text(text: str) -> bool:
    return text.startswith(BINARY_MARKER)


def text_from_bytes(raw: bytes, fallback: str | None = None) -> str:
    """Printable UTF-8 text of a code's bytes, else a binary marker (never raises).

    ``fallback`` is the decoder's own transcoding, used when the code declared another
    character set (ECI) and the decoder honoured it.
    """
    for candidate in (_utf8(raw), fallback):
        if candidate is not None and _printable(candidate):
            return candidate
    more = "…" if len(raw) > _PREVIEW_BYTES else ""
    return BINARY_MARKER + raw[:_PREVIEW_BYTES].hex() + more


def exact_text(raw: bytes, decoded: str | None = None) -> str:
    """The code's content exactly: UTF-8 when the bytes are UTF-8, else the decoder's own
    transcoding (its character set guess or the code's ECI), else ISO-8859-1 (the QR default)."""
    return _utf8(raw) or decoded or raw.decode("latin-1")


# ASCII's names for the control characters, as ZXing's "human readable" text mode shows them.
_CONTROL_NAMES = (
    "NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI "
    "DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US"
).split()


def readable_text(text: str) -> str:
    """``text`` with each control character other than tab and line ends as ``<NAME>``."""
    return "".join(
        c if c in _ALLOWED_CONTROLS or (" " <= c and c != "\x7f")
        else "<DEL>" if c == "\x7f" else f"<{_CONTROL_NAMES[ord(c)]}>"
        for c in text
    )


def _utf8(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _printable(text: str) -> bool:
    if "\ufffd" in text:
        return False
    return not any((ord(c) < 32 or ord(c) == 127) and c not in _ALLOWED_CONTROLS for c in text)
