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


def _verdict(**fields):
    from uuid import uuid4

    from kiosk.core.protocol import Verdict, VerdictStatus

    return Verdict(event_id=uuid4(), status=VerdictStatus.ACCEPTED, **fields)


VERDICT_CARDS = [
    # (verdict fields, English title, English detail, Chinese title, Chinese detail)
    ({"direction": "repeat", "local_time": "09:04", "checked_in_at": "08:53"},
     "Already checked in at 08:53", "This scan is not a check-out.", "已于 08:53 签到",
     "本次扫码不算签退。"),
    ({"direction": "check_out", "local_time": "17:02", "shift_end": "17:00"},
     "Checked out at 17:02", "Goodbye!", "17:02 已签退", "再见！"),
    ({"direction": "check_out", "local_time": "12:55", "shift_end": "17:00",
      "early_leave_min": 245},
     "Checked out at 12:55", "left 4 h 05 min early, shift ends 17:00", "12:55 已签退",
     "早退 4 小时 05 分钟，班次 17:00 结束"),
    ({"direction": "check_in", "local_time": "10:05", "shift_start": "09:00", "grace_min": 5,
      "late_min": 65},
     "Late 1 h 05 min", "10:05 · shift 09:00, grace 5", "迟到 1 小时 05 分钟",
     "10:05 · 班次 09:00，宽限 5 分钟"),
]


@pytest.mark.parametrize(("fields", "title", "detail", "zh_title", "zh_detail"), VERDICT_CARDS)
def test_verdict_cards_in_both_languages(qapp, fields, title, detail, zh_title, zh_detail):
    v = _verdict(**fields)
    card = messages.for_verdict(v, "Ana", "00:00")  # the server's local time wins
    assert (card.title, card.detail) == (title, detail)
    translator = install_translator(qapp, "zh_CN")
    try:
        card = messages.for_verdict(v, "Ana", "00:00")
        assert (card.title, card.detail) == (zh_title, zh_detail)
    finally:
        QApplication.removeTranslator(translator)
