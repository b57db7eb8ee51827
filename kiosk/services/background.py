"""Run one blocking call (enrolment, a diagnostics export) off the GUI thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from kiosk.core.problems import KioskError

log = logging.getLogger("kiosk.services.background")


class BackgroundCall(QObject):
    """Signals:
        finished(str, object, object): name, result, the exception (None when it worked);
            the receiver says it in words by its code (:func:`kiosk.core.problems.problem_of`).
    """

    finished = Signal(str, object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._threads: list[threading.Thread] = []

    def start(self, name: str, fn: Callable[[], Any]) -> None:
        def run() -> None:
            result: Any = None
            error: BaseException | None = None
            try:
                result = fn()
            except KioskError as exc:  # an understood failure: its sentence is enough
                log.warning("%s failed (%s): %s", name, exc.code, exc)
                error = exc
            except Exception as exc:  # a bug or a library's error: the traceback too
                log.exception("%s failed", name)
                error = exc
            self.finished.emit(name, result, error)

        thread = threading.Thread(target=run, name=f"kiosk-{name}")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def busy(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def threads(self) -> list[threading.Thread]:
        """The calls still running (shutdown waits for them within its deadline)."""
        self._threads = [t for t in self._threads if t.is_alive()]
        return list(self._threads)

    def join(self, timeout: float = 15.0) -> None:
        for t in self._threads:
            t.join(timeout)
        self._threads = [t for t in self._threads if t.is_alive()]
