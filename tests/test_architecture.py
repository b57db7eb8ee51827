"""House rules that a linter would otherwise enforce: the core never imports Qt."""

from __future__ import annotations

import ast
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


# ---------------------------------------------------------------- no OpenCV at run time

# OpenCV was 152 MB of the packaged kiosk (issue #6): its runtime reads frames, draws the
# synthetic camera and decodes with numpy, Pillow and zxing-cpp; only video files need it.
CV2_FREE = [
    "kiosk.app",
    "kiosk.scan.decoder",
    "kiosk.scan.imageops",
    "kiosk.scan.sources",
    "kiosk.scan.camera_source",
    "kiosk.scan.v4l2_capture",
    "kiosk.scan.qt_capture",
    "kiosk.scan.synthetic",
    "kiosk.scan.worker",
    *_modules("kiosk.commands"),
]
BLOCK_CV2 = "import sys\nsys.modules['cv2'] = None  # `import cv2` now raises ImportError\n"


def _run(code: str, timeout: float = 120, **env_extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen", **env_extra)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_runtime_modules_do_not_import_opencv():
    code = (
        "import importlib, sys\n"
        f"for m in {CV2_FREE!r}:\n"
        "    importlib.import_module(m)\n"
        "print('cv2' in sys.modules)\n"
    )
    out = _run(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False", "a kiosk runtime module imported cv2"


def test_runtime_modules_import_with_opencv_missing():
    code = BLOCK_CV2 + (
        "import importlib\n"
        f"for m in {CV2_FREE!r}:\n"
        "    importlib.import_module(m)\n"
        "print('ok')\n"
    )
    out = _run(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_demo_frame_path_works_with_opencv_blocked(tmp_path):
    """The synthetic camera, a Pillow-read PNG and a folder source, decoded by the real
    pipeline, in a process where `import cv2` fails; a video file gets a clear sentence."""
    png = tmp_path / "badge.png"
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(200))
    code = BLOCK_CV2 + (
        "from pathlib import Path\n"
        "from PIL import Image\n"
        "from kiosk.scan.decoder import ScanPipeline\n"
        "from kiosk.scan.sources import SourceError, open_source, read_image\n"
        "from kiosk.scan.synthetic import Perturb, SyntheticSource, qr_image, render_frame\n"
        "pipe = ScanPipeline()\n"
        "src = SyntheticSource(['synthetic badge'], fps=0, hold_s=1, gap_s=0.1, perturb=Perturb(tilt=0.2, noise=8))\n"
        "seen = set()\n"
        "for _ in range(6):\n"
        "    frame = src.read()\n"
        "    seen.update(d.text for d in pipe.decode(frame))\n"
        "print('synthetic', sorted(seen))\n"
        "long = 'KB1.k1.b00042.E0000042.' + 'x' * 100  # badge-sized: too soft for pass 1\n"
        "soft = render_frame(long, perturb=Perturb(blur=2.2, scale=0.45))\n"
        "print('blurred', [d.text == long for d in pipe.decode(soft)], pipe.last_pass, pipe.last_step)\n"
        f"png = Path({str(png)!r})\n"
        "Image.fromarray(qr_image('from a png')).save(png)\n"
        "print('png', [d.text for d in pipe.decode(read_image(png))])\n"
        "print('folder', [d.text for d in pipe.decode(open_source(str(png.parent), fps=0).read())])\n"
        "try:\n"
        f"    open_source({str(video)!r})\n"
        "except SourceError as exc:\n"
        "    print('video', exc)\n"
        "import sys\n"
        "print('cv2 loaded', sys.modules.get('cv2') is not None)\n"
    )
    out = _run(code)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "synthetic ['synthetic badge']" in lines
    assert "blurred [True] 2 sharpened" in lines  # pass 2's numpy/Pillow step read it
    assert "png ['from a png']" in lines
    assert "folder ['from a png']" in lines
    assert any(line.startswith("video Video files need OpenCV") and "checkin-kiosk[video]" in line for line in lines), lines
    assert "cv2 loaded False" in lines


@pytest.mark.slow
def test_demo_end_to_end_with_opencv_blocked(tmp_path):
    """`kiosk demo` records and syncs a punch with `import cv2` failing: what the packaged
    kiosk without OpenCV does."""
    code = BLOCK_CV2 + (
        "from kiosk.cli import main\n"
        f"code = main(['--home', {str(tmp_path / 'demo')!r}, 'demo', '--exit-after', '10'])\n"
        "print('cv2 loaded', sys.modules.get('cv2') is not None)\n"
        "sys.exit(code)\n"
    )
    out = _run(code, timeout=120, KIOSK_HOME=str(tmp_path / "unused"))
    assert out.returncode == 0, out.stdout + out.stderr
    summary = [line for line in out.stdout.splitlines() if line.startswith("demo:")]
    assert len(summary) == 1 and summary[0].endswith("OK"), out.stdout
    assert "cv2 loaded False" in out.stdout.splitlines()
    assert "Traceback" not in out.stderr


# ---------------------------------------------------- no function-local imports (issue #10)

# Dependencies that may be missing where the kiosk runs: imported where they are needed,
# so the rest works without them. Anything else is imported at the top of its module (an
# import inside a function hid a circle in kiosk/scan once).
OPTIONAL = ("cv2", "linuxpy", "pyzbar", "PySide6.QtMultimedia")
GUARDS = {"ImportError", "ModuleNotFoundError", "Exception"}


def _catches_import_error(node: ast.Try) -> bool:
    for handler in node.handlers:
        types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if any(isinstance(t, ast.Name) and t.id in GUARDS for t in types):
            return True
    return False


def function_local_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import inside a function that is neither of an optional
    dependency nor guarded by ``except ImportError``."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, in_function: bool, guarded: bool) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and in_function and not guarded:
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else ["." * node.level + (node.module or "")])
            for name in names:
                if not name.startswith(OPTIONAL):
                    found.append((node.lineno, name))
        inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        if isinstance(node, ast.Try) and _catches_import_error(node):
            for child in node.body:
                visit(child, inside, True)
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                visit(child, inside, guarded)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, inside, guarded)

    visit(ast.parse(source), False, False)
    return found


