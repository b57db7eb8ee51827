"""Both languages: every string a template or a message shows has a Chinese entry."""

from __future__ import annotations

import json
import re
from importlib import resources

from server_stub import rules
from server_stub.console import i18n
from tests.server.conftest import T0

_CALL = re.compile(r"""_\(\s*(["'])(.+?)\1\s*\)""")
_GETTEXT = re.compile(r"""gettext\(\s*(["'])(.+?)\1\s*\)""")


def _template_strings() -> set[str]:
    found: set[str] = set()
    folder = resources.files("server_stub.console") / "templates"
    for t in folder.iterdir():
        if t.name.endswith(".html"):
            found.update(m.group(2) for m in _CALL.finditer(t.read_text(encoding="utf-8")))
    # Today's rows are written in Python (today_rows.py): its gettext("...") calls
    rows = (resources.files("server_stub.console") / "today_rows.py").read_text(encoding="utf-8")
    found.update(m.group(2) for m in _GETTEXT.finditer(rows))
    found.update(rules.LEAVE_KINDS)  # shown on Today in the reader's language
    # labels passed through a loop variable in base.html
    found.update(("Today", "Attendance", "Employees", "Corrections", "Terminals", "Audit"))
    return found


def test_every_shown_string_is_translated() -> None:
    wanted = _template_strings() | set(i18n.MESSAGES.values())
    missing = sorted(s for s in wanted if s not in i18n.ZH_CN)
    assert not missing, missing
    assert len(wanted) > 80


def test_language_choice() -> None:
    assert i18n.pick_language("zh_CN", None, None) == "zh_CN"
    assert i18n.pick_language(None, "zh_CN", "en-US") == "zh_CN"
    assert i18n.pick_language(None, None, "zh-CN,zh;q=0.9,en;q=0.5") == "zh_CN"
    assert i18n.pick_language("klingon", None, "de-DE") == "en"
    assert i18n.gettext_for("zh_CN")("Sign in") == "登录"


def test_pages_in_chinese(client_for, admins, term) -> None:
    from server_stub import daysoff

    daysoff.add_leave(admins.srv.admin.engine, "E1", T0.date(), T0.date(), "sick", "flu",
                      actor="cli", now=T0)
    hb = {"app_version": "0.1.0", "pending": 0, "clock_offset_s": 0.0, "camera_state": "ok",
          "last_seq": 0}
    term.request("POST", "/heartbeat", json.dumps(hb).encode())
    hr = client_for("hr1")
    page = hr.get("/", params={"lang": "zh_CN"}).text
    assert '<html lang="zh-CN">' in page and "今日" in page and "尚未到岗" in page
    hq = page.split('data-site="HQ"')[1].split("</section>")[0]
    mark = hq.split('class="watermark')[1].split("</span>")[0]
    assert "完整性" in mark and ("已完整至" in mark or "尚不能确认完整" in mark), mark
    assert "complete" not in mark and "病假: flu" in hq  # the site's sentence, the leave kind
    assert "考勤" in hr.get("/attendance").text  # the choice is remembered (cookie)
