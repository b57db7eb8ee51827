"""PyInstaller runtime hook: let pyzbar find the libzbar copied into the bundle.

pyzbar locates libzbar with ``ctypes.util.find_library('zbar')``, which searches the
system's library folders (ldconfig), never the bundle. This hook runs before the app and
makes that one lookup answer with the bundled copy, falling back to the system search when
the bundle has none (so a system libzbar still works).
"""

import ctypes.util
import glob
import os
import sys

_BUNDLE = getattr(sys, "_MEIPASS", os.path.dirname(os.path.abspath(sys.executable)))
_PATTERNS = ("libzbar.so*", "libzbar*.dylib", "libzbar-64.dll", "libzbar-32.dll")
_system_find_library = ctypes.util.find_library


def _find_library(name):
    if name == "zbar":
        for pattern in _PATTERNS:
            hits = sorted(glob.glob(os.path.join(_BUNDLE, pattern)))
            if hits:
                return hits[0]
    return _system_find_library(name)


ctypes.util.find_library = _find_library
