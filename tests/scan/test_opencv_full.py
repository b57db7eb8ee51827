"""The product card's ``opencv-python`` (the full wheel, with its own Qt 5) beside the kiosk.

That wheel points ``QT_QPA_PLATFORM_PLUGIN_PATH``/``QT_QPA_FONTDIR`` at its bundled Qt 5 when
imported. The kiosk imports cv2 only through ``kiosk.scan.opencv.load_cv2``, which puts
them back, and drops such paths inherited from a parent before its QApplication. The last
test installs the real wheel (``build/wheels``, fetched by ``.ci/run``) into its own folder
and runs the demo with it on a real X server (Xvfb) when there is one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.scan.frame_source import SourceError
from kiosk.scan.opencv import (
    VIDEO_NEEDS_OPENCV,
    load_cv2,
    points_into_opencv,
    undo_opencv_qt_paths,
)

REPO = Path(__file__).resolve().parents[2]
WHEELS = Path(os.environ.get("KIOSK_TEST_WHEELS", REPO / "build" / "wheels"))

# What cv2/config-3.py of the full wheel does on import, in a stand-in package.
FAKE_CV2 = """import os
here = os.path.dirname(os.path.abspath(__file__))
os.environ["QT_QPA_PLATFORM_PLUGIN_PATH"] = os.path.join(here, "qt", "plugins")
os.environ["QT_QPA_FONTDIR"] = os.path.join(here, "qt", "fonts")
"""


def _fake_cv2(root: Path) -> Path:
    (root / "cv2").mkdir(parents=True)
    (root / "cv2" / "__init__.py").write_text(FAKE_CV2)
    return root


def _run(code: str, path: Path, **env: str) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, PYTHONPATH=f"{path}{os.pathsep}{REPO}", **env)
    for name in ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR"):
        full_env.pop(name, None)
    return subprocess.run([sys.executable, "-c", code], cwd=path, env=full_env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_load_cv2_leaves_qt_variables_as_they_were(tmp_path):
    root = _fake_cv2(tmp_path)
    code = (
        "import os\n"
        "os.environ['QT_QPA_FONTDIR'] = '/usr/share/fonts/mine'\n"
        "from kiosk.scan.opencv import load_cv2\n"
        "cv2 = load_cv2('needs OpenCV')\n"
        "print(cv2.__file__)\n"
        "print(os.environ.get('QT_QPA_PLATFORM_PLUGIN_PATH'), os.environ.get('QT_QPA_FONTDIR'))\n"
    )
    out = _run(code, root)
    assert out.returncode == 0, out.stderr
    where, variables = out.stdout.splitlines()
    assert where.startswith(str(root))  # the stand-in, not an installed OpenCV
    assert variables == "None /usr/share/fonts/mine"


def test_undo_drops_only_paths_into_opencv():
    env = {"QT_QPA_PLATFORM_PLUGIN_PATH": "/venv/site-packages/cv2/qt/plugins",
           "QT_QPA_FONTDIR": "/usr/share/fonts", "PATH": "/usr/bin"}
    assert undo_opencv_qt_paths(env) == ["QT_QPA_PLATFORM_PLUGIN_PATH"]
    assert env == {"QT_QPA_FONTDIR": "/usr/share/fonts", "PATH": "/usr/bin"}
    assert undo_opencv_qt_paths(env) == []
    assert points_into_opencv("C:\\py\\Lib\\site-packages\\cv2\\qt\\fonts") is (os.name == "nt")
    assert not points_into_opencv("/opt/cv2-tools/qt/plugins")


def test_load_cv2_without_opencv_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)
    with pytest.raises(SourceError, match=r"pip install 'checkin-kiosk\[video\]'"):
        load_cv2(VIDEO_NEEDS_OPENCV)


def test_every_cv2_import_goes_through_load_cv2():
    """Any other ``import cv2`` in the kiosk would let the full wheel re-point Qt."""
    bare = re.compile(r"^\s*(import cv2\b|from cv2\b)|import_module\(.cv2.\)", re.MULTILINE)
    offenders = [str(p.relative_to(REPO)) for p in (REPO / "kiosk").rglob("*.py")
                 if p.name != "opencv.py" and bare.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def _full_wheel() -> Path:
    wheels = sorted(WHEELS.glob("opencv_python-*.whl"))
    if not wheels:
        pytest.skip(f"no opencv_python wheel in {WHEELS} (.ci/run downloads one: "
                    "pip download --no-deps opencv-python -d build/wheels)")
    return wheels[-1]


def _xvfb(tmp_path: Path) -> tuple[subprocess.Popen | None, str | None]:
    """A private Xvfb on a free display number (``-displayfd``), or (None, None)."""
    if not shutil.which("Xvfb"):
        return None, None
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24",
                             "-nolisten", "tcp"], pass_fds=(write_fd,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    deadline = time.monotonic() + 10
    number = b""
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        while time.monotonic() < deadline and not number.endswith(b"\n"):
            chunk = pipe.read(16)
            if not chunk:
                break
            number += chunk
    if not number.strip().isdigit():
        proc.kill()
        proc.wait(timeout=10)
        return None, None
    return proc, ":" + number.decode().strip()


@pytest.mark.slow
def test_kiosk_runs_with_the_full_opencv_wheel(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--disable-pip-version-check", "--target", str(target), str(_full_wheel())],
                   check=True, capture_output=True, timeout=300)
    # 1. what the wheel itself does on import (why load_cv2 puts the variables back)
    raw = _run("import os, cv2\nprint(os.environ.get('QT_QPA_PLATFORM_PLUGIN_PATH'))", target)
    assert raw.returncode == 0, raw.stderr
    assert points_into_opencv(raw.stdout.strip()), raw.stdout

    # 2. the demo with that cv2 loaded before Qt, and with the path a parent that imported
    #    cv2 would hand down; on a real X server (xcb) when Xvfb is there
    xvfb, display = _xvfb(tmp_path)
    env = {"QT_QPA_PLATFORM": "xcb", "DISPLAY": display} if display else \
        {"QT_QPA_PLATFORM": "offscreen"}
    code = (
        "import os, sys\n"
        "from kiosk.scan.opencv import load_cv2\n"
        "cv2 = load_cv2('needs OpenCV')\n"
        f"assert cv2.__file__.startswith({str(target)!r}), cv2.__file__\n"
        "os.environ['QT_QPA_PLATFORM_PLUGIN_PATH'] = os.path.join(\n"
        "    os.path.dirname(cv2.__file__), 'qt', 'plugins')  # as inherited from a parent\n"
        "from kiosk.cli import main\n"
        f"code = main(['--home', {str(tmp_path / 'demo')!r}, 'demo', '--exit-after', '8'])\n"
        "from PySide6.QtGui import QGuiApplication\n"
        "print('platform', QGuiApplication.platformName())\n"
        "print('plugin path', os.environ.get('QT_QPA_PLATFORM_PLUGIN_PATH'))\n"
        "sys.exit(code)\n"
    )
    try:
        out = _run(code, target, KIOSK_HOME=str(tmp_path / "unused"), **env)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=10)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert any(line.startswith("demo:") and line.endswith("OK") for line in lines), out.stdout
    assert f"platform {env['QT_QPA_PLATFORM']}" in lines
    assert "plugin path None" in lines
    assert "Traceback" not in out.stderr
