"""English and Simplified Chinese: the choice, the catalogue, and every string translated."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication

from kiosk.core.recorder import Outcome, OutcomeKind, RefuseReason
from kiosk.ui import messages
from kiosk.ui.i18n import install_translator, pick_language

REPO = Path(__file__).resolve().parents[2]
TS = REPO / "resources" / "i18n" / "kiosk_zh_CN.ts"


def test_language_choice():
    assert pick_language("en") == "en"
    assert pick_language("zh_CN") == "zh_CN"
    assert pick_language("auto", QLocale(QLocale.Language.Chinese, QLocale.Country.China)) \
        == "zh_CN"
    assert pick_language("auto", QLocale(QLocale.Language.German)) == "en"


@pytest.fixture
def chinese(qapp):
    translator = install_translator(qapp, "zh_CN")
    assert translator is not None, "the built .qm is missing"
    yield translator
    QApplication.removeTranslator(translator)


def test_card_and_header_speak_chinese(qtbot, chinese):
    refused = Outcome(OutcomeKind.REFUSED, "camera", reason=RefuseReason.REVOKED)
    assert messages.for_outcome(refused).title == "工牌已注销"
    already = Outcome(OutcomeKind.ALREADY, "camera", local_time="08:57", name="王芳")
    assert messages.for_outcome(already).title == "已于 08:57 记录"
    assert messages.idle().title == "请将工牌对准摄像头"


def test_english_without_a_translator():
    refused = Outcome(OutcomeKind.REFUSED, "camera", reason=RefuseReason.EXPIRED)
    assert messages.for_outcome(refused).title == "Badge expired"


def _sources(ts: Path) -> dict[tuple[str, str], str]:
    out = {}
    for ctx in ET.parse(ts).getroot():
        name = ctx.findtext("name")
        for msg in ctx.iter("message"):
            tr = msg.find("translation")
            text = (tr.text or "") + "".join(n.text or "" for n in tr)
            if tr.get("type") not in ("vanished", "obsolete"):
                out[(name, msg.findtext("source"))] = text.strip()
    return out


def test_every_string_in_the_code_is_translated(tmp_path):
    lupdate = shutil.which("pyside6-lupdate")
    if lupdate is None:
        pytest.skip("pyside6-lupdate not installed")
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import build_translations
    finally:
        sys.path.pop(0)
    fresh = tmp_path / "fresh.ts"
    subprocess.run([lupdate, "-locations", "none", *build_translations.SOURCES, "-ts",
                    str(fresh)], cwd=REPO, check=True, capture_output=True)
    in_code = set(_sources(fresh))
    committed = _sources(TS)
    assert in_code - set(committed) == set(), "run scripts/build_translations.py"
    assert [k for k in in_code if not committed[k]] == []