def test_the_checker_sees_a_function_local_import():
    """Not vacuous: the checker flags what the rule forbids and lets the exceptions by."""
    code = (
        "import json\n"
        "def f():\n"
        "    from kiosk.core import clock\n"
        "    import cv2\n"
        "    try:\n"
        "        from PySide6 import QtCore\n"
        "    except ImportError:\n"
        "        pass\n"
        "class C:\n"
        "    def m(self):\n"
        "        import os\n"
    )
    assert function_local_imports(code) == [(3, "kiosk.core"), (11, "os")]


def test_kiosk_has_no_function_local_imports_but_optional_ones():
    bad = [f"{path.relative_to(REPO)}:{line} imports {name}"
           for path in sorted((REPO / "kiosk").rglob("*.py"))
           for line, name in function_local_imports(path.read_text(encoding="utf-8"))]
    assert not bad, bad


def test_one_problems_module_and_one_terminal_revoked():
    """Two ``problems.py`` (core and ui) and two ``TerminalRevoked`` classes (the kiosk's
    and the server's) were two names for one thing each (issue #10)."""
    problems = sorted(str(p.relative_to(REPO)) for p in (REPO / "kiosk").rglob("problems.py"))
    assert problems == ["kiosk/core/problems.py"]
    defined = [str(p.relative_to(REPO)) for root in ("kiosk", "server_stub")
               for p in sorted((REPO / root).rglob("*.py"))
               if "class TerminalRevoked(" in p.read_text(encoding="utf-8")]
    assert defined == ["kiosk/sync/client.py"]


# ------------------------------------------------------------- no import circle (issue #10)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: str = "kiosk") -> dict[str, set[str]]:
    """Each module of ``root`` -> the modules of ``root`` it imports when it is imported
    (module level, ``if TYPE_CHECKING:`` blocks left out)."""
    files = {_module_name(p): p for p in (REPO / root).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()

        def visit(node: ast.AST, package: str = package, edges: set[str] = edges) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    continue
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    continue
                if isinstance(child, ast.Import):
                    edges.update(a.name for a in child.names)
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        up = package.split(".")[: len(package.split(".")) - child.level + 1]
                        base = ".".join(up + ([base] if base else []))
                    edges.add(base)
                    edges.update(f"{base}.{a.name}" for a in child.names)
                visit(child)

        visit(ast.parse(path.read_text(encoding="utf-8")))
        graph[name] = {e for e in edges if e in files and e != name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return cycles


def test_the_cycle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(graph) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_kiosk_has_no_import_circle():
    graph = import_graph("kiosk")
    assert "kiosk.scan.camera_source" in graph["kiosk.scan.sources"]  # relative imports seen
    assert "kiosk.core.config" in graph["kiosk.app"]
    assert not import_cycles(graph)
