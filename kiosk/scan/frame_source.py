"""What every frame source is: :class:`FrameSource` and :class:`SourceError`.

Its own module so the camera source (:mod:`kiosk.scan.camera_source`) and the file sources
(:mod:`kiosk.scan.sources`) share it without importing each other.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

log = logging.getLogger("kiosk.scan.sources")  # one logger name for every source's states

STATES = ("ok", "connecting", "disconnected", "error")


class SourceError(Exception):
    """A frame source that cannot be opened; ``str()`` is a sentence for the user."""


class FrameSource:
    """The interface every source implements (and the worker relies on).

    Attributes:
        state: one of "ok", "connecting", "disconnected", "error".
        state_detail: one sentence saying what the state means right now.
    """

    state: str = "ok"
    state_detail: str = ""

    def read(self) -> np.ndarray | None:
        """The next BGR (or gray) frame, or None when there is no frame now."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the device or file; reading after close returns None."""

    def preview_image(self) -> Any:
        """A colour QImage of the last frame read, for a source whose frames are gray
        (a camera that delivers only the luma plane); None: preview the frame itself."""
        return None

    def _set_state(self, state: str, detail: str) -> None:
        if state != self.state or detail != self.state_detail:
            log.info("source %s: %s", state, detail)
        self.state = state
        self.state_detail = detail
