"""A real server on 127.0.0.1 with a real database (SQLite file or PostgreSQL), for any test.

    with live_server(tmp_path, clock=fake_clock) as srv:
        srv.admin.add_site("HQ", "Head office")
        code = srv.admin.add_terminal("Door", "HQ")
        requests.post(srv.url + "/api/v1/enroll", json={"code": code})
        srv.stop()   # server down (connection refused)
        srv.start()  # up again on the same port, same data

The server is always stopped and its thread joined on exit. ``admin`` shares the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk.core.clock import Clock
from server_stub.admin import Admin
from server_stub.runner import EmbeddedServer


class LiveServer:
    def __init__(self, data_dir: Path, admin: Admin, server: EmbeddedServer) -> None:
        self.data_dir = data_dir
        self.admin = admin
        self._server = server

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def running(self) -> bool:
        return self._server.running

    def start(self) -> None:
        """Bring the server (back) up on the same port."""
        self._server.start()

    def stop(self) -> None:
        """Take the server down; its port refuses connections until start()."""
        self._server.stop()


@contextmanager
def live_server(
    tmp_path: Path, clock: Clock | None = None, database_url: str | None = None,
    tls: tuple[Path, Path] | None = None,
) -> Iterator[LiveServer]:
    """``database_url``: for a new data folder (None: a SQLite file in it); ``tls``:
    (certificate, key) PEM files to serve HTTPS with."""
    data_dir = Path(tmp_path) / "server-data"
    if (data_dir / "server.json").exists():
        admin = Admin.open(data_dir, clock=clock)
    else:
        admin = Admin.init(data_dir, database_url=database_url, clock=clock)
    cert, key = tls or (None, None)
    server = EmbeddedServer(data_dir, clock=clock, tls_cert=cert, tls_key=key)
    try:
        server.start()
        yield LiveServer(data_dir, admin, server)
    finally:
        server.stop()
        admin.close()


def wait_for_http(url: str, timeout: float = 60.0, **kwargs: object) -> None:
    """Poll ``url`` until the server behind it answers (a subprocess binds before it listens)."""
    import time

    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=5, **kwargs)  # type: ignore[arg-type]
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
