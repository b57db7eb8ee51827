"""Refresh the translation sources and build the binary catalogues.

    python scripts/build_translations.py          # lupdate (.ts from the code) + lrelease (.qm)
    python scripts/build_translations.py --check  # fail if a string has no translation

``resources/i18n/kiosk_<lang>.ts`` is what translators edit (Qt Linguist or any editor);
``lupdate`` keeps their work and adds new strings, ``lrelease`` builds the ``.qm`` the app
loads. Both files are committed, so a checkout runs without the Qt tools.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "resources" / "i18n"
LANGUAGES = ("zh_CN",)
SOURCES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "kiosk" / "ui").glob("*.py")) + [
    "kiosk/app.py", "kiosk/flows/panel_actions.py", "kiosk/flows/enrolment.py",
    "kiosk/core/problem_text.py",
    # Qt-free modules whose fixed sentences are marked with kiosk.core.i18n.QT_TRANSLATE_NOOP
    "kiosk/scan/synthetic.py", "kiosk/services/memory_secrets.py",
]


def _tool(name: str) -> str:
    path = shutil.which(f"pyside6-{name}") or shutil.which(name)
    if path is None:
        sys.exit(f"{name} not found: install PySide6 (it ships pyside6-{name})")
    return path


def untranslated(ts: Path) -> list[str]:
    out = []
    for msg in ET.parse(ts).getroot().iter("message"):
        tr = msg.find("translation")
        if tr is None or tr.get("type") in ("unfinished", "vanished", "obsolete") or not (
            (tr.text or "").strip() or any((n.text or "").strip() for n in tr)
        ):
            if tr is None or tr.get("type") not in ("vanished", "obsolete"):
                out.append(msg.findtext("source") or "")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail on untranslated strings")
    args = parser.parse_args()
    I18N.mkdir(parents=True, exist_ok=True)
    status = 0
    for lang in LANGUAGES:
        ts = I18N / f"kiosk_{lang}.ts"
        subprocess.run([_tool("lupdate"), "-no-obsolete", "-locations", "none", *SOURCES,
                        "-ts", str(ts)], cwd=ROOT, check=True)
        subprocess.run([_tool("lrelease"), str(ts), "-qm", str(ts.with_suffix(".qm"))],
                       cwd=ROOT, check=True)
        missing = untranslated(ts)
        if missing:
            print(f"{ts.name}: {len(missing)} untranslated: {missing[:5]}...")
            status = 1 if args.check else status
    return status


if __name__ == "__main__":
    sys.exit(main())
