"""Hosts the Qt-free :class:`~kiosk.core.recorder.Recorder` on its own worker thread.

Every scan is a disk write (an fsync), so it never runs on the GUI thread: the window calls
:meth:`RecorderService.submit` and gets the answer back as a signal. The same thread owns
the recorder's outbox connection and also answers status questions (outbox stats, disk
free), which read the disk too.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from kiosk.core.problems import KioskError, Problem, problem_of
from kiosk.core.recorder import Outcome, OutcomeKind, Recorder
from kiosk.store import Outbox, OutboxError, RejectedPunch

from .worker import WorkerThread

log = logging.getLogger("kiosk.services.recorder")

_STOP = object()


@dataclass(frozen=True)
class StorageSnapshot:
    """Outbox and disk figures for the header and the status panel."""

    pending: int = 0
    oldest_pending_age_s: float | None = None
    rejected: int = 0
    sent: int = 0
    last_sync: datetime | None = None
    last_problem: Problem | None = None  # the last sync failure the outbox remembers
    disk_free_bytes: int | None = None
    rejected_list: tuple[RejectedPunch, ...] = ()
    recovered_from: str | None = None
    outbox_error: Problem | None = None  # the outbox cannot be opened or read


class RecorderService(QObject):
    """Signals:
        punch_recorded(Outcome): the punch is durable in the outbox.
        scan_refused(Outcome): nothing new stored (refused, already recorded, storage error).
        storage_changed(StorageSnapshot): fresh outbox/disk figures.
    """

    punch_recorded = Signal(object)
    scan_refused = Signal(object)
    storage_changed = Signal(object)

    def __init__(
        self,
        open_outbox: Callable[[], Outbox],
        make_recorder: Callable[[Outbox], Recorder],
        *,
        data_dir: Path,
        on_appended: Callable[[], None] = lambda: None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._open_outbox = open_outbox
        self._make_recorder = make_recorder
        self._data_dir = Path(data_dir)
        self._on_appended = on_appended
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._thread = WorkerThread("kiosk-recorder", self._run, log)
        self._stats_queued = threading.Event()
        self._ready = threading.Event()
        self._stop_queued = False
        self._open_problem: Problem | None = None

    # -- GUI-thread API ------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def submit(self, text: str, source: str, frame_ts: float | None = None) -> None:
        """Queue one decoded text; the Outcome comes back as a signal."""
        self._jobs.put(("scan", text, source, frame_ts))

    def request_stats(self) -> None:
        if not self._stats_queued.is_set():
            self._stats_queued.set()
            self._jobs.put(("stats",))

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the queued scans (each is a promise to someone at the door), then join."""
        self._thread.stop(self.request_stop, timeout)

    def request_stop(self) -> None:
        """Queue the end after the scans already queued; returns at once."""
        if self._thread.started and not self._stop_queued:
            self._stop_queued = True
            self._jobs.put(_STOP)

    def join(self, timeout: float) -> bool:
        """Wait (any thread) for the worker; True when it has ended. A worker still
        running is kept (named by :meth:`threads`), never forgotten."""
        return self._thread.join(timeout)

    def threads(self) -> list[str]:
        return self._thread.threads()

    @property
    def healthy(self) -> bool:
        """Not started yet, or its thread still runs (False: it died; see the watchdog)."""
        return not self._thread.started or self._thread.alive

    def wait_ready(self, timeout: float = 5.0) -> bool:
        return self._ready.wait(timeout)

    # -- worker thread -------------------------------------------------------------------
    def _run(self) -> None:
        outbox: Outbox | None = None
        recorder: Recorder | None = None
        try:
            outbox = self._open_outbox()
            recorder = self._make_recorder(outbox)
        except Exception as exc:
            self._open_problem = problem_of(exc)
            log.error("cannot open the outbox: %s", exc,
                      exc_info=not isinstance(exc, KioskError))  # a bug: its traceback
        self._ready.set()
        try:
            while True:
                job = self._jobs.get()
                if job is _STOP:
                    break
                try:
                    self._do(job, outbox, recorder)
                except Exception:  # one bad job must not end the worker
                    log.exception("recorder job %s failed", job[0])
        finally:
            if outbox is not None:
                try:
                    outbox.close()
                except Exception:
                    log.exception("closing the outbox failed")

    def _do(self, job: tuple[Any, ...], outbox: Outbox | None,
            recorder: Recorder | None) -> None:
        kind = job[0]
        if kind == "scan":
            _, text, source, frame_ts = job
            if recorder is None:
                outcome = Outcome(OutcomeKind.STORAGE_ERROR, source, frame_ts,
                                  problem=self._open_problem)
            else:
                outcome = recorder.record(text, source, frame_ts)
            if outcome.kind is OutcomeKind.RECORDED:
                self.punch_recorded.emit(outcome)
                try:
                    self._on_appended()
                except Exception:
                    log.exception("waking the sync engine failed")
                self.request_stats()
            else:
                self.scan_refused.emit(outcome)
        elif kind == "stats":
            self._stats_queued.clear()
            self.storage_changed.emit(self._snapshot(outbox))

    def _snapshot(self, outbox: Outbox | None) -> StorageSnapshot:
        try:
            free = shutil.disk_usage(self._data_dir).free
        except OSError:
            free = None
        if outbox is None:
            return StorageSnapshot(outbox_error=self._open_problem, disk_free_bytes=free)
        try:
            st = outbox.stats()
            rejected = tuple(outbox.rejected(20)) if st.rejected else ()
        except OutboxError as exc:
            log.error("outbox stats failed: %s", exc)
            return StorageSnapshot(outbox_error=exc.problem, disk_free_bytes=free)
        recovered = outbox.recovered_from
        return StorageSnapshot(
            pending=st.pending, oldest_pending_age_s=st.oldest_pending_age_s,
            rejected=st.rejected, sent=st.sent, last_sync=st.last_sync,
            last_problem=st.last_problem, disk_free_bytes=free, rejected_list=rejected,
            recovered_from=str(recovered) if recovered else None,
        )
