"""Fixtures for the scan tests: photo reading helpers, scan workers (badge fixtures: ../conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


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
