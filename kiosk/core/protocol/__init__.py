"""The protocol both the kiosk and server_stub import, so the two can never disagree.

No Qt here, and nothing that does I/O: badge tokens (:mod:`.badge`), request signing
(:mod:`.signing`) and the API payloads (:mod:`.models`).
"""

from .badge import (
    Badge,
    BadgeError,
    BadgeErrorReason,
    BadgeSigner,
    BadgeVerifier,
    parse_badge,
    public_key_from_text,
    public_key_to_text,
)
from .models import (
    API_PREFIX,
    MAX_BATCH,
    BatchResult,
    CorrectionReceipt,
    CorrectionRequest,
    Direction,
    EnrollRequest,
    EnrollResponse,
    ErrorBody,
    Heartbeat,
    HeartbeatAnswer,
    Punch,
    PunchBatch,
    RejectReason,
    Roster,
    RosterEmployee,
    ShiftHint,
    Source,
    TimeResponse,
    Verdict,
    VerdictStatus,
)
from .receipt import H_RECEIPT, receipt_valid, sign_receipt
from .signing import (
    AuthError,
    AuthErrorReason,
    NonceStore,
    new_secret,
    read_headers,
    sign_request,
    verify_request,
)

__all__ = [
    "API_PREFIX", "H_RECEIPT", "MAX_BATCH", "AuthError", "AuthErrorReason", "Badge",
    "BadgeError", "BadgeErrorReason", "BadgeSigner", "BadgeVerifier", "BatchResult",
    "CorrectionReceipt", "CorrectionRequest", "Direction",
    "EnrollRequest", "EnrollResponse", "ErrorBody", "Heartbeat", "HeartbeatAnswer", "NonceStore", "Punch",
    "PunchBatch", "RejectReason", "Roster", "RosterEmployee", "ShiftHint", "Source",
    "TimeResponse", "Verdict", "VerdictStatus", "new_secret", "parse_badge",
    "public_key_from_text", "public_key_to_text", "read_headers", "receipt_valid",
    "sign_receipt", "sign_request", "verify_request",
]
