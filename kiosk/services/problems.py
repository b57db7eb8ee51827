"""Errors from the Qt-free modules, turned into codes the UI can say in any language.

The sync client, the outbox and enrolment raise exceptions whose messages are English
sentences (or, for a failed connection, the library's own text). The status panel and the
enrolment screen must not show those raw: they get a :class:`Problem` (a code and at most
one short argument, such as ``127.0.0.1:46825`` or ``503``), and ``kiosk.ui.problems``
says it in words. The raw text stays in ``raw`` for the log and the diagnostics zip.

Classification uses the exception type when there is one, and the message's stable parts
when only a string survived (the outbox's ``last_error`` meta, a background call).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from kiosk.store.errors import OutboxError, OutboxFullError, OutboxReadOnlyError
from kiosk.sync.client import (
    AuthFailed, Refused, ServerBusy, SyncError, TerminalRevoked, TransportError, Unauthenticated,
)
from kiosk.sync.secrets import SecretStoreError
from kiosk.sync.tls import NOT_TRUSTED


@dataclass(frozen=True)
class Problem:
    """code: what went wrong; arg: host:port, an HTTP status or a server's error code."""

    code: str
    arg: str = ""
    raw: str = ""


_HOST_PORT = re.compile(r"host='([^']+)',\s*port=(\d+)")
_STATUS = re.compile(r"answered (\d{3})")
_REFUSED_REQUEST = re.compile(r"refused the request: (\d{3})")
_SERVER_CODE = re.compile(r"\(([a-z_]+)\)\s*$")

_CONNECTION = [  # (code, pattern) for a failed connection; first match wins
    ("timeout", re.compile(r"timed? ?out|within the timeout|Timeout", re.I)),
    ("tls", re.compile(r"SSL|CERTIFICATE|certificate verify", re.I)),
    ("dns", re.compile(r"NameResolution|Name or service not known|getaddrinfo|"
                       r"nodename nor servname|name resolution|No address associated", re.I)),
    ("refused", re.compile(r"Connection refused|Errno 111|WinError 10061|ECONNREFUSED", re.I)),
    ("dropped", re.compile(r"RemoteDisconnected|Connection aborted|Connection reset|"
                           r"ConnectionReset|Broken pipe|closed connection", re.I)),
]


def _chain_text(error: BaseException | str) -> str:
    """The text of an error and of everything behind it: the client raises ``from None``
    and shortens the library's message, but ``__context__`` still holds the original
    (requests -> urllib3 -> ConnectionRefusedError ...)."""
    if isinstance(error, str):
        return error
    parts: list[str] = []
    seen: set[int] = set()
    todo: list[object] = [error]
    while todo and len(parts) < 12:
        exc = todo.pop(0)
        if not isinstance(exc, BaseException) or id(exc) in seen:
            continue
        seen.add(id(exc))
        parts.append(f"{type(exc).__name__}: {exc}")
        todo.extend([exc.__cause__, exc.__context__, getattr(exc, "reason", None),
                     *[a for a in exc.args if isinstance(a, BaseException)]])
    return " | ".join(parts)


def _where(text: str, url: str | None) -> str:
    m = _HOST_PORT.search(text)
    if m:
        return f"{m.group(1)}:{m.group(2)}"
    if url:
        parts = urlsplit(url)
        return parts.netloc or url
    return ""


def outbox_problem(error: BaseException | str | None) -> Problem | None:
    """The outbox could not be opened, written or read."""
    if error is None or error == "":
        return None
    text = str(error)
    if isinstance(error, OutboxFullError) or (isinstance(error, str) and " is full" in text):
        return Problem("outbox_full", raw=text)
    if isinstance(error, OutboxReadOnlyError) or (isinstance(error, str)
                                                  and "read-only" in text):
        return Problem("outbox_read_only", raw=text)
    if "corrupt" in text:
        return Problem("outbox_corrupt", raw=text)
    return Problem("outbox_failed", raw=text)


def sync_problem(error: BaseException | str | None, url: str | None = None) -> Problem | None:
    """Why the last sync (or the last try of ``url``) failed; None when it did not."""
    if error is None or error == "":
        return None
    text = " ".join(str(error).split())
    if isinstance(error, OutboxError) or (isinstance(error, str) and "punch buffer" in text):
        return outbox_problem(error if isinstance(error, OutboxError) else text)
    if isinstance(error, ServerBusy):
        return Problem("http_status", str(error.status), text)
    if isinstance(error, AuthFailed) or text.startswith("server refused our signature"):
        return Problem("auth", getattr(error, "error", ""), text)
    if isinstance(error, TerminalRevoked) or "terminal revoked" in text:
        return Problem("revoked", raw=text)
    if isinstance(error, Refused):
        return Problem("refused_request", str(error.status), text)
    if isinstance(error, SecretStoreError):
        return Problem("secret_store", raw=text)
    if isinstance(error, Unauthenticated) or "not authenticated" in text:
        return Problem("not_authenticated", _where(text, url), text)
    if text.startswith(NOT_TRUSTED):
        return Problem("tls", _where(_chain_text(error), url), text)
    if text.startswith("plain http://"):
        return Problem("insecure_http", _where(text, url), text)
    transport = isinstance(error, TransportError) or text.startswith(
        ("no answer within the timeout", "connection failed", "request failed"))
    if transport:
        full = _chain_text(error)
        for code, pattern in _CONNECTION:
            if pattern.search(full):
                return Problem(code, _where(full, url), text)
        return Problem("unreachable", _where(full, url), text)
    if m := _STATUS.search(text):
        return Problem("http_status", m.group(1), text)
    if m := _REFUSED_REQUEST.search(text):
        return Problem("refused_request", m.group(1), text)
    if text.startswith("not enrolled"):
        return Problem("not_enrolled", raw=text)
    if text.startswith("no secret for terminal"):
        return Problem("no_secret", raw=text)
    if "keyring" in text.lower() or "secret file" in text:
        return Problem("secret_store", raw=text)
    if "had no verdict" in text:
        return Problem("bad_answer", raw=text)
    if text.startswith("internal error"):
        return Problem("internal", raw=text)
    return Problem("unknown", raw=text)


def enrol_problem(error: BaseException | str) -> Problem:
    """Why enrolment failed (``kiosk.sync.enroll.EnrollError`` says it in English)."""
    text = " ".join(str(error).split())
    if isinstance(error, SecretStoreError):
        return Problem("no_keyring", raw=text)
    checks = [
        ("enrol_bad_address", "must start with http"),
        ("enrol_bad_code", "4 to 64 characters"),
        ("enrol_config_read", "config cannot be read"),
        ("enrol_config_write", "cannot be written"),
        ("enrol_timeout", "did not answer in time"),
        ("enrol_unreachable", "Cannot reach the server"),
        ("enrol_bad_answer", "does not understand"),
        ("enrol_code_spent", "The code was used"),
        ("enrol_not_authenticated", "not authenticated"),
    ]
    for code, needle in checks:
        if needle in text:
            return Problem(code, raw=text)
    if "refused the enrolment" in text:
        m = _SERVER_CODE.search(text)
        return Problem("enrol_refused", m.group(1) if m else "", text)
    if "keyring" in text.lower() or "secret" in text.lower():
        return Problem("no_keyring", raw=text)
    return Problem("enrol_failed", raw=text)
