"""The one place that imports OpenCV, an optional extra (``checkin-kiosk[video]``).

Video files, the ``opencv`` camera backend and the OpenCV decoder need it; the kiosk's
frame path does not. Each caller names what needs it, so the user reads one sentence
that says what to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .frame_source import SourceError

INSTALL = "pip install 'checkin-kiosk[video]'"
VIDEO_NEEDS_OPENCV = f"Video files need OpenCV, which is not installed: {INSTALL}."
BACKEND_NEEDS_OPENCV = f"The opencv camera backend needs OpenCV: {INSTALL}"
DECODER_NEEDS_OPENCV = f"The OpenCV decoder needs OpenCV: {INSTALL}."


def load_cv2(missing: str, error: type[Exception] = SourceError) -> ModuleType:
    """The cv2 module, or ``error(missing)`` (the sentence for the user) without it."""
    try:
        return importlib.import_module("cv2")
    except ImportError as exc:
        raise error(missing) from exc
