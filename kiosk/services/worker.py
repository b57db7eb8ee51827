"""The one worker thread a service owns: started once, joined with a deadline, and never
forgotten while it still runs (shutdown names it; the watchdog asks whether it died).

The recorder, sync and push services each host one loop on a thread of their own; this is
their common part, so each of them only says how to ask its loop to end.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable


class WorkerThread:
    """``target`` on a non-daemon thread called ``name`` (``kiosk-recorder``, ...)."""

    def __init__(self, name: str, target: Callable[[], None], log: logging.Logger) -> None:
        self.name = name
        self._target = target
        self._log = log
        self._thread: threading.Thread | None = None

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def alive(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self) -> bool:
        """Start the thread; False (nothing done) when it was started before."""
        if self._thread is not None:
            return False
        self._thread = threading.Thread(target=self._target, name=self.name)
        self._thread.start()
        return True

    def join(self, timeout: float) -> bool:
        """Wait (any thread) for the worker; True when it has ended or never started. A
        worker still running is kept (named by :meth:`threads`)."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(max(0.0, timeout))
        return not thread.is_alive()

    def stop(self, request_stop: Callable[[], None], timeout: float) -> None:
        """``request_stop()`` (it returns at once), then join; a thread that outlives
        ``timeout`` is logged as an error, by name."""
        request_stop()
        if not self.join(timeout):
            self._log.error("%s thread did not stop within %.0f s", self.name, timeout)

    def threads(self) -> list[str]:
        """The thread's name while it runs, else nothing (shutdown's list of stragglers)."""
        return [self.name] if self.alive else []
