"""A signed SSE reader for the push tests: real HTTP, real signatures, bounded waits."""

from __future__ import annotations

import queue
import threading
import time

import requests

from kiosk.core.protocol import API_PREFIX, sign_request
from kiosk.core.protocol import events as wire
from kiosk.core.protocol.signing import new_nonce

from .terminal_client import Term


class Stream:
    """``GET /events`` held open in a thread; verified events land in :attr:`events`."""

    def __init__(self, term: Term, url: str | None = None, after: int | None = None) -> None:
        self.nonce = new_nonce()
        path = API_PREFIX + "/events" + ("" if after is None else f"?after={after}")
        headers = sign_request(term.terminal_id, term.secret, "GET", path, b"",
                               int(term.clock.now().timestamp()), self.nonce)
        self.resp = requests.get((url or term.url) + path, headers=headers, stream=True,
                                 timeout=(3, 30))
        assert self.resp.status_code == 200, self.resp.text
        assert self.resp.headers["content-type"].startswith("text/event-stream")
        self.secret = term.secret
        self.events: queue.Queue[wire.PushEvent] = queue.Queue()
        self.bad = 0
        self.heartbeats = 0
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        parser = wire.SseParser()
        buf = b""
        try:
            while True:
                chunk = self.resp.raw.read1(65536)
                if not chunk:
                    return
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    raw = parser.feed(line)
                    self.heartbeats = parser.heartbeats
                    if raw is None:
                        continue
                    try:
                        self.events.put(wire.verify(raw, self.secret, self.nonce))
                    except wire.BadEvent:
                        self.bad += 1
        except Exception:  # closed by the test, or the server went away
            return

    def next(self, timeout: float = 10.0, skip_hello: bool = True) -> wire.PushEvent:
        deadline = time.monotonic() + timeout
        while True:
            event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if not (skip_hello and event.kind == wire.HELLO):
                return event

    def close(self) -> None:
        """Drop the connection (shutdown wakes the reader blocked in recv)."""
        import socket

        conn = getattr(self.resp.raw, "_connection", None)
        sock = getattr(conn, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.resp.close()
        self._thread.join(5)
        assert not self._thread.is_alive()
