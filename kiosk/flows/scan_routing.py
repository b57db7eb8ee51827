"""Every scan, camera or wedge, to the recorder's thread; every answer to the window (and
a wedge scanner's layout mix-up to the status model's scanner line).

Also counts what happened for the demo's summary and the smoke test (``kiosk demo
--exit-after``): scans, one count per outcome kind (recorded, already, refused,
storage_error), and of the punches recorded here how many the server acknowledged and
accepted. Only this terminal's own punches are matched, by event
id, and each is forgotten once acknowledged (a bounded set, not one growing for the life
of the process).
"""

from __future__ import annotations

import time
from collections import OrderedDict

from PySide6.QtCore import QObject

from kiosk.core.protocol import Verdict, VerdictStatus
from kiosk.core.recorder import Outcome, OutcomeKind
from kiosk.services.recorder_service import RecorderService
from kiosk.services.status import StatusModel
from kiosk.ui.main_window import KioskWindow

MAX_AWAITED = 10_000  # punches recorded here still waiting for a verdict that we track


class ScanRouter(QObject):
    """Attributes:
        counts: scans, each outcome kind, acknowledged/accepted.
    """

    def __init__(self, recorder: RecorderService, window: KioskWindow, status: StatusModel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._recorder = recorder
        self._window = window
        self._status = status
        self._closed = False
        self._awaited: OrderedDict[str, None] = OrderedDict()
        self.counts = {"scans": 0, "recorded": 0, "already": 0, "refused": 0,
                       "storage_error": 0, "acknowledged": 0, "accepted": 0}
        recorder.punch_recorded.connect(self.show_outcome)
        recorder.scan_refused.connect(self.show_outcome)

    @property
    def awaited(self) -> int:
        """Punches recorded here whose verdict has not arrived yet."""
        return len(self._awaited)

    def close(self) -> None:
        """The shutdown began: no new scans (queued ones still finish)."""
        self._closed = True

    def submit(self, text: str, source: str, frame_ts: float | None = None) -> None:
        if self._closed:
            return
        self.counts["scans"] += 1
        self._recorder.submit(text, source, frame_ts)

    def on_code(self, text: str, polygon: list[list[int]], frame_ts: float) -> None:
        self._window.show_code(text, polygon, frame_ts)
        self.submit(text, "camera", frame_ts)

    def on_wedge(self, text: str) -> None:
        self.submit(text, "wedge", time.monotonic())

    def show_outcome(self, outcome: Outcome) -> None:
        if outcome.layout:  # a wedge scanner typing in the wrong layout: IT is told
            self._status.update_scanner_layout(outcome.layout)
        self.counts[outcome.kind.value] += 1
        if outcome.kind is OutcomeKind.RECORDED and outcome.event_id:
            self._awaited[outcome.event_id] = None
            while len(self._awaited) > MAX_AWAITED:
                self._awaited.popitem(last=False)
        self._window.show_outcome(outcome)

    def show_verdicts(self, verdicts: list[Verdict]) -> None:
        for v in verdicts:
            if str(v.event_id) in self._awaited:
                del self._awaited[str(v.event_id)]
                self.counts["acknowledged"] += 1
                if v.status is VerdictStatus.ACCEPTED:
                    self.counts["accepted"] += 1
        self._window.show_verdicts(verdicts)
        self._recorder.request_stats()
