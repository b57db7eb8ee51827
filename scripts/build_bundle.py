"""Build the one-folder kiosk bundle with PyInstaller and print its size and build time.

    python scripts/build_bundle.py            # -> dist/checkin-kiosk/kiosk
    python scripts/build_bundle.py --no-venv  # the project is already pip-installed here

The project is pip-installed (``--no-deps``) into a build venv that sees the system's site
packages, so its dist-info exists for ``copy_metadata('checkin-kiosk')`` and the bundle's
``kiosk --version`` prints the package version; nothing is installed into the system
Python. On Linux numpy is rebuilt there without BLAS (see :func:`numpy_without_blas`;
``--stock-numpy`` skips it). Missing ``.qm`` translations are built from the ``.ts``
sources first. The last line printed is JSON (``bundle_mb``, ``files``, ``build_s``,
``dist``), also written to ``dist/build-info.json`` for the smoke test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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


NUMPY_NO_BLAS = ["-Csetup-args=-Dblas=none", "-Csetup-args=-Dlapack=none",
                 "-Csetup-args=-Dallow-noblas=true"]


def numpy_without_blas(py: str, build_dir: Path) -> str:
    """Install into the build venv a numpy built without BLAS/LAPACK; its version.

    The PyPI wheel carries OpenBLAS (25 MB, every CPU target) and libgfortran for linear
    algebra the kiosk never does; numpy's own fallback loops do the slicing and arithmetic
    the scan path uses. Built once from the sdist of the numpy version installed here
    (needs a C compiler and the Python headers, ~4-7 min on 2 cores) and kept in
    ``build/wheels``, so later builds reuse it.
    """
    version = subprocess.run([py, "-c", "import numpy; print(numpy.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    wheels = build_dir / "wheels"
    built = sorted(wheels.glob(f"numpy-{version}-*.whl"))
    if not built:
        print(f"building numpy {version} without BLAS (once; cached in {wheels})", flush=True)
        run([py, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "--no-deps",
             "--no-cache-dir", "--no-binary", "numpy", "-w", str(wheels), f"numpy=={version}",
             *NUMPY_NO_BLAS])
        built = sorted(wheels.glob(f"numpy-{version}-*.whl"))
    run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
         "--force-reinstall", str(built[-1])])
    return version


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


def strip_debug_info(bundle: Path) -> int:
    """Remove DWARF debug sections from bundled ELF files that carry them; bytes saved.

    Only ``--strip-debug`` and only files that have ``.debug_info`` (the pyenv-built
    libpython alone drops from 23 to 6 MB). Libraries under ``*.libs/`` were rewritten by
    auditwheel/patchelf and are left alone: strip can break those.
    """
    strip, readelf = shutil.which("strip"), shutil.which("readelf")
    if not sys.platform.startswith("linux") or not strip or not readelf:
        return 0
    saved = 0
    for path in bundle.rglob("*"):
        if (not path.is_file() or path.is_symlink()
                or any(part.endswith(".libs") for part in path.parts)):
            continue
        with path.open("rb") as f:
            if f.read(4) != b"\x7fELF":
                continue
        sections = subprocess.run([readelf, "-S", "-W", str(path)], capture_output=True,
                                  text=True).stdout
        if ".debug_info" not in sections:
            continue
        before = path.stat().st_size
        if subprocess.run([strip, "--strip-debug", "-p", str(path)]).returncode == 0:
            saved += before - path.stat().st_size
    return saved


def make_archive(bundle: Path) -> Path:
    """dist/checkin-kiosk-<os>-<arch>.tar.gz (or .zip on Windows): what is copied to a terminal."""
    base = bundle.parent / f"{NAME}-{sys.platform}-{platform.machine().lower()}"
    fmt = "zip" if os.name == "nt" else "gztar"
    return Path(shutil.make_archive(str(base), fmt, bundle.parent, bundle.name))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-venv", action="store_true",
                    help="use this python as is (checkin-kiosk must be pip-installed in it)")
    ap.add_argument("--dist", default=str(ROOT / "dist"), help="output folder (default dist/)")
    ap.add_argument("--work", default=str(ROOT / "build"), help="build folder (default build/)")
    ap.add_argument("--no-strip", action="store_true", help="keep debug info in binaries")
    ap.add_argument("--stock-numpy", action="store_true",
                    help="bundle numpy's PyPI wheel with its OpenBLAS (+28 MB) instead of "
                         "building numpy without BLAS (Linux, venv builds only)")
    ap.add_argument("--archive", action="store_true",
                    help="also pack the bundle into one .tar.gz/.zip and print its size")
    args = ap.parse_args(argv)

    dist, work = Path(args.dist).resolve(), Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    py = build_python(work, not args.no_venv)
    if subprocess.run([py, "-c", "import PyInstaller"], capture_output=True).returncode != 0:
        print("PyInstaller is not installed: pip install -e '.[build]' (or pip install "
              "pyinstaller), then run this again.", file=sys.stderr)
        return 2
    numpy_note = "stock"
    if not args.stock_numpy and not args.no_venv and sys.platform.startswith("linux"):
        numpy_note = f"{numpy_without_blas(py, work)} without BLAS"
    build_translations()
    run([py, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(work / "pyinstaller"), "build.spec"])
    bundle = dist / NAME
    saved = 0 if args.no_strip else strip_debug_info(bundle)
    build_s = time.monotonic() - t0

    size, files = folder_size(bundle)
    exe = bundle / ("kiosk.exe" if os.name == "nt" else "kiosk")
    info: dict[str, object] = {
        "bundle_mb": round(size / 1e6, 1), "files": files, "build_s": round(build_s, 1),
        "stripped_mb": round(saved / 1e6, 1), "numpy": numpy_note, "dist": str(bundle),
        "exe": str(exe)}
    if args.archive:
        archive = make_archive(bundle)
        info["archive"] = str(archive)
        info["archive_mb"] = round(archive.stat().st_size / 1e6, 1)
    (dist / "build-info.json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"bundle: {bundle} - {size / 1e6:.1f} MB in {files} files; built in {build_s:.0f} s")
    print(json.dumps(info))
    return 0 if exe.exists() else 1


if __name__ == "__main__":
    sys.exit(main())
