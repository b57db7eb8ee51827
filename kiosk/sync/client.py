"""The signed HTTP client: one ``requests.Session``, timeouts on every call, failover.

Every request is signed with :func:`kiosk.core.protocol.signing.sign_request` using the
estimated *server* time, so a terminal whose clock is off still authenticates. Server URLs
are tried in order; the one that answered stays preferred, and the first one is tried
again after ``failback_s``. Errors come out as a small hierarchy the engine can act on:
retry (:class:`TransportError`, :class:`BadAnswer`, :class:`ServerBusy`), stop
(:class:`TerminalRevoked`), or settle the punch for good (:class:`Refused`).

Every answer must carry the server's receipt (:mod:`kiosk.core.protocol.receipt`) before
anything in it is believed: a verdict, a server time, a roster, a refusal, a revocation.
Without one the answer is :class:`Unauthenticated` and the punches stay pending. Only "try
again later" (5xx, 429) and a 401 (the server does not know our secret, so it cannot sign)
are taken unsigned: they change nothing but the time of the next try.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import time
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import urlsplit

import requests
import urllib3
from pydantic import BaseModel, ValidationError

from kiosk.core.clock import Clock
from kiosk.core.config import Config
from kiosk.core.problems import KioskError, ProblemCode
from kiosk.core.protocol import (
    API_PREFIX,
    H_RECEIPT,
    BatchResult,
    CorrectionReceipt,
    CorrectionRequest,
    ErrorBody,
    Heartbeat,
    HeartbeatAnswer,
    Punch,
    PunchBatch,
    Roster,
    TimeResponse,
    receipt_valid,
    sign_request,
)
from kiosk.core.protocol.events import EVENTS_PATH
from kiosk.core.protocol.signing import H_NONCE, new_nonce

from .clock_offset import ClockOffset
from .tls import NOT_TRUSTED, insecure_reason, verify_setting

log = logging.getLogger(__name__)

_M = TypeVar("_M", bound=BaseModel)

REVOKED = "terminal_revoked"
# 4xx statuses that, with our ErrorBody, mean "this content is refused for good".
PERMANENT = frozenset({400, 409, 413, 422})
MAX_ANSWER_BYTES = 16 * 1024 * 1024  # a roster of thousands of employees is well below


class SyncError(KioskError):
    """Base of everything the client raises; messages are safe to log, codes say what."""

    code = ProblemCode.INTERNAL


class TransportError(SyncError):
    """No answer: refused, reset, timed out (the code says which; arg: host:port). Retry."""

    code = ProblemCode.UNREACHABLE


class BadAnswer(TransportError):
    """A 2xx/3xx answer that is not our server's JSON (an HTML page, invalid or wrong-shaped
    JSON, an empty body): nothing was learnt about the punches, so they stay pending."""

    code = ProblemCode.BAD_ANSWER


class Unauthenticated(BadAnswer):
    """An answer without a valid server receipt (a fake server, a proxy or portal answering
    by itself, a tampered body): not believed; the punches stay pending."""

    code = ProblemCode.NOT_AUTHENTICATED


class ServerBusy(SyncError):
    """5xx or 429: retry later, after ``retry_after_s`` when the server said so."""

    code = ProblemCode.HTTP_STATUS

    def __init__(self, message: str, status: int, retry_after_s: float | None) -> None:
        super().__init__(message, arg=str(status))
        self.status = status
        self.retry_after_s = retry_after_s


class AuthFailed(SyncError):
    """401: the server did not accept our signature (wrong secret, clock, unknown terminal)."""

    code = ProblemCode.AUTH

    def __init__(self, message: str, error: str) -> None:
        super().__init__(message, arg=error)
        self.error = error


class TerminalRevoked(SyncError):
    """403 ``terminal_revoked``: stop sending, keep the outbox."""

    code = ProblemCode.REVOKED


class Refused(SyncError):
    """400/409/413/422 with an error body: refused for good; ``error`` is the server's code."""

    code = ProblemCode.REFUSED_REQUEST

    def __init__(self, message: str, status: int, error: str) -> None:
        super().__init__(message, arg=str(status))
        self.status = status
        self.error = error


