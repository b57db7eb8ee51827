"""A :class:`~kiosk.core.problems.Problem` in one short sentence in the UI's language.

What IT reads on the status panel and a technician on the enrolment screen: never a
library's text (that goes to the log and the diagnostics zip). The sentences themselves
live in :mod:`kiosk.core.problem_text`, shared with the CLI; this only hands them Qt's
translator.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from kiosk.core import problem_text
from kiosk.core.problems import Problem


def describe(problem: Problem | None) -> str:
    """One translated sentence; "" for no problem."""
    return problem_text.describe(problem, QCoreApplication.translate)
