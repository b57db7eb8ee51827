"""Every screen in Chinese and in pseudo-localisation: nothing English left over, nothing cut.

Issue #16 found the Chinese status panel partly English: sentences from the Qt-free side
(the synthetic camera's, the demo secret store's) that never went through a translator.
The catalogue test (test_i18n.py) only sees strings marked in kiosk/ui; these tests look
at what the running kiosk actually shows.

- Chinese: with the shipped zh_CN catalogue, no visible text keeps an English word (data
  such as URLs, ids, names and units aside).
- Pseudo-localisation (Vorta's and Qt's trick): a translator that wraps every string in
  ⟦…⟧ and makes it 40 % longer. A visible text without ⟦ never went through a translator;
  a label or button narrower than its stretched text is a layout bug waiting for German.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QTranslator
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QLineEdit,
    QListWidget,
    QWidget,
)

from kiosk.services.memory_secrets import MemorySecretStore
from kiosk.ui.i18n import install_translator
from tests.helpers.clock import FakeClock
from tests.helpers.live_server import live_server
from tests.helpers.ui import MONDAY_0850, enrolled_config, running_kiosk, seed_site

ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
DATA = [
    re.compile(r"https?://\S+"), re.compile(r"\b[\w.-]+:\d+\b"), re.compile(r"\bt[0-9a-f]{12}\b"),
    re.compile(r"\bb[0-9a-f]{8}\b"), re.compile(r"\d+(\.\d+)*"),
]
UNITS = {"fps", "PIN", "kiosk", "set", "pin", "Ctrl", "Alt", "UTC"}


class PseudoTranslator(QTranslator):
    """Every string wrapped in ⟦…⟧ and 40 % longer (what a long language does to a layout)."""

    def translate(self, context: str, source: str, disambiguation: str | None = None,
                  n: int = -1) -> str:
        if not source:
            return source
        return "⟦" + source + "~" * max(2, int(len(source) * 0.4)) + "⟧"

    def isEmpty(self) -> bool:  # noqa: N802 (Qt override)
        return False


def _texts(root: QWidget) -> Iterator[tuple[QWidget, str]]:
    for w in [root, *root.findChildren(QWidget)]:
        if isinstance(w, (QLabel, QAbstractButton)):
            yield w, w.text()
        elif isinstance(w, QLineEdit):
            yield w, w.placeholderText()
        elif isinstance(w, QListWidget):
            for i in range(w.count()):
                yield w, w.item(i).text()


def _strip_data(text: str, data: list[str]) -> str:
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    for pattern in DATA:
        text = pattern.sub(" ", text)
    return text


@pytest.fixture
def kiosk_with_camera(qtbot, tmp_path):
    """The whole kiosk with the synthetic camera and the demo's memory secret store."""
    def run(translator: QTranslator):
        return _Run(qtbot, tmp_path, translator)
    return run


class _Run:
    def __init__(self, qtbot, tmp_path, translator) -> None:
        self.qtbot, self.tmp_path, self.translator = qtbot, tmp_path, translator

    def __enter__(self):
        self._stack = []
        QApplication.installTranslator(self.translator)
        clock = FakeClock(MONDAY_0850)
        self._server = live_server(self.tmp_path, clock=clock)
        srv = self._server.__enter__()
        self.site = seed_site(srv.admin)
        store = MemorySecretStore()
        config, paths = enrolled_config(srv.url, self.site.code, self.tmp_path / "k", store)
        self._kiosk = running_kiosk(self.qtbot, config, paths, store, clock,
                                    camera="synthetic", tokens=[self.site.tokens["alice"]])
        app = self._kiosk.__enter__()
        self.qtbot.waitUntil(lambda: bool(app.status.status.camera_detail), timeout=10000)
        app.window.resize(1024, 720)
        app.window.show()
        self.app = app
        return self

    def data(self) -> list[str]:
        st = self.app.status.status
        return [v for v in (st.terminal_name, st.terminal_id, st.site, st.version,
                            *self.site.names.values()) if v]

    def screens(self) -> Iterator[tuple[str, QWidget]]:
        w = self.app.window
        w.show_kiosk()
        yield "kiosk", w.kiosk_page
        w.open_admin()
        yield "pin pad", w.pin_pad
        w._open_status()
        self.qtbot.wait(50)
        yield "status panel", w.status_panel
        w.open_correction()  # the make-up punch screen (补卡), opened from the card
        self.qtbot.wait(50)
        yield "correction screen", w.correction_screen
        w.show_kiosk()

    def __exit__(self, *exc):
        try:
            self._kiosk.__exit__(*exc)
            self._server.__exit__(*exc)
        finally:
            QApplication.removeTranslator(self.translator)


def test_every_screen_is_chinese(qapp, kiosk_with_camera) -> None:
    translator = install_translator(qapp, "zh_CN")
    assert translator is not None
    QApplication.removeTranslator(translator)
    with kiosk_with_camera(translator) as run:
        english = []
        for screen, root in run.screens():
            for widget, text in _texts(root):
                if not widget.isVisibleTo(root):
                    continue
                words = set(ENGLISH_WORD.findall(_strip_data(text, run.data()))) - UNITS
                if words:
                    english.append(f"{screen}: {text!r}")
    assert english == []


def test_pseudo_localisation_finds_no_untranslated_or_cut_text(qapp, kiosk_with_camera) -> None:
    with kiosk_with_camera(PseudoTranslator()) as run:
        untranslated, cut = [], []
        for screen, root in run.screens():
            for widget, text in _texts(root):
                if not widget.isVisibleTo(root) or not text.strip():
                    continue
                rest = text
                while "⟦" in rest and rest != (rest := re.sub(r"⟦[^⟦⟧]*⟧", " ", rest)):
                    pass  # nested: a translated sentence with a translated word in it
                rest = _strip_data(rest, run.data())
                if set(ENGLISH_WORD.findall(rest)) - UNITS:
                    untranslated.append(f"{screen}: {text!r}")
                wraps = isinstance(widget, QLabel) and widget.wordWrap()
                if not wraps and widget.sizeHint().width() > widget.width() + 1:
                    cut.append(f"{screen}: {text!r} needs {widget.sizeHint().width()} px, "
                               f"has {widget.width()}")
    assert untranslated == []
    assert cut == []
