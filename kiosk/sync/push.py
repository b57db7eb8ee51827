"""The event stream from the server, on its own worker thread (never the GUI thread).

:class:`PushWorker` holds ``GET /api/v1/events`` open, checks each event's signature (the
server's receipt over the event, :mod:`kiosk.core.protocol.events`), hands verified ones to
its handler in id order and remembers the last id on disk, so a reconnect (or a restart)
resumes after it and nothing is lost. A dropped connection is retried with backoff and
jitter, on every server URL in turn. When the stream opens but nothing arrives (a proxy
that buffers the answer until it ends), it falls back to long polling: the same request
with ``?wait=S``, answered as soon as there is an event or after S seconds; every
``retry_stream_s`` it tries streaming again. An event whose signature does not verify is
ignored (and counted); it never moves the resume point.
"""

from __future__ import annotations

import json
import logging
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import requests
import urllib3

from kiosk.core.clock import Clock
from kiosk.core.config import Config
from kiosk.core.paths import atomic_write
from kiosk.core.problems import Problem, ProblemCode
from kiosk.core.protocol import events as wire

from .client import AuthFailed, SyncClient, SyncError, TerminalRevoked, TransportError
from .clock_offset import ClockOffset
from .engine import backoff_delay
from .secrets import SecretStore, SecretStoreError
from .tls import make_session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushState:
    """What the status panel shows about the event stream."""

    connected: bool = False
    mode: str = "stream"  # "stream", or "poll" behind a proxy that buffers
    last_event_id: int | None = None
    events: int = 0  # verified events handled since the start
    bad_events: int = 0  # events ignored: their signature did not verify
    problem: Problem | None = None


class PushHandler(Protocol):
    """Runs on the push thread; must not touch Qt widgets (emit signals instead)."""

    def on_connected(self, resumed: bool) -> None: ...

    def on_event(self, event: wire.PushEvent, client: SyncClient) -> None: ...


class _Stalled(Exception):
    """The stream opened but no event came within the read timeout."""


