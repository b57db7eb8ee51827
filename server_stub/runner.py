"""Run the server in a thread of this process (tests, the kiosk demo).

``start()`` returns once the socket accepts connections; ``stop()`` shuts uvicorn down and
joins its thread. A stopped server can be started again on the same port (the socket is
bound with SO_REUSEADDR), which is how tests take the server away and bring it back.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from kiosk.core.clock import Clock

from .app import create_app


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket with SO_REUSEADDR (restart on the same port) and TCP_NODELAY.

    Without TCP_NODELAY a keep-alive response written in two parts waits for the client's
    delayed ACK: ~44 ms per request instead of ~1 ms (accepted sockets inherit the flag).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


HEADER_TIMEOUT_S = 10.0
# Idle keep-alive connections stay open this long (uvicorn's default is 5 s). The kiosk's
# drain timer asks every 5 s and a terminal uploads every few seconds in a rush: with 5 s
# each request raced the server's close and most opened a new connection (measured with
# 1,000 terminals posting every 10 s: one new TCP connection per request).
KEEP_ALIVE_S = 20


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for a request's headers.

    uvicorn times out an idle keep-alive connection, but not one that sends its headers a
    byte at a time (slowloris): such connections would pile up until file descriptors run
    out. Once bytes of a new request arrive, its headers must be complete within
    HEADER_TIMEOUT_S or the connection is closed (bodies: see :mod:`.bodylimit`).
    """

    header_timeout_s = HEADER_TIMEOUT_S
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        if self.cycle is None or self.cycle.response_complete:
            self._arm_header_timer()
        super().data_received(data)

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(
                self.header_timeout_s, self._header_timeout, self.cycle)

    def _header_timeout(self, cycle_when_armed: Any) -> None:
        self._header_timer = None
        waiting = self.cycle is cycle_when_armed and (
            self.cycle is None or self.cycle.response_complete)
        if waiting and not self.transport.is_closing():
            self.transport.close()


def server_config(
    app: Any, log_level: str, access_log: bool = False, *,
    tls_cert: Path | None = None, tls_key: Path | None = None, **options: Any,
) -> uvicorn.Config:
    """uvicorn's settings; HTTPS when ``tls_cert``/``tls_key`` (PEM files) are given.

    ``app``: an ASGI app, or an import string (``options``: factory=True, workers=N).
    ``proxy_headers`` is off: uvicorn would otherwise take ``X-Forwarded-For`` from any
    loopback peer as the client's address (see ``serve --trusted-proxy``).
    """
    return uvicorn.Config(
        app, log_level=log_level, access_log=access_log, date_header=False,
        server_header=False, lifespan="off", timeout_graceful_shutdown=3, backlog=2048,
        timeout_keep_alive=KEEP_ALIVE_S,
        http=TimedH11Protocol, proxy_headers=False,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None, **options,
    )


def check_tls_files(tls_cert: Path | None, tls_key: Path | None) -> str | None:
    """Why the certificate/key pair cannot be served, in one sentence, or None."""
    if (tls_cert is None) != (tls_key is None):
        return "--tls-cert and --tls-key go together"
    if tls_cert is None or tls_key is None:
        return None
    import ssl

    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(tls_cert, tls_key)
    except FileNotFoundError as exc:
        return f"TLS file not found: {exc.filename}"
    except (ssl.SSLError, OSError) as exc:
        return f"cannot use {tls_cert} with {tls_key}: {exc}"
    return None


class _WakeableServer(uvicorn.Server):
    """uvicorn's server whose main loop :meth:`stop` wakes at once: uvicorn's own sleeps
    0.1 s between looks at ``should_exit``, which every stop (every test's server) waited
    out. The ticks in between are uvicorn's (date header, request limit)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            try:
                await asyncio.wait_for(self._wake.wait(), 0.1)
            except asyncio.TimeoutError:
                pass
            should_exit = await self.on_tick(counter)

    def stop_soon(self) -> None:
        """``should_exit``, and wake the loop (from any thread)."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop has closed already
                pass


class EmbeddedServer:
    """One uvicorn server for one data folder, in a worker thread."""

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        *,
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
        **app_options: Any,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.tls = (tls_cert, tls_key) if tls_cert and tls_key else None
        self.host = host
        self.port = port
        self.clock = clock
        self._app_options = app_options  # passed to create_app (admin_open_on_loopback)
        self._server: _WakeableServer | None = None
        self._thread: threading.Thread | None = None
        self._app: FastAPI | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 15.0) -> None:
        if self.running:
            return
        sock = listening_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        self._app = create_app(self.data_dir, self.clock, **self._app_options)
        tls_cert, tls_key = self.tls or (None, None)
        server = _WakeableServer(server_config(self._app, "warning", tls_cert=tls_cert,
                                               tls_key=tls_key))
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"server-{self.port}"
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive():
                sock.close()
                raise RuntimeError("the embedded server failed to start")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the embedded server did not start in time")
            time.sleep(0.01)

    def stop(self, timeout: float = 10.0) -> None:
        if self._app is not None:  # open event streams end now, not after the grace time
            self._app.state.push_hub.end_streams()
        if self._server is not None:
            self._server.stop_soon()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._app is not None:
            self._app.state.push_hub.close()
            self._app.state.engine.dispose()
        self._server = self._thread = self._app = None

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
