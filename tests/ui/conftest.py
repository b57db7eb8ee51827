"""UI tests: the offscreen platform warns that it cannot propagate size hints whenever a
window is shown; that one message is the platform's, not ours, so it alone is ignored."""

from __future__ import annotations

import pytest

OFFSCREEN_NOISE = r"This plugin does not support propagateSizeHints\(\)"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/ui/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))