# What a failed connection was, by the types in its exception chain; first match wins.
# (urllib3's NewConnectionError subclasses its ConnectTimeoutError: never a timeout by
# itself, so the socket's own error behind it decides.)
_CONNECTION_CODES: tuple[tuple[ProblemCode, tuple[type[BaseException], ...]], ...] = (
    (ProblemCode.REFUSED, (ConnectionRefusedError,)),
    (ProblemCode.DNS, (urllib3.exceptions.NameResolutionError, socket.gaierror)),
    (ProblemCode.TLS, (requests.exceptions.SSLError, urllib3.exceptions.SSLError,
                       ssl.SSLError)),
    (ProblemCode.DROPPED, (http.client.RemoteDisconnected, ConnectionResetError,
                           ConnectionAbortedError, BrokenPipeError,
                           urllib3.exceptions.ProtocolError)),
    (ProblemCode.TIMEOUT, (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError)),
)


def _chain(error: BaseException) -> list[BaseException]:
    """An exception and everything behind it (requests -> urllib3 -> the socket's OSError:
    causes, contexts, ``reason`` and exception arguments), breadth first, bounded."""
    out: list[BaseException] = []
    todo: list[object] = [error]
    while todo and len(out) < 16:
        exc = todo.pop(0)
        if not isinstance(exc, BaseException) or any(exc is seen for seen in out):
            continue
        out.append(exc)
        todo.extend([exc.__cause__, exc.__context__, getattr(exc, "reason", None),
                     *[a for a in exc.args if isinstance(a, BaseException)]])
    return out


def connection_code(error: BaseException) -> ProblemCode:
    """TIMEOUT, TLS, DNS, REFUSED or DROPPED by exception type; UNREACHABLE otherwise."""
    chain = [e for e in _chain(error)
             if not isinstance(e, urllib3.exceptions.NewConnectionError)]
    for code, types in _CONNECTION_CODES:
        if any(isinstance(exc, types) for exc in chain):
            return code
    return ProblemCode.UNREACHABLE


