"""Server-signed receipts: the answer to a signed request is signed back.

``X-Kiosk-Receipt`` = HMAC-SHA256 with the terminal's secret over
``KR1\\nNONCE\\nSTATUS\\nsha256(body)``: the request's own nonce (so an old answer cannot be
replayed for a new request), the status code and the exact bytes of the answer. A fake
server, a captive portal or a proxy that answers by itself cannot produce it, so the kiosk
believes no verdict, server time, roster or error without it. The ``KR1`` prefix keeps a
receipt from ever being mistaken for a request signature (which starts with a method).
"""

from __future__ import annotations

import hashlib
import hmac

from .badge import b64u_decode

H_RECEIPT = "X-Kiosk-Receipt"


def _message(nonce: str, status: int, body: bytes) -> bytes:
    return "\n".join(("KR1", nonce, str(int(status)), hashlib.sha256(body).hexdigest())).encode()


def sign_receipt(secret: str, nonce: str, status: int, body: bytes) -> str:
    """The receipt header's value for one answer (64 hex digits)."""
    return hmac.new(b64u_decode(secret), _message(nonce, status, body), hashlib.sha256).hexdigest()


def receipt_valid(secret: str, nonce: str, status: int, body: bytes, given: str | None) -> bool:
    """True only for the receipt of exactly this nonce, status and body (constant time)."""
    if not given:
        return False
    try:
        expected = sign_receipt(secret, nonce, status, body)
    except ValueError:  # a "secret" that is not base64url (a fake server's answer)
        return False
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())
