"""Language choice: ``[ui] language`` or the system locale; English is the source text.

Also :func:`describe_problem`: a :class:`~kiosk.core.problems.Problem` in one short
sentence in the UI's language, what IT reads on the status panel and a technician on the
enrolment screen (never a library's text: that goes to the log and the diagnostics zip).
The sentences live in :mod:`kiosk.core.problem_text`, shared with the CLI; this only hands
them Qt's translator.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

from kiosk.core import problem_text
from kiosk.core.problems import Problem

from .resources import resource

log = logging.getLogger("kiosk.ui.i18n")

SUPPORTED = ("en", "zh_CN")


def pick_language(setting: str, system: QLocale | None = None) -> str:
    """``auto`` follows the system: any Chinese locale gets Simplified Chinese."""
    if setting in SUPPORTED:
        return setting
    loc = system or QLocale.system()
    return "zh_CN" if loc.language() == QLocale.Language.Chinese else "en"


def install_translator(app: QCoreApplication, language: str) -> QTranslator | None:
    """Load ``kiosk_<language>.qm`` into ``app``. The caller must keep the returned
    translator referenced for the app's life (Qt does not own it)."""
    if language == "en":
        return None
    translator = QTranslator(app)
    path = resource("i18n", f"kiosk_{language}.qm")
    if not translator.load(str(path)):
        log.warning("translation %s not found; showing English", path.name)
        return None
    app.installTranslator(translator)
    app.setProperty("kiosk_translator", translator)  # keep a reference on the app too
    log.info("language: %s", language)
    return translator


def describe_problem(problem: Problem | None) -> str:
    """One translated sentence; "" for no problem."""
    return problem_text.describe(problem, QCoreApplication.translate)
