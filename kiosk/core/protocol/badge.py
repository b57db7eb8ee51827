"""Signed badge tokens, verifiable offline.

Format (ASCII, dot-separated, 123 characters for an 8-character employee id)::

    KB1.<kid>.<badge_id>.<employee_id>.<issued_at>.<expires_at>.<signature>

``issued_at`` / ``expires_at`` are Unix seconds in lowercase base36; the signature is
Ed25519 over the exact bytes before the last dot, in unpadded base64url. Signing the raw
text (not a re-serialisation) means any change to any character breaks verification, and
the canonical-encoding checks below close the remaining gaps (base64 padding bits).

Parsing is total: :func:`parse_badge` and :meth:`BadgeVerifier.verify` return a
:class:`Badge` or raise :class:`BadgeError` with a :class:`BadgeErrorReason`; nothing else.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .reasons import ReasonError

VERSION = "KB1"
MAX_TOKEN_LEN = 256
_SIG_LEN = 64

_KID_RE = re.compile(r"[A-Za-z0-9_-]{1,16}")
_BADGE_ID_RE = re.compile(r"[A-Za-z0-9]{1,24}")
_EMPLOYEE_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_B36_RE = re.compile(r"0|[1-9a-z][0-9a-z]{0,12}")


class BadgeErrorReason(str, enum.Enum):
    """Why a scanned text is not an acceptable badge (stable codes for screen and server)."""

    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"


class BadgeError(ReasonError):
    """The one error badge parsing raises; ``reason`` is machine-readable."""

    reason: BadgeErrorReason


@dataclass(frozen=True, slots=True)
class Badge:
    """A parsed badge. ``verified`` is True only after the signature checked out."""

    kid: str
    badge_id: str
    employee_id: str
    issued_at: datetime
    expires_at: datetime
    token: str
    verified: bool = False


def b64u_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    """Strict unpadded base64url: raises ValueError on any non-canonical input."""
    if not text.isascii() or not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc
    if b64u_encode(raw) != text:  # non-zero padding bits: two spellings of one value
        raise ValueError("non-canonical base64url")
    return raw


def _b36(n: int) -> str:
    if n < 0:
        raise ValueError("negative time")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _from_b36(text: str) -> int:
    if not _B36_RE.fullmatch(text):
        raise ValueError("bad base36")
    return int(text, 36)


def _ts(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError("naive datetime")
    return int(dt.timestamp())


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def public_key_to_text(key: Ed25519PublicKey) -> str:
    return b64u_encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def public_key_from_text(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(b64u_decode(text))


class BadgeSigner:
    """Issues badge tokens with one private key (server side)."""

    def __init__(self, kid: str, private_key: Ed25519PrivateKey) -> None:
        if not _KID_RE.fullmatch(kid):
            raise ValueError(f"invalid key id {kid!r}")
        self.kid = kid
        self._key = private_key

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._key.public_key()

    def issue(
        self, badge_id: str, employee_id: str, issued_at: datetime, expires_at: datetime
    ) -> str:
        if not _BADGE_ID_RE.fullmatch(badge_id):
            raise ValueError("badge id must be 1-24 letters or digits")
        if not _EMPLOYEE_ID_RE.fullmatch(employee_id):
            raise ValueError("employee id must be 1-32 of A-Z a-z 0-9 _ -")
        if expires_at <= issued_at:
            raise ValueError("expiry must be after issue time")
        body = ".".join(
            (VERSION, self.kid, badge_id, employee_id, _b36(_ts(issued_at)), _b36(_ts(expires_at)))
        )
        return body + "." + b64u_encode(self._key.sign(body.encode("ascii")))


def parse_badge(text: object) -> Badge:
    """Split a token into fields without checking the signature (``verified=False``).

    Accepts any object so that whatever a decoder returned can be passed straight in.
    """
    if not isinstance(text, str):
        raise BadgeError(BadgeErrorReason.MALFORMED, "not text")
    if len(text) > MAX_TOKEN_LEN or not text.isascii():
        raise BadgeError(BadgeErrorReason.MALFORMED, "not a badge")
    parts = text.split(".")
    if len(parts) != 7 or parts[0] != VERSION:
        raise BadgeError(BadgeErrorReason.MALFORMED, "not a badge")
    _, kid, badge_id, employee_id, iat, exp, sig = parts
    if not (
        _KID_RE.fullmatch(kid)
        and _BADGE_ID_RE.fullmatch(badge_id)
        and _EMPLOYEE_ID_RE.fullmatch(employee_id)
    ):
        raise BadgeError(BadgeErrorReason.MALFORMED, "bad field")
    try:
        issued = _dt(_from_b36(iat))
        expires = _dt(_from_b36(exp))
        if len(b64u_decode(sig)) != _SIG_LEN:
            raise ValueError("signature length")
    except (ValueError, OverflowError, OSError) as exc:
        raise BadgeError(BadgeErrorReason.MALFORMED, str(exc)) from None
    return Badge(kid, badge_id, employee_id, issued, expires, text)


class BadgeVerifier:
    """Verifies tokens against the currently valid public keys and revocation list.

    Several keys may be valid at once so that the server can rotate its badge key
    without reprinting every badge on the same day.
    """

    def __init__(
        self,
        keys: Mapping[str, Ed25519PublicKey | str],
        revoked: Iterable[str] = (),
        leeway_s: int = 120,
    ) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {
            kid: public_key_from_text(k) if isinstance(k, str) else k for kid, k in keys.items()
        }
        self._revoked = frozenset(revoked)
        self._leeway_s = leeway_s

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def is_revoked(self, badge_id: str) -> bool:
        return badge_id in self._revoked

    def verify(self, text: object, now: datetime) -> Badge:
        """Return the verified badge valid at ``now`` or raise :class:`BadgeError`."""
        badge = parse_badge(text)
        key = self._keys.get(badge.kid)
        if key is None:
            raise BadgeError(BadgeErrorReason.UNKNOWN_KEY, f"key {badge.kid!r} unknown")
        body, _, sig = badge.token.rpartition(".")
        try:
            key.verify(b64u_decode(sig), body.encode("ascii"))
        except (InvalidSignature, ValueError):
            raise BadgeError(BadgeErrorReason.BAD_SIGNATURE, "signature does not match") from None
        if badge.badge_id in self._revoked:
            raise BadgeError(BadgeErrorReason.REVOKED, "badge revoked")
        t = _ts(now)
        if t >= _ts(badge.expires_at):
            raise BadgeError(BadgeErrorReason.EXPIRED, "badge expired")
        if t + self._leeway_s < _ts(badge.issued_at):
            raise BadgeError(BadgeErrorReason.NOT_YET_VALID, "badge not valid yet")
        return Badge(
            badge.kid,
            badge.badge_id,
            badge.employee_id,
            badge.issued_at,
            badge.expires_at,
            badge.token,
            verified=True,
        )
