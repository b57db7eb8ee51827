"""Run the server in a thread of this process (tests, the kiosk demo).

``start()`` returns once the socket accepts connections; ``stop()`` shuts uvicorn down and
joins its thread. A stopped server can be started again on the same port (the socket is
bound with SO_REUSEADDR), which is how tests take the server away and bring it back.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

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


def server_config(app: Any, log_level: str, access_log: bool = False) -> uvicorn.Config:
    return uvicorn.Config(
        app, log_level=log_level, access_log=access_log, date_header=False,
        server_header=False, lifespan="off", timeout_graceful_shutdown=3, backlog=2048,
    )


class EmbeddedServer:
    """One uvicorn server for one data folder, in a worker thread."""

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        **app_options: Any,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.clock = clock
        self._app_options = app_options  # passed to create_app (admin_open_on_loopback)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._app = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 15.0) -> None:
        if self.running:
            return
        sock = listening_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        self._app = create_app(self.data_dir, self.clock, **self._app_options)
        server = uvicorn.Server(server_config(self._app, "warning"))
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
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._app is not None:
            self._app.state.engine.dispose()
        self._server = self._thread = self._app = None

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
