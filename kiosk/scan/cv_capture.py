"""The optional OpenCV camera backend: ``cv2.VideoCapture`` behind the ``Capture`` protocol.

OpenCV is an optional extra (``pip install 'checkin-kiosk[video]'``) since the packaged
kiosk captures with QtMultimedia; cv2 is imported only when this backend is opened, so a
kiosk without it never pays for it.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from .opencv import BACKEND_NEEDS_OPENCV, load_cv2

OPENCV_MISSING = BACKEND_NEEDS_OPENCV


def _quiet_opencv(cv2: Any) -> None:
    try:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    except (AttributeError, cv2.error):
        pass


class CvCapture:
    """One opened ``cv2.VideoCapture``; every cv2 error becomes "no frame" (None / False).

    Attributes:
        name: always "" (OpenCV does not tell a camera's product name).
    """

    name = ""

    def __init__(self, cap: Any, cv2: Any) -> None:
        self._cap = cap
        self._cv2 = cv2

    def is_open(self) -> bool:
        try:
            return bool(self._cap.isOpened())
        except self._cv2.error:
            return False

    def configure(self, width: int, height: int, fps: int) -> None:
        cv2 = self._cv2
        for prop, value in ((cv2.CAP_PROP_FRAME_WIDTH, width), (cv2.CAP_PROP_FRAME_HEIGHT, height),
                            (cv2.CAP_PROP_FPS, fps),
                            (cv2.CAP_PROP_BUFFERSIZE, 1)):  # newest frame, not a backlog
            try:
                self._cap.set(prop, value)
            except cv2.error:
                pass

    def read(self) -> np.ndarray | None:
        """The next BGR frame; the driver's read timeout (1 s) bounds the wait."""
        try:
            ok, frame = self._cap.read()
        except self._cv2.error:
            return None
        return frame if ok and isinstance(frame, np.ndarray) and frame.size else None

    def release(self) -> None:
        try:
            self._cap.release()
        except self._cv2.error:
            pass


def open_cv_capture(index: int) -> CvCapture:
    """``cv2.VideoCapture(index)`` with open/read timeouts where the backend takes them, so a
    camera that hangs cannot block the worker (and its stop) for long."""
    cv2 = load_cv2(OPENCV_MISSING)
    _quiet_opencv(cv2)  # a retry every few seconds would print OpenCV's "can't open" warning
    timeouts = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 3000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 1000]
    api = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
    try:
        cap = cv2.VideoCapture(index, api, timeouts)
        if not cap.isOpened():
            cap.release()
            cap = cv2.VideoCapture(index)  # a backend that refuses the timeout parameters
    except cv2.error:
        cap = cv2.VideoCapture()  # closed: the camera source reports it and retries
    return CvCapture(cap, cv2)
