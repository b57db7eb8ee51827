"""The admin PIN checked off the GUI thread: scrypt costs ~80 ms, several frames.

The pad asks :meth:`PinCheck.check`; the answer comes back as a signal. One check at a
time: a PIN typed while one is running is refused as busy, never queued behind it.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

from kiosk.core.pin import PinAnswer, PinLock

log = logging.getLogger("kiosk.services.pin")


class PinCheck(QObject):
    """Hosts a :class:`~kiosk.core.pin.PinLock`.

    Signals:
        answered(PinAnswer): the check is done.
        failed(): the check raised (a bug, logged): the pad stops waiting.
    """

    answered = Signal(object)
    failed = Signal()

    def __init__(self, lock: PinLock, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = lock
        self._thread: threading.Thread | None = None
        # Cleared before the answer is sent, not when the thread ends: a pad that shows the
        # answer and takes the next PIN at once must not find the old thread still alive.
        self._running = False

    @property
    def configured(self) -> bool:
        return self._lock.configured

    def locked_for(self) -> float:
        """Seconds the pad stays locked (cheap: no hashing)."""
        return self._lock.locked_for()

    @property
    def busy(self) -> bool:
        return self._running

    def check(self, pin: str) -> bool:
        """Start checking ``pin``; False (and nothing happens) while a check runs."""
        if self._running:
            return False
        self._running = True

        def run() -> None:
            try:
                answer = self._lock.try_pin(pin)
            except Exception:  # a bug: the pad must not hang on "checking"
                log.exception("PIN check failed")
                self._running = False
                self.failed.emit()
                return
            self._running = False
            self.answered.emit(answer)

        self._thread = threading.Thread(target=run, name="kiosk-pin")
        self._thread.start()
        return True

    def threads(self) -> list[threading.Thread]:
        """The check still running, for the shutdown's account of every thread."""
        alive = self._thread is not None and self._thread.is_alive()
        return [self._thread] if alive and self._thread is not None else []


__all__ = ["PinAnswer", "PinCheck"]
