"""Scan routing on its own, with a fake recorder and window: counts, the bounded set of
punches awaiting a verdict, no scans once the shutdown began, a wedge scanner's layout to
the status model."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import QObject, Signal

from kiosk.core.protocol import Verdict, VerdictStatus
from kiosk.core.recorder import Outcome, OutcomeKind
from kiosk.flows import scan_routing
from kiosk.flows.scan_routing import ScanRouter
from kiosk.services.status import Status, StatusModel


class FakeRecorder(QObject):
    punch_recorded = Signal(object)
    scan_refused = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[tuple[str, str, float | None]] = []
        self.stats_requests = 0

    def submit(self, text: str, source: str, frame_ts: float | None = None) -> None:
        self.submitted.append((text, source, frame_ts))

    def request_stats(self) -> None:
        self.stats_requests += 1


class FakeWindow:
    def __init__(self) -> None:
        self.shown: list[Any] = []

    def show_code(self, text: str, polygon: list[list[int]], frame_ts: float) -> None:
        self.shown.append(("code", text))

    def show_outcome(self, outcome: Outcome) -> None:
        self.shown.append(("outcome", outcome.kind))

    def show_verdicts(self, verdicts: list[Verdict]) -> None:
        self.shown.append(("verdicts", len(verdicts)))


def _router() -> tuple[ScanRouter, FakeRecorder, FakeWindow, StatusModel]:
    recorder, window, status = FakeRecorder(), FakeWindow(), StatusModel(Status())
    return ScanRouter(recorder, window, status), recorder, window, status  # type: ignore[arg-type]


def _recorded() -> Outcome:
    return Outcome(OutcomeKind.RECORDED, "wedge", event_id=str(uuid.uuid4()))


def test_scans_outcomes_and_verdicts_are_counted_and_shown():
    router, recorder, window, _ = _router()
    router.on_code("KB2.X", [[0, 0]], 1.5)
    router.on_wedge("KB2.Y")
    assert [s[:2] for s in recorder.submitted] == [("KB2.X", "camera"), ("KB2.Y", "wedge")]
    ours, other = _recorded(), str(uuid.uuid4())
    recorder.punch_recorded.emit(ours)
    recorder.scan_refused.emit(Outcome(OutcomeKind.REFUSED, "camera"))
    router.show_verdicts([Verdict(event_id=uuid.UUID(ours.event_id), status=VerdictStatus.ACCEPTED),
                          Verdict(event_id=uuid.UUID(other), status=VerdictStatus.ACCEPTED)])
    c = router.counts
    assert (c["scans"], c["recorded"], c["refused"], c["acknowledged"], c["accepted"]) == (
        2, 1, 1, 1, 1)  # another terminal's verdict is not ours
    assert router.awaited == 0 and recorder.stats_requests == 1
    assert window.shown[0] == ("code", "KB2.X") and window.shown[-1] == ("verdicts", 2)


def test_the_awaited_punches_are_bounded(monkeypatch):
    monkeypatch.setattr(scan_routing, "MAX_AWAITED", 5)
    router, recorder, _, _ = _router()
    for _ in range(12):
        recorder.punch_recorded.emit(_recorded())
    assert router.awaited == 5 and router.counts["recorded"] == 12


def test_no_new_scans_once_closed():
    router, recorder, _, _ = _router()
    router.close()
    router.on_wedge("KB2.Z")
    assert recorder.submitted == [] and router.counts["scans"] == 0


def test_a_layout_mix_up_reaches_the_status_model():
    router, recorder, _, status = _router()
    recorder.punch_recorded.emit(Outcome(OutcomeKind.RECORDED, "wedge", event_id="e",
                                         layout="qwertz"))
    assert status.status.scanner_layout == "qwertz"
