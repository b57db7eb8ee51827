"""Run the tests with every direct dependency at its lower bound (``.ci/run`` runs this).

pyproject.toml states lower bounds that a normal install never uses (it takes the newest).
This builds ``build/lowest/`` with ``uv pip install --resolution lowest-direct`` (the
project's own dependencies and every extra but ``build``, at their lower bounds; what those
pull in, at the newest), checks that each one really is at its bound, then runs pytest
there with the arguments given::

    python scripts/test_lowest.py -m "not slow"     # what .ci/run does
    python scripts/test_lowest.py --check-only      # build and compare, no tests

Exit code: pytest's, or 3 when a dependency could not be installed at its bound.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
UV = [sys.executable, "-m", "uv"]  # the [test] extra installs it
SKIP_EXTRAS = {"build"}  # PyInstaller: the bundle is built and tested with the newest


def extras(pyproject: dict) -> list[str]:
    return sorted(set(pyproject["project"].get("optional-dependencies", {})) - SKIP_EXTRAS)


def lower_bounds(pyproject: dict) -> dict[str, Version]:
    """Each direct dependency (base + tested extras) that applies here -> its ``>=`` bound."""
    project = pyproject["project"]
    texts = list(project["dependencies"])
    for extra in extras(pyproject):
        texts += project["optional-dependencies"][extra]
    bounds: dict[str, Version] = {}
    for text in texts:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate():
            continue
        lows = [Version(s.version) for s in req.specifier if s.operator in (">=", "==", "~=")]
        if lows:
            name = canonicalize_name(req.name)
            bounds[name] = max(lows + ([bounds[name]] if name in bounds else []))
    return bounds


def build(venv: Path, pyproject: dict) -> dict[str, Version]:
    """The lowest-direct environment; returns what it holds (name -> version)."""
    subprocess.run([*UV, "venv", "-q", "--seed", "--allow-existing", "-p", sys.executable,
                    str(venv)], check=True, timeout=300)
    # --python, not VIRTUAL_ENV: `python -m uv` would otherwise install into that python
    python = ["--python", str(venv / "bin" / "python")]
    target = f"{REPO}[{','.join(extras(pyproject))}]"
    subprocess.run([*UV, "pip", "install", "-q", *python, "--resolution", "lowest-direct",
                    "-e", target], check=True, timeout=1800)
    listed = subprocess.run([*UV, "pip", "list", *python, "--format", "json"], check=True,
                            capture_output=True, text=True, timeout=120).stdout
    return {canonicalize_name(p["name"]): Version(p["version"]) for p in json.loads(listed)}


def compare(bounds: dict[str, Version], installed: dict[str, Version]) -> list[str]:
    """Print bound vs installed per dependency; returns the ones not at their bound."""
    off = []
    for name in sorted(bounds):
        have = installed.get(name)
        # the lowest release of the bound's series: 4.8 -> 4.8.0.76 is at it, 6.100 -> 6.108 not
        ok = have is not None and have.release[:len(bounds[name].release)] == bounds[name].release
        print(f"  {name:<24} >= {bounds[name]!s:<10} installed {have or 'MISSING'}"
              f"{'' if ok else '   <- not at its lower bound'}")
        if not ok:
            off.append(name)
    return off


def main(argv: list[str]) -> int:
    check_only = "--check-only" in argv
    pytest_args = [a for a in argv if a != "--check-only"]
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    venv = Path(os.environ.get("KIOSK_LOWEST_VENV", REPO / "build" / "lowest"))
    print(f"lowest-direct environment: {venv} (extras: {', '.join(extras(pyproject))})")
    off = compare(lower_bounds(pyproject), build(venv, pyproject))
    if off:
        print(f"not at the lower bound: {', '.join(off)}; fix pyproject.toml", file=sys.stderr)
        return 3
    if check_only:
        return 0
    python = venv / "bin" / "python"
    return subprocess.run([str(python), "-m", "pytest", "-p", "no:randomly", *pytest_args],
                          cwd=REPO, timeout=3600, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
