"""HMAC-SHA256 request signing between an enrolled terminal and the server.

The signed string is ``METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nsha256(body)``; PATH includes the
query string. The timestamp is the terminal's estimate of *server* time (its wall clock plus
its measured offset), so a terminal whose clock is off still authenticates.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from .badge import b64u_decode, b64u_encode
from .reasons import ReasonError

H_TERMINAL = "X-Kiosk-Terminal"
H_TIMESTAMP = "X-Kiosk-Timestamp"
H_NONCE = "X-Kiosk-Nonce"
H_SIGNATURE = "X-Kiosk-Signature"
SIGNED_HEADERS = (H_TERMINAL, H_TIMESTAMP, H_NONCE, H_SIGNATURE)

MAX_SKEW_S = 300
_NONCE_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_SIG_RE = re.compile(r"[0-9a-f]{64}")


class AuthErrorReason(str, enum.Enum):
    MISSING_HEADERS = "missing_headers"
    UNKNOWN_TERMINAL = "unknown_terminal"
    BAD_SIGNATURE = "bad_signature"
    STALE_TIMESTAMP = "stale_timestamp"
    NONCE_REUSED = "nonce_reused"


class AuthError(ReasonError):
    """A request that must be refused with 401; ``reason`` is machine-readable."""

    reason: AuthErrorReason


def new_secret() -> str:
    """A fresh 256-bit terminal secret as text (what the keyring stores)."""
    return b64u_encode(secrets.token_bytes(32))


def valid_nonce(nonce: str) -> bool:
    """True for a nonce of the accepted shape (16-64 base64url characters)."""
    return bool(_NONCE_RE.fullmatch(nonce))


def new_nonce() -> str:
    return b64u_encode(secrets.token_bytes(18))


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical_string(method: str, path: str, timestamp: int, nonce: str, body: bytes) -> bytes:
    return "\n".join((method.upper(), path, str(timestamp), nonce, body_hash(body))).encode()


def _mac(secret: str, message: bytes) -> str:
    return hmac.new(b64u_decode(secret), message, hashlib.sha256).hexdigest()


def sign_request(
    terminal_id: str,
    secret: str,
    method: str,
    path: str,
    body: bytes,
    timestamp: int,
    nonce: str | None = None,
) -> dict[str, str]:
    """Headers that authenticate one request; ``timestamp`` is estimated server time."""
    nonce = nonce or new_nonce()
    sig = _mac(secret, canonical_string(method, path, timestamp, nonce, body))
    return {H_TERMINAL: terminal_id, H_TIMESTAMP: str(timestamp), H_NONCE: nonce, H_SIGNATURE: sig}


class NonceStore:
    """Remembers nonces for twice the allowed skew; thread-safe and bounded in time.

    Once a nonce is older than the skew window its timestamp alone gets it refused, so it
    can be forgotten.
    """

    def __init__(self, ttl_s: int = 2 * MAX_SKEW_S + 60) -> None:
        self._ttl = ttl_s
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._last_prune = 0.0

    def add(self, terminal_id: str, nonce: str, now: float | None = None) -> bool:
        """Record a nonce; False if it was seen already (a replay)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if now - self._last_prune > 30:
                cutoff = now - self._ttl
                self._seen = {k: t for k, t in self._seen.items() if t >= cutoff}
                self._last_prune = now
            key = (terminal_id, nonce)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    terminal_id: str
    timestamp: int
    nonce: str
    signature: str


def read_headers(headers: Mapping[str, str]) -> SignedHeaders:
    """Extract the auth headers (case-insensitive mapping expected) or raise AuthError."""
    try:
        terminal_id = headers[H_TERMINAL]
        ts_text = headers[H_TIMESTAMP]
        nonce = headers[H_NONCE]
        sig = headers[H_SIGNATURE]
    except KeyError:
        raise AuthError(AuthErrorReason.MISSING_HEADERS, "request is not signed") from None
    if not (ts_text.isascii() and ts_text.isdigit() and len(ts_text) <= 12):
        raise AuthError(AuthErrorReason.MISSING_HEADERS, "bad timestamp header")
    if not _NONCE_RE.fullmatch(nonce) or not _SIG_RE.fullmatch(sig):
        raise AuthError(AuthErrorReason.MISSING_HEADERS, "bad nonce or signature header")
    return SignedHeaders(terminal_id, int(ts_text), nonce, sig)


def verify_request(
    signed: SignedHeaders,
    secret: str,
    method: str,
    path: str,
    body: bytes,
    server_now: float,
    nonces: NonceStore,
    max_skew_s: int = MAX_SKEW_S,
) -> None:
    """Check signature, then skew, then nonce; raise :class:`AuthError` on the first failure.

    The nonce is recorded only for a request whose signature and time are good, so a
    forger cannot burn a legitimate terminal's nonces.
    """
    expected = _mac(secret, canonical_string(method, path, signed.timestamp, signed.nonce, body))
    if not hmac.compare_digest(expected, signed.signature):
        raise AuthError(AuthErrorReason.BAD_SIGNATURE, "signature does not match")
    if abs(signed.timestamp - server_now) > max_skew_s:
        raise AuthError(AuthErrorReason.STALE_TIMESTAMP, "timestamp outside the allowed window")
    if not nonces.add(signed.terminal_id, signed.nonce):
        raise AuthError(AuthErrorReason.NONCE_REUSED, "nonce already used")
