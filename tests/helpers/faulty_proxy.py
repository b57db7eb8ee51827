"""A small fault-injecting TCP proxy on 127.0.0.1, for sync tests against the real server.

Modes (switchable while running):

- ``pass``: forward both ways.
- ``drop``: accept, then close the connection without forwarding anything.
- ``delay``: forward, but hold each answer chunk for ``delay_s``.
- ``reset``: forward the request; when the server's answer starts (so the server has
  committed), with probability ``reset_ratio`` throw it away and reset the client's
  connection (RST). The client never learns the outcome: the worst case for exactly-once.
- ``hang``: accept and read, never answer, never close (until the proxy stops).
- ``drip``: forward the answer's headers at once, then its body one byte per ``delay_s``
  (each read is quick, the whole answer takes for ever).
- ``respond``: answer every request with the canned ``response`` bytes (e.g. a 503 with
  ``Retry-After``) without forwarding it, then close. With ``receipt_secret`` set, the
  answer carries a valid server receipt for the request's nonce (a server that knows the
  terminal's secret, so the kiosk believes it); without, it is a fake server.

One thread accepts; one thread per connection shuttles bytes with ``select``; all are
joined on :meth:`stop`. Counters say what happened, so tests can check a fault really hit.
"""

from __future__ import annotations

import random
import select
import socket
import struct
import threading
import time

MODES = ("pass", "drop", "delay", "reset", "hang", "respond", "drip")


class FaultyProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1",
                 mode: str = "pass", *, reset_ratio: float = 0.3, delay_s: float = 0.0,
                 seed: int = 1) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.reset_ratio = reset_ratio
        self.delay_s = delay_s
        self.response = b""
        self.receipt_secret: str | None = None
        self._mode = mode
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.connections = 0
        self.resets = 0
        self.forwarded_responses = 0
        self._accept_thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_mode(self, mode: str, **kw: object) -> None:
        if mode not in MODES:
            raise ValueError(mode)
        with self._lock:
            self._mode = mode
            for k, v in kw.items():
                setattr(self, k, v)

    @property
    def mode(self) -> str:
        with self._lock:
            return self._mode

    def start(self) -> "FaultyProxy":
        self._accept_thread = threading.Thread(target=self._accept_loop, name="proxy-accept")
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._accept_thread is not None:
            self._accept_thread.join(10)
        for t in list(self._threads):
            t.join(10)
        self._listener.close()

    def __enter__(self) -> "FaultyProxy":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals ----------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            t = threading.Thread(target=self._handle, args=(client,), name="proxy-conn")
            self._threads = [x for x in self._threads if x.is_alive()] + [t]
            t.start()

    def _handle(self, client: socket.socket) -> None:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        mode = self.mode
        if mode == "drop":
            _close(client)
            return
        if mode == "hang":
            self._hang(client)
            return
        if mode == "respond":
            self._respond(client)
            return
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            _reset(client)  # server down: the client sees a refused/reset connection
            return
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._shuttle(client, upstream)
        finally:
            _close(upstream)

    def _hang(self, client: socket.socket) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([client], [], [], 0.05)
            if ready:
                try:
                    if not client.recv(65536):
                        break
                except OSError:
                    break
        _close(client)

    def _respond(self, client: socket.socket) -> None:
        ready, _, _ = select.select([client], [], [], 5)
        if ready:
            try:
                request = client.recv(65536)
                client.sendall(self._signed(request, self.response))
            except OSError:
                pass
        _close(client)

    def _signed(self, request: bytes, response: bytes) -> bytes:
        if self.receipt_secret is None:
            return response
        from kiosk.core.protocol import H_RECEIPT, sign_receipt

        nonce = ""
        for line in request.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "x-kiosk-nonce":
                nonce = value.strip()
        head, sep, body = response.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        receipt = sign_receipt(self.receipt_secret, nonce, status, body)
        return head + f"\r\n{H_RECEIPT}: {receipt}".encode() + sep + body

    def _drip(self, client: socket.socket, upstream: socket.socket, first: bytes) -> None:
        head, sep, body = first.partition(b"\r\n\r\n")
        pending = bytearray(body)
        sources = [client, upstream]
        try:
            client.sendall(head + sep)
            while not self._stop.is_set() and (pending or upstream in sources):
                ready, _, _ = select.select(sources, [], [], self.delay_s)
                for sock in ready:
                    data = sock.recv(65536)
                    if sock is client:  # the client gave up (or asks again): done
                        _close(client)
                        return
                    if data:
                        pending += data
                    else:
                        sources.remove(upstream)  # the server closed: drip what is left
                if pending:
                    client.sendall(bytes(pending[:1]))
                    del pending[:1]
        except OSError:
            pass
        _close(client)

    def _shuttle(self, client: socket.socket, upstream: socket.socket) -> None:
        awaiting_answer = False
        while not self._stop.is_set():
            ready, _, _ = select.select([client, upstream], [], [], 0.05)
            for sock in ready:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    _close(client)
                    return
                if sock is client:
                    mode = self.mode
                    if mode in ("drop", "respond"):  # also on kept-alive connections
                        if mode == "respond":
                            try:
                                client.sendall(self._signed(data, self.response))
                            except OSError:
                                pass
                        _close(client)
                        return
                    awaiting_answer = True
                    upstream.sendall(data)
                    continue
                mode = self.mode
                if awaiting_answer and mode == "reset":
                    with self._lock:
                        fire = self._rng.random() < self.reset_ratio
                        if fire:
                            self.resets += 1
                    if fire:
                        _reset(client)
                        return
                if mode == "delay" and self.delay_s:
                    time.sleep(self.delay_s)
                if mode == "hang":
                    self._hang(client)
                    return
                if mode == "drip":
                    self._drip(client, upstream, data)
                    return
                if awaiting_answer:
                    with self._lock:
                        self.forwarded_responses += 1
                awaiting_answer = False
                try:
                    client.sendall(data)
                except OSError:
                    return
        _close(client)


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0): the peer gets 'connection reset by peer'."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def _close(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass


def http_response(status: int, reason: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """Bytes of a canned HTTP/1.1 answer for ``respond`` mode."""
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
