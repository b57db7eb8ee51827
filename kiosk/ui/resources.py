"""Where the icons, sounds and translations live (the repo's ``resources/`` folder).

Found next to the ``kiosk`` package in a checkout or an editable install, or in the
PyInstaller bundle folder (``sys._MEIPASS``) when frozen; ``KIOSK_RESOURCES`` overrides.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    override = os.environ.get("KIOSK_RESOURCES")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent.parent / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
