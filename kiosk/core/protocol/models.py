"""API payloads shared by kiosk and server (pydantic, versioned, strict).

Every model forbids unknown fields so that a typo or a newer client is refused with a clear
422 instead of being half-understood.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta, timezone
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

API_PREFIX = "/api/v1"
PROTOCOL_VERSION = 1
MAX_BATCH = 500

TerminalId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


# Any timestamp on the wire lies in these years: far enough either side for any real clock,
# near enough that adding an offset (or converting to UTC) can never overflow a datetime.
MIN_TIME = datetime(1970, 1, 1, tzinfo=timezone.utc)
MAX_TIME = datetime(2200, 1, 1, tzinfo=timezone.utc)


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must carry a UTC offset")
    try:
        value = value.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+14:00 is before year 1 in UTC
        value = MIN_TIME - timedelta(days=1)
    if not MIN_TIME <= value < MAX_TIME:
        raise ValueError("timestamp must lie between 1970-01-01 and 2200-01-01 (UTC)")
    return value


UtcDatetime = Annotated[datetime, AfterValidator(_require_utc)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(str, enum.Enum):
    CAMERA = "camera"
    WEDGE = "wedge"


class Punch(_Model):
    """One badge scan as the terminal recorded it. ``event_id`` makes it idempotent."""

    v: Literal[1] = 1
    event_id: UUID
    terminal_id: TerminalId
    seq: int = Field(ge=1, le=2**62)
    badge: str = Field(min_length=1, max_length=256)
    wall_time: UtcDatetime
    clock_offset_s: float = Field(ge=-10 * 365 * 86400, le=10 * 365 * 86400)
    source: Source
    app_version: str = Field(min_length=1, max_length=40)

    @property
    def server_time(self) -> datetime:
        """When the punch happened on the server's clock (wall time + measured offset)."""
        return self.wall_time + timedelta(seconds=self.clock_offset_s)


class PunchBatch(_Model):
    punches: list[Punch] = Field(min_length=1, max_length=MAX_BATCH)


class VerdictStatus(str, enum.Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Direction(str, enum.Enum):
    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"
    REPEAT = "repeat"  # within the shift's minimum presence after the check-in: not a check-out


class RejectReason(str, enum.Enum):
    """Why the server refused a punch for good (the kiosk keeps it as rejected)."""

    BADGE_MALFORMED = "badge_malformed"
    BADGE_UNKNOWN_KEY = "badge_unknown_key"
    BADGE_BAD_SIGNATURE = "badge_bad_signature"
    BADGE_EXPIRED = "badge_expired"
    BADGE_NOT_YET_VALID = "badge_not_yet_valid"
    BADGE_REVOKED = "badge_revoked"
    EMPLOYEE_UNKNOWN = "employee_unknown"
    EMPLOYEE_INACTIVE = "employee_inactive"
    WRONG_SITE = "wrong_site"
    TIME_IMPLAUSIBLE = "time_implausible"
    TERMINAL_MISMATCH = "terminal_mismatch"
    TERMINAL_REVOKED = "terminal_revoked"
    CONFLICT = "conflict"


class Verdict(_Model):
    """The server's answer for one punch; replayed unchanged for a repeated event id."""

    event_id: UUID
    status: VerdictStatus
    direction: Direction | None = None
    late_min: int = 0
    early_leave_min: int = 0
    shift_start: str | None = None  # "09:00", for the card: "Late 7 min (shift 09:00, grace 5)"
    shift_end: str | None = None
    grace_min: int | None = None
    local_time: str | None = None  # "17:02": the punch in the site's time, for the card
    checked_in_at: str | None = None  # "08:53": the day's check-in, for a repeat or check-out
    reason: RejectReason | None = None
    message: str = ""
    employee_id: str | None = None
    duplicate: bool = False


class BatchResult(_Model):
    results: list[Verdict]
    server_time: UtcDatetime


class EnrollRequest(_Model):
    code: str = Field(min_length=4, max_length=64)
    app_version: str = Field(default="", max_length=40)


class EnrollResponse(_Model):
    terminal_id: TerminalId
    secret: str
    name: str
    site: str
    server_time: UtcDatetime


class TimeResponse(_Model):
    server_time: UtcDatetime


class ShiftHint(_Model):
    start: str  # "HH:MM" local to the site
    end: str
    grace_min: int = 0


class RosterEmployee(_Model):
    name: str
    shift: ShiftHint | None = None


class Roster(_Model):
    """What a terminal needs to verify badges and greet people while offline."""

    version: str
    terminal_id: TerminalId
    terminal_name: str
    site: str
    keys: dict[str, str]  # key id -> Ed25519 public key, raw bytes in base64url
    revoked: list[str]  # badge ids
    employees: dict[str, RosterEmployee]  # employee id -> display data (this site only)
    cooldown_s: int = 60
    timezone: str = "UTC"


class OutboxReplaced(_Model):
    """A corrupt outbox was moved aside and a fresh one started: the seqs in
    ``first_seq..last_seq`` may be lost unless salvaged (empty when first > last)."""

    moved_to: str = Field(min_length=1, max_length=200)  # the file's name on the terminal
    first_seq: int = Field(ge=1, le=2**62)
    last_seq: int = Field(ge=0, le=2**62)
    at: UtcDatetime


class Heartbeat(_Model):
    app_version: str = Field(max_length=40)
    pending: int = Field(ge=0)
    oldest_pending_age_s: float | None = Field(default=None, ge=0)
    rejected: int = Field(default=0, ge=0)
    last_error: str | None = Field(default=None, max_length=500)
    last_sync: UtcDatetime | None = None
    clock_offset_s: float | None = None
    camera_state: str = Field(default="unknown", max_length=40)
    last_seq: int = Field(default=0, ge=0)
    # 2: the terminal reads HeartbeatAnswer (the server's highest stored seq) and may report
    # replaced outboxes; a 1 (older kiosk) gets the plain TimeResponse
    v: int = Field(default=1, ge=1, le=2)
    outbox_replaced: list[OutboxReplaced] = Field(default_factory=list, max_length=20)


class HeartbeatAnswer(_Model):
    """The answer to a v2 heartbeat: server time and the highest seq stored for the
    terminal, so a fresh outbox never hands out a number the server already has."""

    server_time: UtcDatetime
    last_seq_stored: int = Field(default=0, ge=0)


class CorrectionRequest(_Model):
    """A make-up punch (补卡) filed at the terminal right after a scan; waits for HR.

    ``badge`` is the badge just scanned (the server verifies it as for a punch, so a
    terminal can file only for someone who is there); ``request_id`` makes a retry safe.
    """

    request_id: UUID
    badge: str = Field(min_length=1, max_length=256)
    at: UtcDatetime  # the missing punch's instant
    direction: Literal["check_in", "check_out"]
    reason: str = Field(min_length=1, max_length=500)


class CorrectionReceipt(_Model):
    id: int
    status: Literal["pending", "approved", "rejected"]
    work_date: str
    server_time: UtcDatetime


class ErrorBody(_Model):
    """Every 4xx body: a stable code for machines and a sentence for people."""

    error: str
    message: str
    server_time: UtcDatetime | None = None
