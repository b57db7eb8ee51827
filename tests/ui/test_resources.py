"""Icons, sounds and translations travel with a plain ``pip install .`` (a wheel), not
only with a checkout or a PyInstaller bundle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _on_disk() -> set[str]:
    from setuptools import find_namespace_packages

    return {p for p in find_namespace_packages(str(REPO), include=["kiosk*", "server_stub*"])
            if "__pycache__" not in p}


def test_pyproject_lists_every_package_and_maps_resources():
    tool = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(tool["packages"])
    assert _on_disk() - listed == set(), "add the new package to pyproject.toml"
    assert tool["package-dir"]["kiosk_resources"] == "resources"
    for sub in ("icons", "sounds", "i18n"):
        assert f"kiosk_resources.{sub}" in listed and (REPO / "resources" / sub).is_dir()


@pytest.mark.slow
def test_a_wheel_carries_the_resources_and_the_installed_app_finds_them(tmp_path):
    source, wheels = tmp_path / "src", tmp_path / "wheels"
    source.mkdir()  # build from a copy: the build leaves build/ and *.egg-info behind
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    for name in ("kiosk", "server_stub", "resources"):
        shutil.copytree(REPO / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "-w",
                            str(wheels), "--no-deps", "-q"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(wheels.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("icons/ok.svg", "sounds/ok.wav", "i18n/kiosk_zh_CN.qm"):
        assert f"kiosk_resources/{name}" in names
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "--no-deps", "--no-index", "-q", str(wheel)],
                   check=True, capture_output=True, cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KIOSK_RESOURCES")}
    out = subprocess.run(
        [str(python), "-c",
         "import kiosk.ui.resources as r; print(r.__file__); "
         "print(r.resource('icons', 'ok.svg')); print(r.resource('i18n', 'kiosk_zh_CN.qm'))"],
        check=True, capture_output=True, text=True, cwd=tmp_path, env=env,
    ).stdout.split()
    module, icon, catalogue = (Path(p) for p in out)
    assert not module.is_relative_to(REPO)  # the installed copy, not the checkout
    assert icon.is_file() and catalogue.is_file()
    assert not icon.is_relative_to(REPO)
