"""Hosts the Qt-free sync engine's drain loop on its own thread and re-emits its callbacks.

The engine calls its listener from the sync thread; the listener here only emits signals,
which Qt queues to the GUI thread, so no widget is ever touched from the network thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("kiosk.services.sync")


class SyncService(QObject):
    """Signals:
        verdicts_received(list): server verdicts (kiosk.core.protocol.Verdict).
        sync_state_changed(object): the engine's SyncState (reachability, offset, error).
        roster_changed(object): a fresh Roster from the server.
    """

    verdicts_received = Signal(list)
    sync_state_changed = Signal(object)
    roster_changed = Signal(object)

    def __init__(self, make_engine: Callable[[Any], Any], parent: QObject | None = None) -> None:
        """``make_engine(listener)`` builds the SyncEngine with this service as listener."""
        super().__init__(parent)
        self._engine = make_engine(self)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_state: Any = None

    @property
    def engine(self) -> Any:
        return self._engine

    # -- listener interface (called on the sync thread) ------------------------------------
    def on_verdicts(self, verdicts: list[Any]) -> None:
        self.verdicts_received.emit(list(verdicts))

    def on_state(self, state: Any) -> None:
        self.last_state = state
        self.sync_state_changed.emit(state)

    def on_roster(self, roster: Any) -> None:
        self.roster_changed.emit(roster)

    # -- GUI-thread API ----------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kiosk-sync")
        self._thread.start()

    def wake(self) -> None:
        """Send now (after an append, or "Sync now" on the status panel). Thread-safe."""
        try:
            self._engine.wake()
        except Exception:
            log.exception("waking the sync engine failed")

    def stop(self, timeout: float = 15.0) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self.wake()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("sync thread did not stop within %.0f s", timeout)
        self._thread = None

    def _run(self) -> None:
        try:
            self._engine.run(self._stop)
        except Exception:
            log.exception("the sync loop ended with an error")
