"""Marking sentences of the Qt-free modules for translation, without importing Qt.

``QT_TRANSLATE_NOOP("Source", "...")`` returns the English text unchanged; ``lupdate``
(``scripts/build_translations.py``) collects it into the ``.ts`` files under the context
``Source``, and the widget that shows it calls ``QCoreApplication.translate("Source",
text)``. Only fixed sentences can be marked: a sentence with a file name or a number in it
needs a code and an argument instead (see ``kiosk/services/problems.py``).
"""

from __future__ import annotations

SOURCE_CONTEXT = "Source"


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 (the name lupdate knows)
    """Mark ``text`` for translation under ``context``; returns it unchanged."""
    return text
