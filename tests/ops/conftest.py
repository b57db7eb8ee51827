"""Fixtures for the ops tests: a stand-in for systemd's notify socket."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

T = TypeVar("T")


class FakeSystemd:
    """The receiving end: a bound datagram socket, as systemd's notify socket is."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)

    def receive(self, timeout: float = 5.0) -> dict[str, str]:
        self.sock.settimeout(timeout)
        data = self.sock.recv(4096).decode()
        return dict(line.split("=", 1) for line in data.splitlines())

    def drain(self) -> list[dict[str, str]]:
        out = []
        self.sock.setblocking(False)
        try:
            while True:
                data = self.sock.recv(4096).decode()
                out.append(dict(line.split("=", 1) for line in data.splitlines()))
        except BlockingIOError:
            return out
        finally:
            self.sock.setblocking(True)

    def collect_while(self, run: Callable[[], T]) -> tuple[T, list[dict[str, str]]]:
        """Call ``run()`` while a thread keeps the socket read, as systemd does (the
        kernel queues only ~10 datagrams for a reader that does not read)."""
        got: list[dict[str, str]] = []
        stop = threading.Event()

        def reader() -> None:
            self.sock.settimeout(0.05)
            while not stop.is_set():
                try:
                    data = self.sock.recv(4096).decode()
                except (TimeoutError, socket.timeout):
                    continue
                got.append(dict(line.split("=", 1) for line in data.splitlines()))

        thread = threading.Thread(target=reader, name="fake-systemd")
        thread.start()
        try:
            result = run()
        finally:
            stop.set()
            thread.join()
            self.sock.settimeout(None)
        return result, got + self.drain()


@pytest.fixture
def systemd() -> Iterator[FakeSystemd]:
    # A short folder of our own: AF_UNIX paths are limited to ~108 bytes.
    folder = tempfile.mkdtemp(prefix="sdn", dir="/tmp")
    fake = FakeSystemd(os.path.join(folder, "notify"))
    yield fake
    fake.sock.close()
    shutil.rmtree(folder, ignore_errors=True)
