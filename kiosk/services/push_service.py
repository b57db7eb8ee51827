"""Hosts the Qt-free event stream (kiosk/sync/push.py) on its own thread; re-emits as signals.

The push thread builds its worker (after the sync thread opened the outbox, so it can share
the sync engine's clock offset) and runs it until asked to stop. Handlers on that thread
only emit: the idle-screen message and the stream's state reach widgets through queued
signals, never directly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from kiosk.sync.push import PushState, PushWorker

from .worker import WorkerThread

log = logging.getLogger("kiosk.services.push")


class PushService(QObject):
    """Signals:
        message_received(str): IT's message for the idle screen.
        push_state_changed(object): the stream's PushState (connected, mode, problem).
        badge_revoked(str): a pushed revocation was applied (badge id).
    """

    message_received = Signal(str)
    push_state_changed = Signal(object)
    badge_revoked = Signal(str)

    def __init__(self, make_worker: Callable[[PushService], PushWorker | None],
                 parent: QObject | None = None) -> None:
        """``make_worker(service)`` runs on the push thread (None: nothing to run)."""
        super().__init__(parent)
        self._make_worker = make_worker
        self._worker: PushWorker | None = None
        self._stop = threading.Event()
        self._thread = WorkerThread("kiosk-push", self._run, log)

    @property
    def worker(self) -> PushWorker | None:
        return self._worker

    # -- called on the push thread (emit only) -------------------------------------------------
    def show_message(self, text: str) -> None:
        self.message_received.emit(text)

    def on_state(self, state: PushState) -> None:
        self.push_state_changed.emit(state)

    def on_revoked(self, badge_id: str) -> None:
        self.badge_revoked.emit(badge_id)

    # -- GUI-thread API ----------------------------------------------------------------------
    def start(self) -> None:
        if not self._thread.started:
            self._stop.clear()
            self._thread.start()

    def request_stop(self) -> None:
        self._stop.set()
        worker = self._worker
        if worker is not None:
            worker.request_stop()

    def join(self, timeout: float) -> bool:
        return self._thread.join(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        self._thread.stop(self.request_stop, timeout)

    def threads(self) -> list[str]:
        return self._thread.threads()

    def _run(self) -> None:
        try:
            worker = self._worker = self._make_worker(self)
            if worker is None or self._stop.is_set():
                return
            worker.run(self._stop)
        except Exception:
            log.exception("the event stream worker ended with an error")
