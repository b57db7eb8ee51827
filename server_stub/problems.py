"""Typed refusals of HR actions (holidays, leave, make-up requests): a code and one sentence.

The code is for machines (the API's ``error`` field, the console, tests); the sentence is
what the CLI prints. The admin API turns them into :class:`AdminError`.
"""

from __future__ import annotations


class Refused(Exception):
    """An HR action refused; ``code`` is stable (``unknown_employee``, ``quota_exceeded``...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
