"""Build the one-folder kiosk bundle with PyInstaller and print its size and build time.

    python scripts/build_bundle.py            # -> dist/checkin-kiosk/kiosk
    python scripts/build_bundle.py --no-venv  # the project is already pip-installed here

The project is pip-installed (``--no-deps``) into a build venv that sees the system's site
packages, so its dist-info exists for ``copy_metadata('checkin-kiosk')`` and the bundle's
``kiosk --version`` prints the package version; nothing is installed into the system
Python. Missing ``.qm`` translations are built from the ``.ts`` sources first. The last
line printed is JSON (``bundle_mb``, ``files``, ``build_s``, ``dist``), also written to
``dist/build-info.json`` for the smoke test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "checkin-kiosk"


def run(cmd: list[str], **kw: object) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kw)  # type: ignore[call-overload]


def folder_size(path: Path) -> tuple[int, int]:
    """Bytes and file count of a folder, symlinks not followed (what a copy would take)."""
    total = files = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            total += p.stat().st_size
            files += 1
    return total, files


def build_python(build_dir: Path, use_venv: bool) -> str:
    """A python where checkin-kiosk is installed (metadata for the bundle's --version)."""
    if not use_venv:
        return sys.executable
    env_dir = build_dir / "venv"
    py = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not py.exists():
        venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    # pip from the system site packages. First with the installed setuptools (nothing
    # downloaded); if that cannot build a wheel here, pip's isolated build fetches one.
    pip = [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
           "--force-reinstall", "."]
    try:
        run(pip[:-1] + ["--no-build-isolation", "."], stderr=subprocess.DEVNULL)
    except subprocess.CalledProcessError:
        run(pip)
    return str(py)


def build_translations() -> None:
    """Compile any .ts whose .qm is missing or older (the UI loads .qm only)."""
    sources = list((ROOT / "resources").rglob("*.ts"))
    stale = [ts for ts in sources
             if not ts.with_suffix(".qm").exists()
             or ts.with_suffix(".qm").stat().st_mtime < ts.stat().st_mtime]
    if not stale:
        return
    tool = shutil.which("pyside6-lrelease") or shutil.which("lrelease")
    if tool is None:
        print("warning: no lrelease; translations not rebuilt:", *stale, file=sys.stderr)
        return
    for ts in stale:
        run([tool, str(ts), "-qm", str(ts.with_suffix(".qm"))])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-venv", action="store_true",
                    help="use this python as is (checkin-kiosk must be pip-installed in it)")
    ap.add_argument("--dist", default=str(ROOT / "dist"), help="output folder (default dist/)")
    ap.add_argument("--work", default=str(ROOT / "build"), help="build folder (default build/)")
    args = ap.parse_args(argv)

    dist, work = Path(args.dist).resolve(), Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    py = build_python(work, not args.no_venv)
    build_translations()
    run([py, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(work / "pyinstaller"), "build.spec"])
    build_s = time.monotonic() - t0

    bundle = dist / NAME
    size, files = folder_size(bundle)
    exe = bundle / ("kiosk.exe" if os.name == "nt" else "kiosk")
    info = {"bundle_mb": round(size / 1e6, 1), "files": files, "build_s": round(build_s, 1),
            "dist": str(bundle), "exe": str(exe)}
    (dist / "build-info.json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"bundle: {bundle} - {size / 1e6:.1f} MB in {files} files; built in {build_s:.0f} s")
    print(json.dumps(info))
    return 0 if exe.exists() else 1


if __name__ == "__main__":
    sys.exit(main())
