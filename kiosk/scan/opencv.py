"""Import OpenCV without letting it re-point Qt (the one place the kiosk imports cv2).

The full ``opencv-python`` wheel (not ``-headless``) sets ``QT_QPA_PLATFORM_PLUGIN_PATH``
and ``QT_QPA_FONTDIR`` to its bundled Qt 5 on import (``cv2/config-3.py``). In a PySide6
(Qt 6) process Qt then searches Qt 5 plugins first, and every child process inherits the
paths. The kiosk never opens cv2 windows, so the variables go back to what they were.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from itertools import pairwise
from pathlib import PurePath
from types import ModuleType

CV2_QT_VARIABLES = ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR")


def import_cv2(environ: MutableMapping[str, str] | None = None) -> ModuleType:
    """``import cv2`` leaving Qt's variables as they were; ImportError when it is missing."""
    env = os.environ if environ is None else environ
    before = {name: env.get(name) for name in CV2_QT_VARIABLES}
    try:
        import cv2
    finally:
        for name, value in before.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
    return cv2


def points_into_opencv(value: str) -> bool:
    """True for a path inside an OpenCV package's bundled Qt (``.../cv2/qt/...``)."""
    parts = PurePath(value).parts
    return any(a == "cv2" and b == "qt" for a, b in pairwise(parts))


def undo_opencv_qt_paths(environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Drop Qt variables that point into OpenCV's Qt (cv2 imported by a parent process or a
    plugin before us); call before the QApplication. Returns the names dropped."""
    env = os.environ if environ is None else environ
    dropped = [name for name in CV2_QT_VARIABLES if points_into_opencv(env.get(name, ""))]
    for name in dropped:
        del env[name]
    return dropped
