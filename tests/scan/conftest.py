"""Fixtures for the scan tests: badge tokens, a verifier, photo reading helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.badges import make_signer, make_token, verifier_for


@pytest.fixture(scope="session")
def signer():
    return make_signer("k1")


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
