"""Run one blocking call (enrolment, a diagnostics export) off the GUI thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("kiosk.services.background")


class BackgroundCall(QObject):
    """Signals:
        finished(str, object, str): name, result, error sentence ("" when it worked).
    """

    finished = Signal(str, object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._threads: list[threading.Thread] = []

    def start(self, name: str, fn: Callable[[], Any]) -> None:
        def run() -> None:
            try:
                result, error = fn(), ""
            except Exception as exc:  # shown to the user as a sentence, logged in full
                log.warning("%s failed: %s", name, exc)
                result, error = None, str(exc) or exc.__class__.__name__
            self.finished.emit(name, result, error)

        thread = threading.Thread(target=run, name=f"kiosk-{name}")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def busy(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def join(self, timeout: float = 15.0) -> None:
        for t in self._threads:
            t.join(timeout)
        self._threads = [t for t in self._threads if t.is_alive()]
