"""A lean HTTP/1.1 keep-alive client on asyncio streams, for load generators.

``benchmarks.server_scale`` simulates 1,000 terminals in one Python process on the same
two cores as the servers and the database. With httpx each request cost the client about
19 ms of CPU here (measured: 38 s of client CPU for 2,000 requests), so at 100 requests/s
the load generator alone needed two cores and the servers starved: the figure measured the
client. This client writes the request bytes itself and reads the answer by its
``Content-Length``; what the server receives is the same signed request a terminal sends
(one keep-alive connection per terminal, fresh timestamp, nonce and signature each time),
and the time measured is still from the first byte written to the last byte read.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class ConnectionDropped(Exception):
    """The server closed the connection (idle, or overloaded) before answering."""


class RawConnection:
    """One keep-alive connection to ``url``'s host; reconnects when the server closed it."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.connects = 0

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self.connects += 1

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """(status, body); :class:`ConnectionDropped` when the connection was closed."""
        if self._writer is None or self._writer.is_closing() or (
                self._reader is not None and self._reader.at_eof()):  # closed while idle
            self.close()
            await self._connect()
        assert self._reader is not None and self._writer is not None
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
            f"{head}\r\n".encode("latin-1") + body)
        try:
            raw = await self._reader.readuntil(b"\r\n\r\n")
            status, length, close = _parse_head(raw)
            data = await self._reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            self.close()
            raise ConnectionDropped(str(exc)) from None
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


def _parse_head(raw: bytes) -> tuple[int, int, bool]:
    lines = raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            close = True
    return status, length, close
