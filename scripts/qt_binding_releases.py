"""Which PySide6 releases pass tests/test_qt_binding.py, so the cap can be lifted when fixed.

pyproject.toml caps PySide6 below the first release whose ``Signal.emit()`` drains True's
refcount. This installs each release at or above ``--since`` (default: the last minor
below the cap) into its own venv under ``build/qt-releases/`` with uv, runs the binding test
there and prints one line per release; the LAST line is JSON::

    python scripts/qt_binding_releases.py                 # the cap's neighbourhood and newer
    python scripts/qt_binding_releases.py 6.12.0 6.11.3   # just these

Exit code 0 when the verdict matches the cap (every release below it passes, every one at or
above it fails); 1 when the cap is wrong or can be lifted (the JSON says which).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
UV = [sys.executable, "-m", "uv"]  # the [test] extra installs it
TEST = "tests/test_qt_binding.py"
PACKAGE = "PySide6-Essentials"


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version))


def current_cap(pyproject: Path = REPO / "pyproject.toml") -> str | None:
    """The ``<X.Y`` bound on PySide6-Essentials in pyproject.toml, or None."""
    deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    for dep in deps:
        if dep.replace(" ", "").lower().startswith(PACKAGE.lower()):
            m = re.search(r"<\s*([\d.]+)", dep)
            return m.group(1) if m else None
    return None


def released_versions() -> list[str]:
    """Final releases the index serves, newest first (one ``pip index versions`` look-up)."""
    out = subprocess.run([sys.executable, "-m", "pip", "index", "versions", PACKAGE],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("Available versions:"))
    versions = [v.strip() for v in line.split(":", 1)[1].split(",")]
    return sorted((v for v in versions if re.fullmatch(r"[\d.]+", v)), key=_key, reverse=True)


def run_release(version: str, root: Path) -> tuple[bool, str]:
    """(passed, last line of pytest's output) for one release in its own venv."""
    venv = root / version
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([*UV, "venv", "-q", "-p", sys.executable, str(venv)], check=True,
                       timeout=300)
    install = subprocess.run(
        [*UV, "pip", "install", "-q", "--python", str(python), f"{PACKAGE}=={version}",
         "pytest>=8.0", "pytest-qt>=4.4"], capture_output=True, text=True, timeout=900, check=False)
    if install.returncode != 0:
        return False, "install failed: " + (install.stderr.strip().splitlines() or ["?"])[-1]
    test = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:randomly", TEST],
                          cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    lines = [x for x in test.stdout.splitlines() if x.strip()]
    return test.returncode == 0, (lines[-1] if lines else test.stderr.strip()[-200:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("versions", nargs="*", help="releases to try (default: from --since)")
    parser.add_argument("--since", help="oldest release to try (default: the minor below the cap)")
    parser.add_argument("--root", type=Path, default=REPO / "build" / "qt-releases")
    args = parser.parse_args(argv)
    cap = current_cap()
    versions = args.versions
    if not versions:
        since = args.since
        if since is None and cap:
            major, minor = _key(cap)[:2]
            since = f"{major}.{minor - 1}"
        versions = [v for v in released_versions() if _key(v) >= _key(since or "0")]
    results = {}
    for version in versions:
        passed, detail = run_release(version, args.root)
        results[version] = passed
        print(f"{PACKAGE} {version:<9} {'PASS' if passed else 'FAIL'}  {detail}", flush=True)
    below = [v for v in results if cap is None or _key(v) < _key(cap)]
    above = [v for v in results if v not in below]
    cap_right = all(results[v] for v in below) and not any(results[v] for v in above)
    newest = max(results, key=_key) if results else None
    print(json.dumps({
        "cap": f"<{cap}" if cap else None,
        "passing": sorted((v for v in results if results[v]), key=_key),
        "failing": sorted((v for v in results if not results[v]), key=_key),
        "newest": newest,
        "cap_still_needed": bool(newest and not results[newest] and cap_right),
        "cap_right": cap_right,
    }))
    return 0 if cap_right else 1


if __name__ == "__main__":
    sys.exit(main())