class PushWorker:
    """The event stream of one enrolled terminal; :meth:`run` loops on a stop event."""

    def __init__(
        self, config: Config, secret_store: SecretStore, clock: Clock, offset: ClockOffset,
        state_file: Path, handler: PushHandler, *,
        on_state: Callable[[PushState], None] | None = None,
        session: requests.Session | None = None, rng: random.Random | None = None,
        heartbeat_s: float = 15.0, poll_wait_s: float = 20.0, stall_limit: int = 2,
        retry_stream_s: float = 600.0, backoff_base_s: float = 1.0, backoff_cap_s: float = 30.0,
    ) -> None:
        self.config = config
        self._secrets = secret_store
        self._clock = clock
        self._offset = offset
        self.state_file = Path(state_file)
        self._handler = handler
        self._on_state = on_state
        # its own session (one per thread), pinned like the sync engine's
        self._session = session or make_session(config.sync.pin_sha256)
        self._rng = rng or random.Random()
        self.heartbeat_s = heartbeat_s
        self.poll_wait_s = poll_wait_s
        self.stall_limit = stall_limit
        self.retry_stream_s = retry_stream_s
        self._backoff = (backoff_base_s, backoff_cap_s)
        self._client: SyncClient | None = None
        self._resp: requests.Response | None = None
        self._resp_lock = threading.Lock()
        self._stalls = 0
        self._polling_since: float | None = None
        self.state = PushState(last_event_id=self._load_last())

    # -- the resume point -----------------------------------------------------------------
    def _load_last(self) -> int | None:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("push state %s unreadable (%s); resuming from the server's newest "
                        "event", self.state_file, type(exc).__name__)
            return None
        last = data.get("last_event_id") if isinstance(data, dict) else None
        if data.get("terminal_id") != self.config.terminal.id or not isinstance(last, int):
            return None  # another enrolment's events
        return last

    def _save_last(self, last: int) -> None:
        body = json.dumps({"terminal_id": self.config.terminal.id, "last_event_id": last})
        try:
            atomic_write(self.state_file, body.encode(), mode=0o600)
        except OSError as exc:
            log.error("push state %s cannot be written (%s)", self.state_file,
                      exc.strerror or type(exc).__name__)

    def _set(self, **changes: Any) -> None:
        self.state = replace(self.state, **changes)
        if self._on_state is not None:
            try:
                self._on_state(self.state)
            except Exception:
                log.exception("push state listener failed")

    # -- the loop -------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        attempt = 0
        while not stop.is_set():
            client = self._get_client()
            if client is None:
                stop.wait(self.config.sync.interval_s)
                continue
            polling = self._polling_since is not None
            if polling and time.monotonic() - (self._polling_since or 0) > self.retry_stream_s:
                polling, self._polling_since, self._stalls = False, None, 0
                self._set(mode="stream")
            try:
                got = self._once(client, stop, polling)
                attempt = 0 if got else attempt + 1
                if polling and not stop.is_set():
                    continue  # the next long poll at once
            except _Stalled:
                self._stalls += 1
                attempt += 1
                if self._stalls >= self.stall_limit and self._polling_since is None:
                    log.warning("the event stream opens but nothing arrives (a proxy that "
                                "buffers?); falling back to polling")
                    self._polling_since = time.monotonic()
                    self._set(mode="poll", problem=Problem(ProblemCode.PUSH_POLLING,
                              raw="event stream held back; polling"))
                    continue
            except TerminalRevoked:
                self._set(connected=False)
                stop.wait(max(self.config.sync.interval_s, 60.0))
                continue
            except SyncError as exc:
                if isinstance(exc, AuthFailed):
                    self._client = None
                log.info("event stream: %s", exc)
                self._set(connected=False, problem=exc.problem)
                attempt += 1
            except Exception:  # a bug must not end the worker silently
                log.exception("event stream failed")
                self._set(connected=False)
                attempt += 1
            if not stop.is_set():
                stop.wait(backoff_delay(max(attempt - 1, 0), *self._backoff, self._rng))
        self._set(connected=False)

    def request_stop(self) -> None:
        """Drop the open connection (its blocked read ends now); pair with the stop event."""
        with self._resp_lock:
            resp = self._resp
        if resp is not None:
            _shutdown(resp)

    def _get_client(self) -> SyncClient | None:
        if self._client is not None:
            return self._client
        if not self.config.enrolled:
            return None
        try:
            secret = self._secrets.get(self.config.terminal.id)
        except SecretStoreError:
            return None
        if not secret:
            return None
        # the sync client's TLS, pinning and plain-http rules (kiosk/sync/client.py)
        self._client = SyncClient.from_config(self.config, secret, self._clock, self._offset,
                                              self._session)
        return self._client

    def _once(self, client: SyncClient, stop: threading.Event, polling: bool) -> bool:
        """One request; True once its hello verified. Raises _Stalled or SyncError."""
        wait = self.poll_wait_s if polling else None
        read_timeout = (self.poll_wait_s + 15.0) if polling else self.heartbeat_s * 2.5 + 5.0
        resp, nonce = client.open_events(self.state.last_event_id, wait, read_timeout)
        with self._resp_lock:
            self._resp = resp
        if stop.is_set():
            _shutdown(resp)
        parser = wire.SseParser()
        hello = False
        buf = b""
        try:
            while not stop.is_set():
                try:
                    chunk = resp.raw.read1(65536)
                except (urllib3.exceptions.ReadTimeoutError, TimeoutError, socket.timeout):
                    if not hello:
                        raise _Stalled() from None
                    raise TransportError("the event stream went silent (no heartbeat)",
                                         code=ProblemCode.TIMEOUT) from None
                except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
                    if stop.is_set():
                        return hello
                    raise TransportError(f"the event stream broke ({type(exc).__name__})",
                                         code=ProblemCode.DROPPED) from None
                if not chunk:
                    if not polling and not hello and not stop.is_set():
                        raise _Stalled()  # ended before its first event: held back
                    if not polling and not stop.is_set():
                        raise TransportError("the server ended the event stream",
                                             code=ProblemCode.DROPPED)
                    return hello
                buf += chunk
                if len(buf) > wire.MAX_LINE and b"\n" not in buf:
                    raise TransportError("the event stream sent an overlong line",
                                         code=ProblemCode.BAD_ANSWER)
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    raw = parser.feed(line)
                    if raw is not None:
                        hello = self._take(raw, client, nonce, hello) or hello
        finally:
            with self._resp_lock:
                self._resp = None
            resp.close()
        return hello

    def _take(self, raw: wire.RawEvent, client: SyncClient, nonce: str, hello: bool) -> bool:
        """Handle one raw event; True when it was the (verified) hello."""
        try:
            event = wire.verify(raw, client.secret, nonce)
        except wire.BadEvent as exc:
            log.warning("ignored an event from the server: %s", exc)
            self._set(bad_events=self.state.bad_events + 1,
                      problem=Problem(ProblemCode.PUSH_BAD_SIGNATURE, raw=str(exc)))
            return False
        if event.kind == wire.HELLO:
            resumed = bool(event.data.get("resumed"))
            if self.state.last_event_id is None:
                self._save_last(event.id)
            self._stalls = 0
            self._set(connected=True, last_event_id=self.state.last_event_id
                      if self.state.last_event_id is not None else event.id,
                      problem=None if self._polling_since is None else self.state.problem)
            try:
                self._handler.on_connected(resumed)
            except Exception:
                log.exception("push handler failed (connected)")
            return True
        last = self.state.last_event_id
        if last is not None and event.id <= last:
            return False  # already handled (a repeat after a reconnect)
        try:
            self._handler.on_event(event, client)
        except Exception:  # one bad handler run must not stop the stream
            log.exception("push handler failed for event %d (%s)", event.id, event.kind)
        self._save_last(event.id)
        self._set(last_event_id=event.id, events=self.state.events + 1)
        return False


def _shutdown(resp: requests.Response) -> None:
    conn = getattr(resp.raw, "_connection", None) or getattr(resp.raw, "connection", None)
    sock = getattr(conn, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
