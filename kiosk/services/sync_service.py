"""Hosts the Qt-free sync engine on its own thread and re-emits its callbacks.

The thread opens the sync outbox connection itself (the open runs SQLite's integrity check
and may move a corrupt file aside: disk work that must not stall the GUI thread), builds
the engine, then runs its drain loop and closes the connection when it ends. The engine
calls its listener from that thread; the listener here only emits signals, which Qt queues
to the GUI thread, so no widget is ever touched from the network thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from kiosk.core.protocol import CorrectionRequest, Roster, Verdict
from kiosk.store import Outbox
from kiosk.sync.corrections import CorrectionResult
from kiosk.sync.engine import SyncEngine, SyncState

from .worker import WorkerThread

log = logging.getLogger("kiosk.services.sync")


class SyncService(QObject):
    """Signals:
        verdicts_received(list): server verdicts (kiosk.core.protocol.Verdict).
        sync_state_changed(object): the engine's SyncState (reachability, offset, error).
        roster_changed(object): a fresh Roster from the server.
        corrections_answered(list): CorrectionResults, the server's answers to make-up
            requests filed here (a receipt, or a refusal's code).
        outbox_opened(object, object): recovered_from (str or None), the open error (the
            exception, or None); the engine runs only when the error is None.

    It is the engine's listener: ``on_verdicts``, ``on_state`` and ``on_roster`` run on
    the sync thread and only emit.
    """

    verdicts_received = Signal(list)
    sync_state_changed = Signal(object)
    roster_changed = Signal(object)
    outbox_opened = Signal(object, object)
    corrections_answered = Signal(list)

    def __init__(self, open_outbox: Callable[[], Outbox],
                 make_engine: Callable[[Outbox, SyncService], SyncEngine],
                 parent: QObject | None = None) -> None:
        """``open_outbox()`` and ``make_engine(outbox, listener)`` both run on the sync
        thread; the engine gets this service as its listener."""
        super().__init__(parent)
        self._open_outbox = open_outbox
        self._make_engine = make_engine
        self._engine: SyncEngine | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = WorkerThread("kiosk-sync", self._run, log)
        self._open_failed = False

    @property
    def engine(self) -> SyncEngine | None:
        """The engine, once the sync thread built it (None before, or if the open failed)."""
        return self._engine

    @property
    def clock_offset_s(self) -> float:
        engine = self._engine
        return engine.clock_offset_s if engine is not None else 0.0

    @property
    def healthy(self) -> bool:
        """Not started, running, or ended because the outbox cannot be opened (the window
        says so; a restart would not help). False: the thread died."""
        return not self._thread.started or self._thread.alive or self._open_failed

    def wait_ready(self, timeout: float = 30.0) -> bool:
        """Block until the outbox was opened (or failed to): for the recorder's thread,
        whose connection must open after the integrity check moved a corrupt file aside."""
        return self._ready.wait(timeout)

    # -- listener interface (called on the sync thread) ------------------------------------
    def on_verdicts(self, verdicts: list[Verdict]) -> None:
        self.verdicts_received.emit(list(verdicts))

    def on_state(self, state: SyncState) -> None:
        self.sync_state_changed.emit(state)

    def on_roster(self, roster: Roster) -> None:
        self.roster_changed.emit(roster)

    def on_corrections(self, results: list[CorrectionResult]) -> None:
        self.corrections_answered.emit(list(results))

    def file_correction(self, req: CorrectionRequest) -> bool:
        """Hand a make-up request to the sync thread (returns at once; False: the engine is
        not running, nothing was queued)."""
        engine = self._engine
        if engine is None:
            return False
        engine.file_correction(req)
        return True

    # -- GUI-thread API ----------------------------------------------------------------------
    def start(self) -> None:
        if not self._thread.started:
            self._stop.clear()
            self._thread.start()

    def wake(self) -> None:
        """Send now (after an append, or "Sync now" on the status panel). Thread-safe; a
        wake before the engine exists is not needed: its loop starts with a pass."""
        engine = self._engine
        if engine is None:
            return
        try:
            engine.wake()
        except Exception:
            log.exception("waking the sync engine failed")

    def stop(self, timeout: float = 15.0) -> None:
        self._thread.stop(self.request_stop, timeout)

    def request_stop(self) -> None:
        """End the drain loop after its current request (each has timeouts); at once."""
        self._stop.set()
        self.wake()

    def join(self, timeout: float) -> bool:
        """Wait (any thread) for the sync thread; True when it has ended (it closes the
        last outbox connection itself). One still running is kept, never forgotten."""
        return self._thread.join(timeout)

    def threads(self) -> list[str]:
        return self._thread.threads()

    # -- the sync thread ---------------------------------------------------------------------
    def _run(self) -> None:
        try:
            outbox = self._open_outbox()
        except Exception as exc:  # the window still opens and says so; nothing is lost
            log.error("the outbox cannot be opened: %s", exc)
            self._open_failed = True
            self._ready.set()
            self.outbox_opened.emit(None, exc)
            return
        try:
            recovered = outbox.recovered_from
            self.outbox_opened.emit(str(recovered) if recovered else None, None)
            engine = self._engine = self._make_engine(outbox, self)
            self._ready.set()
            engine.run(self._stop)
        except Exception:
            log.exception("the sync loop ended with an error")
        finally:
            self._ready.set()
            try:
                outbox.close()  # the last connection: checkpoint and close
            except Exception:
                log.exception("closing the outbox failed")