def host_port(url: str) -> str:
    """``host:port`` of a server URL (the port its scheme implies when none is given)."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return parts.netloc or url
    return f"{parts.hostname or parts.netloc}:{port}"


def parse_retry_after(value: str | None, server_now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header in either form (seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - server_now).total_seconds())


def _parse(model: type[_M], resp: requests.Response, base: str | None) -> _M:
    """The answer as ``model``, or :class:`BadAnswer` (the body itself is never quoted)."""
    try:
        return model.model_validate_json(resp.content)
    except (ValidationError, ValueError):
        kind = resp.headers.get("Content-Type", "no content type").split(";")[0][:60]
        raise BadAnswer(
            f"{base or 'the server'} answered {resp.status_code} with a body that is not a "
            f"valid {model.__name__} ({kind}, {len(resp.content)} bytes)"
        ) from None


def _error_body(resp: requests.Response) -> ErrorBody | None:
    try:
        return ErrorBody.model_validate_json(resp.content)
    except (ValidationError, ValueError):
        return None


class SyncClient:
    """Talks to the server as one enrolled terminal."""

    def __init__(
        self,
        urls: list[str],
        terminal_id: str,
        secret: str,
        clock: Clock,
        offset: ClockOffset,
        session: requests.Session | None = None,
        *,
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 10.0,
        verify_tls: bool | str = True,
        failback_s: float = 300.0,
        allow_insecure_http: bool = False,
    ) -> None:
        if not urls:
            raise ValueError("no server URL configured")
        self.urls = [u.rstrip("/") for u in urls]
        self.terminal_id = terminal_id
        self._secret = secret
        self._clock = clock
        self.offset = offset
        self.session = session or requests.Session()
        self._timeout = (connect_timeout_s, read_timeout_s)
        self._verify = verify_tls
        self._failback_s = failback_s
        self._allow_insecure_http = allow_insecure_http
        self._preferred = 0
        self._preferred_since = clock.monotonic()
        self.last_url: str | None = None
        self.answers = 0  # requests the server answered (any status): "online" evidence
        # The last outcome per URL tried (None: it answered), for the status panel.
        self.url_errors: dict[str, SyncError | None] = {}

    @property
    def secret(self) -> str:
        """The terminal secret (checks the server's signatures on pushed events)."""
        return self._secret

    @classmethod
    def from_config(
        cls, config: Config, secret: str, clock: Clock, offset: ClockOffset,
        session: requests.Session | None = None,
    ) -> "SyncClient":
        s = config.server
        return cls(s.urls, config.terminal.id, secret, clock, offset, session,
                   connect_timeout_s=s.connect_timeout_s, read_timeout_s=s.read_timeout_s,
                   verify_tls=verify_setting(s.verify_tls, config.sync.ca_file),
                   allow_insecure_http=config.sync.allow_insecure_http)

    # -- the endpoints ------------------------------------------------------------------
    def get_time(self) -> TimeResponse:
        resp = self._request("GET", "/time", None)
        return _parse(TimeResponse, resp, self.last_url)

    def send_batch(self, punches: list[Punch]) -> BatchResult:
        body = PunchBatch(punches=punches).model_dump_json().encode()
        resp = self._request("POST", "/punches", body)
        return _parse(BatchResult, resp, self.last_url)

    def get_roster(self, etag: str | None) -> tuple[Roster | None, str | None]:
        """The roster, or ``(None, etag)`` when it did not change (304)."""
        headers = {"If-None-Match": etag} if etag else {}
        resp = self._request("GET", "/roster", None, extra_headers=headers)
        if resp.status_code == 304:
            return None, etag
        return _parse(Roster, resp, self.last_url), resp.headers.get("ETag")

    def file_correction(self, req: CorrectionRequest) -> CorrectionReceipt:
        """File a make-up punch (补卡) for the badge just scanned; HR approves it later.
        A retry with the same ``request_id`` returns the first receipt."""
        resp = self._request("POST", "/corrections", req.model_dump_json().encode())
        return _parse(CorrectionReceipt, resp, self.last_url)

    def heartbeat(self, beat: Heartbeat) -> HeartbeatAnswer:
        """Send the terminal's status; a v2 beat's answer carries the highest seq stored."""
        resp = self._request("POST", "/heartbeat", beat.model_dump_json().encode())
        if beat.v >= 2:  # a captive portal's 200 is no heartbeat: always parsed
            return _parse(HeartbeatAnswer, resp, self.last_url)
        return HeartbeatAnswer(server_time=_parse(TimeResponse, resp, self.last_url).server_time)

    def ack_command(self, command_id: int, status: str, detail: str | None = None) -> None:
        """Tell the server a pushed command was carried out (``done``) or not (``failed``)."""
        body = json.dumps({"status": status, "detail": detail and detail[:500]}).encode()
        resp = self._request("POST", f"/commands/{int(command_id)}/ack", body)
        _parse(TimeResponse, resp, self.last_url)

    def upload_diagnostics(self, bundle: bytes, command_id: int | None) -> None:
        """The diagnostics zip (no secrets in it) for IT, answering a command."""
        query = f"?command={int(command_id)}" if command_id else ""
        resp = self._request("POST", "/diagnostics" + query, bundle,
                             extra_headers={"Content-Type": "application/zip"})
        _parse(TimeResponse, resp, self.last_url)

    def open_events(self, after: int | None, wait_s: float | None,
                    read_timeout_s: float) -> tuple[requests.Response, str]:
        """``GET /events`` left open (the caller reads it): the answer and the nonce its
        events are signed with. Every URL is tried in order, like any request."""
        query = [f"after={int(after)}"] if after is not None else []
        if wait_s is not None:
            query.append(f"wait={int(wait_s)}")
        path = EVENTS_PATH + ("?" + "&".join(query) if query else "")
        failure: SyncError | None = None
        for index in self._order():
            base = self.urls[index]
            insecure = insecure_reason(base, self._allow_insecure_http)
            if insecure:
                failure = TransportError(insecure, code=ProblemCode.INSECURE_HTTP,
                                         arg=host_port(base))
                continue
            nonce = new_nonce()
            req = requests.Request("GET", base + API_PREFIX + path,
                                   headers={"Accept": "text/event-stream"})
            prepared = self.session.prepare_request(req)
            ts = int(self.offset.server_now().timestamp())
            prepared.headers.update(sign_request(self.terminal_id, self._secret, "GET",
                                                 prepared.path_url, b"", ts, nonce))
            try:
                resp = self.session.send(prepared, timeout=(self._timeout[0], read_timeout_s),
                                         verify=self._verify, allow_redirects=False,
                                         stream=True)
            except requests.RequestException as exc:
                failure = TransportError(f"event stream: connection failed ({_short(exc)})",
                                         code=connection_code(exc), arg=host_port(base))
                self.url_errors[base] = failure
                continue
            kind = resp.headers.get("Content-Type", "")
            if resp.status_code == 200 and kind.startswith("text/event-stream"):
                self.url_errors[base] = None
                self.last_url = base
                return resp, nonce
            try:
                _read_body(resp, time.monotonic() + sum(self._timeout))
                status = resp.status_code
                # each event is signed; a refusal must carry the receipt like any answer
                if not (status >= 500 or status in (401, 429)) and not receipt_valid(
                        self._secret, nonce, status, resp.content, resp.headers.get(H_RECEIPT)):
                    raise Unauthenticated(
                        f"the server's answer was not authenticated: {base} answered "
                        f"{status} to the event stream without a valid receipt",
                        arg=host_port(base))
                self._check(base, resp)
            except (TransportError, ServerBusy) as exc:
                failure = exc
                continue
            resp.close()
            raise BadAnswer(f"{base} answered the event stream with {resp.status_code} "
                            f"({kind.split(';')[0][:60] or 'no content type'})")
        assert failure is not None
        raise failure

    # -- plumbing -----------------------------------------------------------------------
    def _order(self) -> list[int]:
        if self._preferred and self._clock.monotonic() - self._preferred_since > self._failback_s:
            self._preferred = 0  # give the first URL another chance
        n = len(self.urls)
        return [(self._preferred + i) % n for i in range(n)]

    def _request(
        self, method: str, path: str, body: bytes | None, *, signed: bool = True,
        extra_headers: dict[str, str] | None = None,
    ) -> requests.Response:
        failure: SyncError | None = None
        for index in self._order():
            base = self.urls[index]
            try:
                resp = self._send_once(base, method, path, body, signed, extra_headers or {})
            except (TransportError, ServerBusy) as exc:
                self.url_errors[base] = exc
                log.info("server %s: %s", base, exc)
                if not (isinstance(failure, ServerBusy) and failure.retry_after_s is not None):
                    failure = exc  # a server's explicit Retry-After wins over later errors
                if isinstance(exc, ServerBusy) and exc.status == 429:
                    break  # asked to slow down, not down: do not hammer the next one
                continue
            except SyncError:
                self.url_errors[base] = None  # it answered; the refusal is raised on
                raise
            self.url_errors[base] = None
            if index != self._preferred:
                log.warning("failed over to server %s", base)
                self._preferred = index
                self._preferred_since = self._clock.monotonic()
            self.last_url = base
            return resp
        assert failure is not None
        raise failure

    def _send_once(
        self, base: str, method: str, path: str, body: bytes | None, signed: bool,
        extra_headers: dict[str, str],
    ) -> requests.Response:
        insecure = insecure_reason(base, self._allow_insecure_http)
        if insecure:
            # Nothing is sent; the next URL may be https.
            raise TransportError(insecure, code=ProblemCode.INSECURE_HTTP, arg=host_port(base))
        for attempt in range(2):
            resp, trusted = self._exchange(base, method, path, body, signed, extra_headers)
            if resp.status_code == 401 and attempt == 0 and trusted:
                err = _error_body(resp)
                if err is not None and err.server_time is not None and \
                        err.error == "stale_timestamp":
                    continue  # the (signed) 401 taught us the server's time: re-sign once
            break
        status = resp.status_code
        if not trusted and not (status >= 500 or status in (401, 429)):
            raise Unauthenticated(
                f"the server's answer was not authenticated: {base} answered {status} "
                "without a valid receipt", arg=host_port(base))
        return self._check(base, resp)

    def _exchange(
        self, base: str, method: str, path: str, body: bytes | None, signed: bool,
        extra_headers: dict[str, str],
    ) -> tuple[requests.Response, bool]:
        """The answer, and whether its receipt is valid (always True for unsigned calls)."""
        headers = {"Accept": "application/json", **extra_headers}
        if body is not None:
            headers["Content-Type"] = "application/json"
        req = requests.Request(method, base + API_PREFIX + path, data=body, headers=headers)
        prepared = self.session.prepare_request(req)
        nonce = ""
        if signed:
            ts = int(self.offset.server_now().timestamp())
            auth = sign_request(self.terminal_id, self._secret, method, prepared.path_url,
                                body or b"", ts)
            nonce = auth[H_NONCE]
            prepared.headers.update(auth)
        sent_wall = self._clock.now()
        t0 = self._clock.monotonic()
        # The real clock (a test's fake one stands still): the whole answer must be in by
        # then, not only each read within the read timeout.
        deadline = time.monotonic() + sum(self._timeout)
        try:
            resp = self.session.send(prepared, timeout=self._timeout, verify=self._verify,
                                     allow_redirects=False, stream=True)
            _read_body(resp, deadline)
        except TransportError as exc:  # _read_body's: give it the server's address
            exc.arg = host_port(base)
            raise
        except requests.Timeout as exc:
            raise TransportError(f"no answer within the timeout ({type(exc).__name__})",
                                 code=ProblemCode.TIMEOUT, arg=host_port(base)) from None
        except requests.exceptions.SSLError as exc:
            raise TransportError(f"{NOT_TRUSTED} ({_short(exc)})", code=ProblemCode.TLS,
                                 arg=host_port(base)) from None
        except requests.ConnectionError as exc:
            raise TransportError(f"connection failed ({_short(exc)})",
                                 code=connection_code(exc), arg=host_port(base)) from None
        except requests.RequestException as exc:
            raise TransportError(f"request failed ({_short(exc)})",
                                 code=connection_code(exc), arg=host_port(base)) from None
        rtt = self._clock.monotonic() - t0
        trusted = not signed or receipt_valid(self._secret, nonce, resp.status_code,
                                              resp.content, resp.headers.get(H_RECEIPT))
        if trusted:  # an unsigned answer is no evidence of our server, nor of its time
            self.answers += 1
            self._learn_time(resp, sent_wall, rtt)
        return resp, trusted

    def _learn_time(self, resp: requests.Response, sent_wall: datetime, rtt: float) -> None:
        server_time = None
        if resp.headers.get("Content-Type", "").startswith("application/json"):
            try:
                data = resp.json()
                if isinstance(data, dict) and isinstance(data.get("server_time"), str):
                    server_time = datetime.fromisoformat(data["server_time"].replace("Z", "+00:00"))
            except ValueError:
                server_time = None
        # Only the body's server_time: the receipt covers the body, not the Date header.
        if server_time is not None and server_time.tzinfo is not None:
            self.offset.observe(sent_wall, rtt, server_time)

    def _check(self, base: str, resp: requests.Response) -> requests.Response:
        status = resp.status_code
        if status < 400 or status == 304:
            return resp
        err = _error_body(resp)
        code = err.error if err else f"http_{status}"
        text = err.message if err else (resp.reason or "")
        if status >= 500 or status == 429:
            retry = None
            if status in (429, 503):
                retry = parse_retry_after(resp.headers.get("Retry-After"),
                                          self.offset.server_now())
            raise ServerBusy(f"{base} answered {status} {code}", status, retry)
        if status == 401:
            raise AuthFailed(f"server refused our signature: {code} ({text})", code)
        if status == 403 and code == REVOKED:
            raise TerminalRevoked(text or "this terminal was revoked by the server admin")
        if err is None or status not in PERMANENT:
            # Not our server's considered refusal (a captive portal, a wrong URL, 408...):
            # the punches are not at fault, so keep them and try again later.
            raise ServerBusy(f"{base} answered {status} {code}", status, None)
        raise Refused(f"server refused the request: {status} {code}: {text}", status, code)


def _read_body(resp: requests.Response, deadline: float) -> None:
    """Read the whole body into ``resp`` (``resp.content`` works as usual afterwards).

    A read timeout bounds each read, not the answer: a server (or proxy) that sends a byte
    every few seconds would hold the sync thread, and the app's shutdown, for as long as it
    likes. Past ``deadline`` (``time.monotonic()``) or MAX_ANSWER_BYTES the connection is
    dropped and the exchange counts as no answer (the punches stay pending).
    """
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            chunk = resp.raw.read1(64 * 1024, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise TransportError(f"the answer is larger than {MAX_ANSWER_BYTES} bytes",
                                     code=ProblemCode.BAD_ANSWER)
            if time.monotonic() > deadline:
                raise TransportError("the answer did not arrive within the timeout "
                                     "(it trickled in too slowly)", code=ProblemCode.TIMEOUT)
            chunks.append(chunk)
    except TransportError:
        resp.close()
        raise
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        resp.close()
        code = connection_code(exc)
        text = ("no answer within the timeout (ReadTimeout)" if code is ProblemCode.TIMEOUT
                else f"connection failed ({_short(exc)})")
        raise TransportError(text, code=code) from None
    resp._content = b"".join(chunks)  # what requests itself does when it reads the body
    resp._content_consumed = True  # type: ignore[attr-defined]  # requests' own flag
    resp.raw.release_conn()  # fully read: the keep-alive connection can be reused


def _short(exc: BaseException) -> str:
    """At most ~200 characters, keeping both ends: urllib3 puts the cause ("Connection
    refused", "Name or service not known") at the very end of a long message."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:110] + " ... " + text[-90:]
