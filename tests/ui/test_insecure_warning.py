"""The status panel warns when [sync] allow_insecure_http lets plain http:// reach a host
that is not loopback (issue #11 item 1), in English and Chinese; loopback gives none."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from kiosk.services.status import Status, StatusModel
from kiosk.sync.tls import insecure_allowed
from kiosk.ui.i18n import install_translator
from kiosk.ui.status_panel import StatusPanel


def _problems(qtbot, urls: list[str], allowed: bool) -> str:
    status = Status(server_urls=tuple(urls), insecure_http=insecure_allowed(urls, allowed))
    panel = StatusPanel(StatusModel(status), lambda n: [])
    qtbot.addWidget(panel)
    return panel.fields["problem"].text()


def test_panel_warns_about_allowed_plain_http(qtbot) -> None:
    text = _problems(qtbot, ["http://10.0.0.5:8765"], True)
    assert "plain http:// to 10.0.0.5:8765 is allowed" in text and "unencrypted" in text
    for urls, allowed in ((["http://10.0.0.5:8765"], False), (["http://127.0.0.1:8765"], True),
                          (["https://srv.example:443"], True)):
        assert insecure_allowed(urls, allowed) is None
        assert "http://" not in _problems(qtbot, urls, allowed)


def test_panel_warning_in_chinese(qtbot, qapp) -> None:
    translator = install_translator(qapp, "zh_CN")
    assert translator is not None
    try:
        text = _problems(qtbot, ["http://10.0.0.5:8765"], True)
        assert "警告" in text and "10.0.0.5:8765" in text and "未加密" in text
    finally:
        QApplication.removeTranslator(translator)
