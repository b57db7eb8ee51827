"""Problems as codes: what went wrong, raised with a code where it went wrong.

Every error the Qt-free kiosk raises is a :class:`KioskError` carrying a
:class:`ProblemCode` (and at most one short argument: ``host:port``, an HTTP status, a
server's error code) from the place that knows what happened. Nothing downstream reads an
error's English text to find out what it was: the text is for the log and the diagnostics
zip; :mod:`kiosk.core.problem_text` turns the code into the sentence people read.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ProblemCode(enum.StrEnum):
    """Stable identifiers (kept in the outbox: never rename a value, only add)."""

    # the link to the server
    REFUSED = "refused"  # connection refused
    DNS = "dns"  # name not found
    TIMEOUT = "timeout"
    TLS = "tls"  # certificate not trusted, handshake failed
    DROPPED = "dropped"  # the server closed the connection
    UNREACHABLE = "unreachable"  # any other failed connection
    HTTP_STATUS = "http_status"  # 5xx, 429, or a 4xx that is not our server's refusal
    REFUSED_REQUEST = "refused_request"  # our server refused the request for good
    AUTH = "auth"  # 401: the signature was not accepted
    REVOKED = "revoked"  # 403 terminal_revoked
    BAD_ANSWER = "bad_answer"  # an answer that is not our server's (or has no verdicts)
    NOT_AUTHENTICATED = "not_authenticated"  # an answer without a valid server receipt
    INSECURE_HTTP = "insecure_http"  # plain http:// to a host that is not loopback
    INSECURE_HTTP_ALLOWED = "insecure_http_allowed"  # ... allowed by [sync] allow_insecure_http
    # the terminal itself
    NOT_ENROLLED = "not_enrolled"
    NO_SECRET = "no_secret"
    SECRET_STORE = "secret_store"
    CONFIG_INVALID = "config_invalid"
    INTERNAL = "internal"  # a bug: see the log
    UNKNOWN = "unknown"  # a code this version does not know (an outbox from a newer one)
    # the outbox
    OUTBOX_FULL = "outbox_full"
    OUTBOX_READ_ONLY = "outbox_read_only"
    OUTBOX_CORRUPT = "outbox_corrupt"
    OUTBOX_NEWER = "outbox_newer"  # written by a newer kiosk: left untouched
    OUTBOX_FAILED = "outbox_failed"
    # enrolment
    ENROL_BAD_ADDRESS = "enrol_bad_address"
    ENROL_BAD_CODE = "enrol_bad_code"
    ENROL_CONFIG_READ = "enrol_config_read"
    ENROL_CONFIG_WRITE = "enrol_config_write"
    ENROL_TIMEOUT = "enrol_timeout"
    ENROL_UNREACHABLE = "enrol_unreachable"
    ENROL_REFUSED = "enrol_refused"  # arg: the server's error code
    ENROL_BAD_ANSWER = "enrol_bad_answer"
    ENROL_CODE_SPENT = "enrol_code_spent"
    NO_KEYRING = "no_keyring"
    ENROL_FAILED = "enrol_failed"
    ENROL_NOT_AUTHENTICATED = "enrol_not_authenticated"  # no valid receipt: nothing saved
    ENROL_NO_ENDPOINT = "enrol_no_endpoint"  # the address answers, but is no check-in server
    # the event stream from the server (kiosk/sync/push.py)
    PUSH_BAD_SIGNATURE = "push_bad_signature"  # an event not signed by our server: ignored
    PUSH_POLLING = "push_polling"  # the stream is held back (a buffering proxy): polling
    PUSH_COMMAND_FAILED = "push_command_failed"  # arg: the command IT sent

    @classmethod
    def parse(cls, value: str | None) -> ProblemCode:
        """A stored code; one this version does not know is UNKNOWN (never an error)."""
        try:
            return cls(value or "")
        except ValueError:
            return cls.UNKNOWN


@dataclass(frozen=True, slots=True)
class Problem:
    """A code, its argument, and the English text behind it (``raw``: log only)."""

    code: ProblemCode
    arg: str = ""
    raw: str = ""


class KioskError(Exception):
    """Base of the errors the Qt-free kiosk raises: a code from where it is raised.

    Subclasses set a default ``code``; a raise site that knows better passes ``code=``.
    The message is an English sentence for the log (never a secret or a badge text).
    """

    code: ProblemCode = ProblemCode.INTERNAL

    def __init__(self, message: str = "", *, code: ProblemCode | None = None,
                 arg: str = "") -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.arg = arg

    @property
    def problem(self) -> Problem:
        return Problem(self.code, self.arg, str(self) or type(self).__name__)


def problem_of(error: BaseException) -> Problem:
    """The problem an exception stands for: its own code, or INTERNAL for a bug."""
    if isinstance(error, KioskError):
        return error.problem
    return Problem(ProblemCode.INTERNAL, raw=f"{type(error).__name__}: {error}")
