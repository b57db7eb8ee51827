"""Signed badge tokens, verifiable offline: KB2 (new badges) and KB1 (already printed).

KB1 (ASCII, dot-separated, 123 characters for an 8-character employee id)::

    KB1.<kid>.<badge_id>.<employee_id>.<issued_at>.<expires_at>.<signature>

``issued_at`` / ``expires_at`` are Unix seconds in lowercase base36; the signature is
Ed25519 over the exact bytes before the last dot, in unpadded base64url. Signing the raw
text (not a re-serialisation) means any change to any character breaks verification, and
the canonical-encoding checks below close the remaining gaps (base64 padding bits).

KB2 carries the same fields packed (key id and badge id as length-prefixed ASCII, issue and
expiry as big-endian uint32 seconds, then the employee id up to the signature) followed by
the 64-byte Ed25519 signature over ``b"KB2." + packed``, written as ``KB2.`` + unpadded RFC
4648 base32 (153 characters for the server's 9-character badge ids and an 8-character
employee id: QR version 6 at level M). Every character is in the QR alphanumeric set, so its QR is
smaller than KB1's byte-mode one (version 6 instead of 8 at level M) with bigger modules for
the same printed size; base32 is read case-insensitively, so a scanner under Caps Lock or a
lower-casing camera app still reads it. :attr:`Badge.token` is the canonical upper-case text.

Parsing is total: :func:`parse_badge` and :meth:`BadgeVerifier.verify` return a
:class:`Badge` or raise :class:`BadgeError` with a :class:`BadgeErrorReason`; nothing else.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
import struct
from collections.abc import Callable, Iterable, Mapping
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
KB2 = "KB2"
VERSIONS = (VERSION, KB2)
MAX_TOKEN_LEN = 256
_SIG_LEN = 64
_KB2_PREFIX = KB2 + "."
_B32_RE = re.compile(r"[A-Z2-7]*")
_B64U_RE = re.compile(r"[A-Za-z0-9_-]*")

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
    return _strict_decode(text, _B64U_RE, 4, base64.urlsafe_b64decode, b64u_encode, "base64url")


def b32_encode(data: bytes) -> str:
    return base64.b32encode(data).rstrip(b"=").decode("ascii")


def b32_decode(text: str) -> bytes:
    """Strict unpadded upper-case base32: raises ValueError on any non-canonical input."""
    return _strict_decode(text, _B32_RE, 8, base64.b32decode, b32_encode, "base32")


def _strict_decode(
    text: str,
    alphabet: re.Pattern[str],
    block: int,
    decode: Callable[[str], bytes],
    encode: Callable[[bytes], str],
    name: str,
) -> bytes:
    """Decode unpadded ``text``; the re-encoding must give ``text`` back, so non-zero
    padding bits (a second spelling of the same bytes) are refused."""
    if not text.isascii() or not alphabet.fullmatch(text):
        raise ValueError(f"not {name}")
    try:
        raw = decode(text + "=" * (-len(text) % block))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not {name}") from exc
    if encode(raw) != text:
        raise ValueError(f"non-canonical {name}")
    return raw


def looks_like_badge(text: str) -> bool:
    """True when ``text`` starts like a badge token (KB1, or KB2 in either case)."""
    return text.startswith(VERSION + ".") or text[:4].upper() == _KB2_PREFIX


def kb2_badge_id(text: str) -> str | None:
    """The badge id at the start of a KB2 token, or of a fragment of one (for log lines that
    must show badge ids at most); None when there is not enough of it."""
    body = text[len(_KB2_PREFIX):].upper()
    body = body[: len(body) - len(body) % 8]
    try:
        raw = base64.b32decode(body)
    except (binascii.Error, ValueError):
        return None
    if not raw or len(raw) < raw[0] + 2:
        return None
    at = 1 + raw[0]
    badge_id = raw[at + 1 : at + 1 + raw[at]]
    if len(badge_id) != raw[at] or not _BADGE_ID_RE.fullmatch(badge_id.decode("latin-1")):
        return None
    return badge_id.decode("ascii")


def _pack_kb2(kid: str, badge_id: str, employee_id: str, iat: int, exp: int) -> bytes:
    """kid and badge id length-prefixed, the two times, then the employee id up to the end
    (its length is what is left: one byte less, so an 8-character id fits QR version 6-M)."""
    out = bytearray()
    for field in (kid, badge_id):
        raw = field.encode("ascii")
        out += bytes([len(raw)]) + raw
    return bytes(out) + struct.pack(">II", iat, exp) + employee_id.encode("ascii")


def _unpack_kb2(text: str) -> tuple[Badge, bytes, bytes]:
    """A KB2 token -> (unverified badge, signed bytes, signature); ValueError if malformed."""
    canonical = text.upper()
    raw = b32_decode(canonical[len(_KB2_PREFIX):])
    body, signature = raw[:-_SIG_LEN], raw[-_SIG_LEN:]
    fields, at = [], 0
    for _ in range(2):
        if at >= len(body):
            raise ValueError("truncated")
        n = body[at]
        fields.append(body[at + 1 : at + 1 + n].decode("ascii"))
        at += 1 + n
    if len(raw) < _SIG_LEN or len(body) < at + 8 + 1:
        raise ValueError("bad length")
    iat, exp = struct.unpack(">II", body[at : at + 8])
    kid, badge_id = fields
    employee_id = body[at + 8 :].decode("ascii")
    _check_fields(kid, badge_id, employee_id)
    badge = Badge(kid, badge_id, employee_id, _dt(iat), _dt(exp), canonical)
    return badge, _KB2_PREFIX.encode("ascii") + body, signature


def _check_fields(kid: str, badge_id: str, employee_id: str) -> None:
    if not (
        _KID_RE.fullmatch(kid)
        and _BADGE_ID_RE.fullmatch(badge_id)
        and _EMPLOYEE_ID_RE.fullmatch(employee_id)
    ):
        raise ValueError("bad field")


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
        self,
        badge_id: str,
        employee_id: str,
        issued_at: datetime,
        expires_at: datetime,
        version: str = KB2,
    ) -> str:
        """A signed token; ``version="KB1"`` only to reproduce badges printed before KB2."""
        if not _BADGE_ID_RE.fullmatch(badge_id):
            raise ValueError("badge id must be 1-24 letters or digits")
        if not _EMPLOYEE_ID_RE.fullmatch(employee_id):
            raise ValueError("employee id must be 1-32 of A-Z a-z 0-9 _ -")
        if expires_at <= issued_at:
            raise ValueError("expiry must be after issue time")
        if version == KB2:
            iat, exp = _ts(issued_at), _ts(expires_at)
            if not 0 <= iat < exp < 2**32:
                raise ValueError("KB2 times must lie between 1970 and 2106")
            packed = _pack_kb2(self.kid, badge_id, employee_id, iat, exp)
            sig = self._key.sign(_KB2_PREFIX.encode("ascii") + packed)
            return _KB2_PREFIX + b32_encode(packed + sig)
        if version != VERSION:
            raise ValueError(f"unknown badge version {version!r}")
        body = ".".join(
            (VERSION, self.kid, badge_id, employee_id, _b36(_ts(issued_at)), _b36(_ts(expires_at)))
        )
        return body + "." + b64u_encode(self._key.sign(body.encode("ascii")))


def parse_badge(text: object) -> Badge:
    """Split a token into fields without checking the signature (``verified=False``).

    Accepts any object so that whatever a decoder returned can be passed straight in.
    """
    return _split(text)[0]


def _split(text: object) -> tuple[Badge, bytes, bytes]:
    """(unverified badge, the signed bytes, the signature) or :class:`BadgeError`."""
    if not isinstance(text, str):
        raise BadgeError(BadgeErrorReason.MALFORMED, "not text")
    if len(text) > MAX_TOKEN_LEN or not text.isascii():
        raise BadgeError(BadgeErrorReason.MALFORMED, "not a badge")
    if text[:4].upper() == _KB2_PREFIX:
        try:
            return _unpack_kb2(text)
        except (ValueError, UnicodeDecodeError, OverflowError, OSError) as exc:
            raise BadgeError(BadgeErrorReason.MALFORMED, str(exc)) from None
    parts = text.split(".")
    if len(parts) != 7 or parts[0] != VERSION:
        raise BadgeError(BadgeErrorReason.MALFORMED, "not a badge")
    _, kid, badge_id, employee_id, iat, exp, sig = parts
    try:
        _check_fields(kid, badge_id, employee_id)
        issued = _dt(_from_b36(iat))
        expires = _dt(_from_b36(exp))
        signature = b64u_decode(sig)
        if len(signature) != _SIG_LEN:
            raise ValueError("signature length")
    except (ValueError, OverflowError, OSError) as exc:
        raise BadgeError(BadgeErrorReason.MALFORMED, str(exc)) from None
    body = text.rpartition(".")[0]
    return Badge(kid, badge_id, employee_id, issued, expires, text), body.encode("ascii"), signature


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
        badge, signed, signature = _split(text)
        key = self._keys.get(badge.kid)
        if key is None:
            raise BadgeError(BadgeErrorReason.UNKNOWN_KEY, f"key {badge.kid!r} unknown")
        try:
            key.verify(signature, signed)
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
