"""Make-up punches (补卡) at the kiosk: offered after a recognised scan, filed through the
sync thread, answered on the card.

After a recorded (or already recorded) scan of a known employee, the card offers "Forgot a
punch?" for ``[ui] corrections_offer_s`` seconds (0: never). The screen's form becomes a
request for the badge just scanned only (no choosing another employee); the sync thread
writes it to the durable queue and sends it signed, now or when the connection returns.
The answer (waiting for approval, or the server's refusal) is shown on the card.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import tzinfo
from uuid import UUID

from PySide6.QtCore import QObject

from kiosk.core.clock import Clock
from kiosk.core.corrections import CorrectionForm, build_request
from kiosk.core.recorder import Outcome
from kiosk.flows.scan_routing import ScanRouter
from kiosk.services.sync_service import SyncService
from kiosk.sync.corrections import CorrectionResult
from kiosk.ui import messages
from kiosk.ui.main_window import KioskWindow

log = logging.getLogger("kiosk.flows.corrections")


class CorrectionFlow(QObject):
    """Attributes:
        filed: request ids handed to the sync thread, by the employee's name (tests).
    """

    def __init__(self, window: KioskWindow, router: ScanRouter, sync: SyncService,
                 clock: Clock, site_tz: Callable[[], tzinfo], offer_s: float,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window, self._sync, self._clock, self._tz = window, sync, clock, site_tz
        self._offer_s = offer_s
        self._badge: tuple[str, str] | None = None  # (badge text, name) of the last scan
        self.filed: dict[UUID, str] = {}
        router.badge_recognised.connect(self.on_recognised)
        window.correction_filed.connect(self.file)
        sync.corrections_answered.connect(self.on_answers)

    def on_recognised(self, outcome: Outcome, text: str) -> None:
        if self._offer_s <= 0:
            return
        self._badge = (text, outcome.name or outcome.employee_id or "")
        self._window.offer_correction(self._badge[1], self._offer_s)

    def file(self, form: CorrectionForm) -> None:
        if self._badge is None:
            return
        text, name = self._badge
        self._badge = None  # one request per scan
        req = build_request(form, text, self._clock.now(), self._tz())
        if not self._sync.file_correction(req):
            self._window.show_correction_message(messages.correction_refused(name, "not_stored"))
            return
        self.filed[req.request_id] = name
        log.info("make-up request handed to the sync thread (%s %s)", form.direction,
                 f"{form.hour:02d}:{form.minute:02d}")
        self._window.show_correction_message(messages.correction_queued(name))

    def on_answers(self, results: list[CorrectionResult]) -> None:
        for result in results:
            name = self.filed.pop(result.request_id, "")
            if result.receipt is not None:
                msg = messages.correction_sent(name, result.receipt.work_date)
            else:
                msg = messages.correction_refused(name, result.refused or "")
            self._window.show_correction_message(msg)
