"""The PyInstaller runtime hook for pyzbar, run for real outside a bundle."""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HOOK = REPO / "packaging" / "pyinstaller" / "rthook_pyzbar.py"

CHILD = r"""
import runpy, sys
sys._MEIPASS = sys.argv[1]
runpy.run_path(sys.argv[2])
import ctypes.util
print(ctypes.util.find_library("zbar"))
print(ctypes.util.find_library("c") is not None)
if sys.argv[3] == "decode":
    import qrcode
    from pyzbar import pyzbar, wrapper
    image = qrcode.make("hello from the bundle").get_image().convert("L")
    print([r.data.decode() for r in pyzbar.decode(image)])
    print(wrapper.LIBZBAR._name)
"""


def _system_libzbar() -> Path | None:
    name = ctypes.util.find_library("zbar")
    if not name:
        return None
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.strip().startswith(name + " ") and "=>" in line:
            return Path(line.split("=>", 1)[1].strip())
    return None


def _run(meipass: Path, mode: str) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(meipass), str(HOOK), mode],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF libzbar lookup")
def test_pyzbar_loads_the_bundled_libzbar(tmp_path: Path) -> None:
    system = _system_libzbar()
    if system is None:
        pytest.skip("libzbar0 is not installed")
    bundled = tmp_path / "libzbar.so.0"
    shutil.copy2(system, bundled)
    lines = _run(tmp_path, "decode")
    assert lines[0] == str(bundled)  # the lookup answers with the bundle's copy
    assert lines[1] == "True"  # other libraries still come from the system search
    assert lines[2] == "['hello from the bundle']"
    assert lines[3] == str(bundled)  # and pyzbar really loaded that file


def test_without_a_bundled_copy_the_system_search_answers(tmp_path: Path) -> None:
    lines = _run(tmp_path, "lookup")
    assert lines[0] == str(ctypes.util.find_library("zbar"))
