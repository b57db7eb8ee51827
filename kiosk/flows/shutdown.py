"""The one place the kiosk stops: in stages, off the GUI thread, within one deadline.

Each :class:`Stage` is asked to stop (``begin``: quick, thread-safe) and then waited for
with whatever is left of the overall deadline (``wait``), in order: camera, recorder (it
finishes the scans already queued: each is a promise to someone at the door), sync (its
requests have timeouts; it closes the last outbox connection), then the short-lived
calls. The waiting happens on the ``kiosk-shutdown`` thread, so the window keeps painting;
``done`` names every thread still running at the deadline (logged, never forgotten).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("kiosk.shutdown")

DEADLINE_S = 25.0  # systemd's default TimeoutStopSec is 90 s; a stuck kiosk is killed


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Stage:
    """One part to stop: ``begin()`` asks (returns at once), ``wait(seconds)`` joins and
    says whether it ended, ``threads()`` names what still runs."""

    name: str
    wait: Callable[[float], bool]
    threads: Callable[[], list[str]]
    begin: Callable[[], None] = _nothing


class Shutdown(QObject):
    """Signals: done(list): the threads still running when it gave up (usually none)."""

    done = Signal(list)

    def __init__(self, deadline_s: float = DEADLINE_S, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._deadline_s = deadline_s
        self._thread: threading.Thread | None = None
        self.left: list[str] | None = None  # set when the stages are through

    @property
    def started(self) -> bool:
        return self._thread is not None

    def run(self, stages: Sequence[Stage]) -> None:
        """Stop ``stages`` in order on the shutdown thread; returns at once."""
        if self._thread is not None:
            return
        deadline = time.monotonic() + self._deadline_s

        def work() -> None:
            for stage in stages:
                try:
                    stage.begin()
                    ended = stage.wait(max(0.0, deadline - time.monotonic()))
                except Exception:  # one stage's bug must not keep the others running
                    log.exception("stopping %s failed", stage.name)
                    ended = False
                if not ended:
                    log.error("%s did not stop within the %.0f s shutdown deadline",
                              stage.name, self._deadline_s)
            left = [name for stage in stages for name in stage.threads()]
            if left:
                log.error("threads still running after shutdown: %s", left)
            self.left = left
            self.done.emit(left)

        self._thread = threading.Thread(target=work, name="kiosk-shutdown")
        self._thread.start()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the stages are through (for callers with no event loop left)."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout_s)
        return not thread.is_alive()


def threads_stage(name: str, threads: Callable[[], list[threading.Thread]]) -> Stage:
    """A stage for short-lived calls (enrolment, diagnostics, a PIN check): just joined."""
    def wait(seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        for thread in threads():
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads())

    return Stage(name, wait, lambda: [t.name for t in threads() if t.is_alive()])
