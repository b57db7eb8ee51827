"""The one place that imports OpenCV, an optional extra (``checkin-kiosk[video]``).

Video files, the ``opencv`` camera backend and the OpenCV decoder need it; the kiosk's
frame path does not. Each caller names what needs it, so the user reads one sentence
that says what to install.

The full ``opencv-python`` wheel (not ``-headless``) sets ``QT_QPA_PLATFORM_PLUGIN_PATH``
and ``QT_QPA_FONTDIR`` to its bundled Qt 5 on import (``cv2/config-3.py``). In a PySide6
(Qt 6) process Qt then searches Qt 5 plugins first, and every child process inherits the
paths. The kiosk never opens cv2 windows, so the variables go back to what they were.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import MutableMapping
from itertools import pairwise
from pathlib import PurePath
from types import ModuleType

from .frame_source import SourceError

INSTALL = "pip install 'checkin-kiosk[video]'"
VIDEO_NEEDS_OPENCV = f"Video files need OpenCV, which is not installed: {INSTALL}."
BACKEND_NEEDS_OPENCV = f"The opencv camera backend needs OpenCV: {INSTALL}"
DECODER_NEEDS_OPENCV = f"The OpenCV decoder needs OpenCV: {INSTALL}."
CV2_QT_VARIABLES = ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR")


def load_cv2(missing: str, error: type[Exception] = SourceError,
             environ: MutableMapping[str, str] | None = None) -> ModuleType:
    """The cv2 module with Qt's variables as they were before, or ``error(missing)`` (the
    sentence for the user) without it."""
    env = os.environ if environ is None else environ
    before = {name: env.get(name) for name in CV2_QT_VARIABLES}
    try:
        return importlib.import_module("cv2")
    except ImportError as exc:
        raise error(missing) from exc
    finally:
        for name, value in before.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value


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
