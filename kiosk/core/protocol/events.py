"""The server's event stream to a terminal (``GET /api/v1/events``): framing and signatures.

Server-Sent Events, one event per change or command::

    id: 42
    event: badge_revoked
    sig: <64 hex digits>
    data: {"at":"2026-12-01T12:00:00+00:00","data":{"badge_id":"b1a2b3c4"},"id":42,"kind":"badge_revoked"}

``sig`` is the server's receipt (:func:`.receipt.sign_receipt`, the same HMAC every signed
answer carries) over the ``data`` line's exact bytes, with the stream request's nonce and the
event id as the nonce (``NONCE:ID``) and status 200: an event cannot be forged without the
terminal's secret, nor replayed into another stream or as another id. Lines starting with
``:`` are heartbeats (unsigned; they only prove the connection is alive). The stream starts
with a signed ``hello`` whose id is the newest event id the server has, so a terminal that
connects for the first time knows where to resume from. ``?after=N`` (signed, in the path)
resumes after event N; ``?wait=S`` makes the answer end after S seconds (long polling, for a
proxy that buffers streams).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .receipt import receipt_valid, sign_receipt

EVENTS_PATH = "/events"
HELLO = "hello"
# What changed (the terminal refreshes its roster) ...
ROSTER_KINDS = frozenset({
    "badge_revoked", "employee_added", "employee_changed", "employee_deactivated",
    "employee_activated", "employees_imported", "key_added", "key_retired", "site_changed",
})
SETTINGS_CHANGED = "settings_changed"
# ... and what IT asks of it (acknowledged with POST /api/v1/commands/ID/ack).
COMMAND = "command"
COMMANDS = ("sync", "reload", "diagnostics", "message")
MAX_MESSAGE = 200
MAX_LINE = 64 * 1024  # no event is near this; a longer line is not our server


@dataclass(frozen=True)
class PushEvent:
    """One event as the terminal receives it (after its signature checked)."""

    id: int
    kind: str
    at: str
    data: dict[str, Any]

    @property
    def command(self) -> str | None:
        value = self.data.get("command") if self.kind == COMMAND else None
        return value if isinstance(value, str) else None


def event_json(event_id: int, kind: str, at: datetime | str, data: dict[str, Any]) -> bytes:
    """The ``data`` line's bytes: compact JSON with sorted keys (one line, no newline)."""
    when = at.isoformat() if isinstance(at, datetime) else at
    body = {"id": int(event_id), "kind": kind, "at": when, "data": data}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _nonce(stream_nonce: str, event_id: int) -> str:
    return f"{stream_nonce}:{int(event_id)}"


def sign_event(secret: str, stream_nonce: str, event_id: int, data: bytes) -> str:
    return sign_receipt(secret, _nonce(stream_nonce, event_id), 200, data)


def frame(secret: str, stream_nonce: str, event_id: int, kind: str, data: bytes) -> bytes:
    """One signed SSE event, ready to write."""
    sig = sign_event(secret, stream_nonce, event_id, data)
    return b"id: %d\nevent: %s\nsig: %s\ndata: %s\n\n" % (
        event_id, kind.encode(), sig.encode(), data)


HEARTBEAT = b": ping\n\n"


@dataclass(frozen=True)
class RawEvent:
    """An SSE event as read from the wire, before its signature is checked."""

    id: str | None
    kind: str | None
    sig: str | None
    data: bytes


class BadEvent(ValueError):
    """An event whose signature does not verify, or whose data is not ours."""


def verify(raw: RawEvent, secret: str, stream_nonce: str) -> PushEvent:
    """The event, if its signature and shape are right; else :class:`BadEvent`."""
    try:
        body = json.loads(raw.data)
        event_id = body["id"]
        if not isinstance(event_id, int) or isinstance(event_id, bool) or event_id < 0:
            raise BadEvent("event id is not a number")
    except (ValueError, KeyError, TypeError):
        raise BadEvent("event data is not an event") from None
    if not receipt_valid(secret, _nonce(stream_nonce, event_id), 200, raw.data, raw.sig):
        raise BadEvent("event signature does not match")
    kind, at, data = body.get("kind"), body.get("at"), body.get("data")
    if not isinstance(kind, str) or not isinstance(at, str) or not isinstance(data, dict):
        raise BadEvent("event fields are malformed")
    if raw.kind is not None and raw.kind != kind:
        raise BadEvent("event name differs from the signed kind")
    return PushEvent(event_id, kind, at, data)


class SseParser:
    """Incremental SSE parser: feed lines (bytes without the newline), get events out.

    Comments (heartbeats) are counted in :attr:`heartbeats`; unknown fields are ignored
    (as the SSE standard says), except ``sig``, which is ours.
    """

    def __init__(self) -> None:
        self.heartbeats = 0
        self._reset()

    def _reset(self) -> None:
        self._id: str | None = None
        self._kind: str | None = None
        self._sig: str | None = None
        self._data: list[bytes] = []

    def feed(self, line: bytes) -> RawEvent | None:
        line = line.rstrip(b"\r")
        if not line:
            if not self._data:
                self._reset()
                return None
            event = RawEvent(self._id, self._kind, self._sig, b"\n".join(self._data))
            self._reset()
            return event
        if line.startswith(b":"):
            self.heartbeats += 1
            return None
        name, _, value = line.partition(b":")
        value = value[1:] if value.startswith(b" ") else value
        if name == b"data":
            self._data.append(value)
        elif name == b"id":
            self._id = value.decode("ascii", "replace")
        elif name == b"event":
            self._kind = value.decode("ascii", "replace")
        elif name == b"sig":
            self._sig = value.decode("ascii", "replace")
        return None

    def feed_all(self, lines: Iterator[bytes]) -> Iterator[RawEvent]:
        for line in lines:
            event = self.feed(line)
            if event is not None:
                yield event
