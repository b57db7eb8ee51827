"""Where the icons, sounds and translations live (the repo's top-level ``resources/``).

In order: ``KIOSK_RESOURCES`` (an override); the PyInstaller bundle folder
(``sys._MEIPASS``) when frozen; ``resources/`` next to the ``kiosk`` package (a checkout or
an editable install); the installed package ``kiosk_resources`` (a wheel: pyproject maps
``resources/`` to that package name at build time), found through the import system.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from functools import lru_cache
from pathlib import Path

PACKAGE = "kiosk_resources"


@lru_cache(maxsize=1)
def _installed() -> Path | None:
    # resources/ has no __init__.py, so kiosk_resources is a namespace package: its
    # folder comes from the import system's spec (importlib.resources.files() would give a
    # MultiplexedPath, not a folder).
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        if Path(location).is_dir():
            return Path(location)
    return None


def resources_dir() -> Path:
    override = os.environ.get("KIOSK_RESOURCES")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    checkout = Path(__file__).resolve().parent.parent.parent / "resources"
    if checkout.is_dir():
        return checkout
    return _installed() or checkout


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
