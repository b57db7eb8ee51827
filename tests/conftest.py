"""Suite-wide settings: Qt offscreen, no stray threads, paths to shared data, badge fixtures."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.core.protocol import BadgeSigner
from tests.helpers.badges import make_token, verifier_for

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KIOSK_LOG_TO_STDERR", "0")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
QR_PHOTOS = SHARED / "data" / "qr-photos"


@pytest.fixture
def qr_photos() -> Path:
    """The shared real camera photos; skips cleanly in a clone outside this workplace."""
    if not QR_PHOTOS.is_dir():
        pytest.skip("../shared/data/qr-photos not present")
    return QR_PHOTOS


@pytest.fixture(autouse=True)
def no_leaked_threads():
    """Fail a test that leaves a non-daemon thread running (napari/qutebrowser practice)."""
    before = set(threading.enumerate())
    yield
    leaked = [
        t for t in threading.enumerate()
        if t not in before and t.is_alive() and not t.daemon
    ]
    for t in leaked:
        t.join(timeout=5)
    still = [t.name for t in leaked if t.is_alive()]
    assert not still, f"test left threads running: {still}"


@pytest.fixture(scope="session")
def signer():
    """A fixed test key (Ed25519 signatures are deterministic), so every run renders the
    same QR images: a robustness failure is reproducible, never a matter of luck."""
    return BadgeSigner("k1", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))


@pytest.fixture(scope="session")
def token(signer) -> str:
    """A new badge's token (KB2)."""
    return make_token(signer)


@pytest.fixture(scope="session")
def kb1_token(signer) -> str:
    """The same badge as printed before KB2 (a bigger, byte-mode QR: harder to read)."""
    return make_token(signer, version="KB1")


@pytest.fixture(scope="session")
def verifier(signer):
    return verifier_for(signer)
