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
from collections import OrderedDict, deque

from PySide6.QtCore import QObject, Signal

from kiosk.core.protocol import Verdict, VerdictStatus
from kiosk.core.recorder import Outcome, OutcomeKind
from kiosk.services.recorder_service import RecorderService
from kiosk.services.status import StatusModel
from kiosk.ui.main_window import KioskWindow

MAX_AWAITED = 10_000  # punches recorded here still waiting for a verdict that we track


class ScanRouter(QObject):
    """Attributes:
        counts: scans, each outcome kind, acknowledged/accepted.

    Signals:
        badge_recognised(Outcome, str): after the card showed a recorded (or already
            recorded) punch of a known employee: the outcome and the badge text scanned
            (the make-up request is filed for that badge only). In-process only, never logged.
    """

    badge_recognised = Signal(object, str)

    def __init__(self, recorder: RecorderService, window: KioskWindow, status: StatusModel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._recorder = recorder
        self._window = window
        self._status = status
        self._closed = False
        self._awaited: OrderedDict[str, None] = OrderedDict()
        self._texts: deque[tuple[str, float | None, str]] = deque(maxlen=64)  # in flight
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
        self._texts.append((source, frame_ts, text))
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
        text = self._text_of(outcome)
        if text is not None and outcome.employee_id and \
                outcome.kind in (OutcomeKind.RECORDED, OutcomeKind.ALREADY):
            self.badge_recognised.emit(outcome, text)

    def _text_of(self, outcome: Outcome) -> str | None:
        """The text this outcome is the answer to (the recorder answers in order)."""
        while self._texts:
            source, frame_ts, text = self._texts.popleft()
            if source == outcome.source and frame_ts == outcome.frame_ts:
                return text
        return None

    def show_verdicts(self, verdicts: list[Verdict]) -> None:
        for v in verdicts:
            if str(v.event_id) in self._awaited:
                del self._awaited[str(v.event_id)]
                self.counts["acknowledged"] += 1
                if v.status is VerdictStatus.ACCEPTED:
                    self.counts["accepted"] += 1
        self._window.show_verdicts(verdicts)
        self._recorder.request_stats()
