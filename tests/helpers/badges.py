"""Real badge keys and tokens for tests (generated, never shared secrets)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.core.protocol import BadgeSigner, BadgeVerifier

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)


def make_signer(kid: str = "k1") -> BadgeSigner:
    return BadgeSigner(kid, Ed25519PrivateKey.generate())


def make_token(
    signer: BadgeSigner,
    employee_id: str = "E0000001",
    badge_id: str = "b00001",
    issued: datetime = T0 - timedelta(days=1),
    days: int = 365,
    version: str = "KB2",
) -> str:
    return signer.issue(badge_id, employee_id, issued, issued + timedelta(days=days), version=version)


def verifier_for(*signers: BadgeSigner, revoked: tuple[str, ...] = ()) -> BadgeVerifier:
    return BadgeVerifier({s.kid: s.public_key for s in signers}, revoked)
