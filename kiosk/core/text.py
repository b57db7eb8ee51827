"""Decoded bytes to text (light: no cv2), shared by the decoder, the verdict and the UI.

Texts that are not printable UTF-8 come back as :data:`BINARY_MARKER` plus a hex preview,
so the badge parser rejects them ("Not a badge") and nothing downstream handles bytes.
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


def _utf8(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _printable(text: str) -> bool:
    if "\ufffd" in text:
        return False
    return not any((ord(c) < 32 or ord(c) == 127) and c not in _ALLOWED_CONTROLS for c in text)
