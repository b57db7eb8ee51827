"""House rules that a linter would otherwise enforce: the core never imports Qt."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
QT_FREE = ["kiosk.core", "kiosk.store", "kiosk.sync", "server_stub"]


def _modules(package: str) -> list[str]:
    path = REPO.joinpath(*package.split("."))
    if not path.is_dir():
        return []
    names = [package]
    for info in pkgutil.walk_packages([str(path)], prefix=package + "."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return names


@pytest.mark.parametrize("package", QT_FREE)
def test_package_imports_no_qt(package):
    modules = _modules(package)
    if not modules:
        pytest.skip(f"{package} not in this checkout")
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'PyQt')))\n"
        "print(','.join(bad))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"{package} pulled in Qt: {out.stdout.strip()}"


def test_kiosk_help_is_light():
    """`kiosk --help` must not import Qt or OpenCV: it is what a monitoring script runs."""
    code = (
        "import sys\n"
        "from kiosk.cli import build_parser\n"
        "build_parser()\n"
        "print(','.join(sorted(m for m in ('PySide6', 'cv2') if m in sys.modules)))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
