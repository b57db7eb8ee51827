"""Is there a screen to show the kiosk on? Asked before Qt is, because Qt cannot say no.

Without a display Qt's xcb plugin prints a hint about ``libxcb-cursor0`` (installed or not),
then aborts the process (``Fatal Python error: Aborted``, exit 134) - no exception, nothing
to catch. So ``kiosk run`` and ``kiosk demo`` look first: on Linux with the default
platform, a ``DISPLAY`` or ``WAYLAND_DISPLAY`` must be set, and a local X display's socket
must exist. An explicit ``QT_QPA_PLATFORM`` (offscreen, eglfs, xcb...) is trusted as is.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

X11_SOCKETS = Path("/tmp/.X11-unix")
OFFSCREEN_HINT = "QT_QPA_PLATFORM=offscreen"


def display_problem(environ: Mapping[str, str] | None = None, platform: str | None = None,
                    x11_sockets: Path = X11_SOCKETS) -> str | None:
    """Why Qt would find no screen, or None when it should (or when we cannot tell)."""
    env = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux") or env.get("QT_QPA_PLATFORM"):
        return None
    if env.get("WAYLAND_DISPLAY"):
        return None
    display = env.get("DISPLAY", "")
    if not display:
        return "there is no display to show the kiosk on (DISPLAY and WAYLAND_DISPLAY are unset)"
    local = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", display)
    if local and not (x11_sockets / f"X{local.group(1)}").exists():
        return f"there is no X server on DISPLAY={display}"
    return None
