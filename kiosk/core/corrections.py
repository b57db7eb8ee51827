"""A make-up punch (补卡) as the kiosk's touch screen fills it in, and the request it makes.

Pure: the day is picked relative to today on the site's clock (yesterday, today, two days
ago), the time with steppers, the reason from a few presets. The request carries only the
badge just scanned: the server verifies it and files it for that employee.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Literal

from kiosk.core.protocol import CorrectionRequest

Direction = Literal["check_in", "check_out"]

# key -> the sentence HR reads in the request (English, as the server's audit is); the
# kiosk shows the key's translated label.
REASONS: dict[str, str] = {
    "forgot": "Forgot to scan",
    "badge_missing": "Badge not at hand",
    "terminal_down": "Terminal was not working",
    "work_outside": "Working outside the office",
}
DAYS_AGO = (1, 0, 2)  # yesterday first: the usual case ("I forgot to check out yesterday")


@dataclass(frozen=True)
class CorrectionForm:
    days_ago: int = 1
    direction: Direction = "check_out"
    hour: int = 17
    minute: int = 0
    reason: str = "forgot"

    def __post_init__(self) -> None:
        if self.days_ago not in DAYS_AGO:
            raise ValueError("days_ago must be 0, 1 or 2")
        if not (0 <= self.hour < 24 and 0 <= self.minute < 60):
            raise ValueError("hour 0-23 and minute 0-59")
        if self.reason not in REASONS:
            raise ValueError(f"unknown reason {self.reason!r}")


def step_time(hour: int, minute: int, delta_min: int) -> tuple[int, int]:
    """The stepper: ``delta_min`` minutes later (or earlier), wrapping round the day."""
    total = (hour * 60 + minute + delta_min) % (24 * 60)
    return total // 60, total % 60


def build_request(form: CorrectionForm, badge: str, now: datetime, tz: tzinfo) -> CorrectionRequest:
    """The signed request's body for ``form``: the instant on the site's clock."""
    day = now.astimezone(tz).date() - timedelta(days=form.days_ago)
    at = datetime.combine(day, time(form.hour, form.minute), tzinfo=tz)
    return CorrectionRequest(request_id=uuid.uuid4(), badge=badge, at=at,
                             direction=form.direction, reason=REASONS[form.reason])
