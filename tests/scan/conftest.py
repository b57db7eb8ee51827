"""Fixtures for the scan tests: badge tokens, a verifier, photo reading helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.core.protocol import BadgeSigner
from tests.helpers.badges import make_token, verifier_for


@pytest.fixture(scope="session")
def signer():
    """A fixed test key (Ed25519 signatures are deterministic), so every run renders the
    same QR images: a robustness failure is reproducible, never a matter of luck."""
    return BadgeSigner("k1", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))


@pytest.fixture(scope="session")
def token(signer) -> str:
    return make_token(signer)


@pytest.fixture(scope="session")
def verifier(signer):
    return verifier_for(signer)


def photo_cases(folder: Path) -> list[tuple[Path, str]]:
    """(image, expected text) for the shared photos (``N.png`` + ``N.txt``)."""
    return [
        (png, png.with_suffix(".txt").read_text(encoding="utf-8"))
        for png in sorted(folder.glob("*/*.png"))
    ]


def same_text(decoded: str, expected: str) -> bool:
    """ZXing's expected texts use \\n where the codes hold \\r\\n."""
    return decoded.replace("\r\n", "\n") == expected


@pytest.fixture
def workers(qtbot):
    """Scan workers a test starts (append them here): stopped and joined afterwards."""
    made: list = []
    yield made
    for w in made:
        w.stop()
        assert not w.running
