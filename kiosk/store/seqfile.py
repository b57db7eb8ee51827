"""The sequence floor: a terminal's last sequence number, kept outside the outbox file.

A corrupt outbox is moved aside and a fresh one started; the per-terminal sequence must not
begin again at 1 (the server would store two punches under one number and the completeness
proof would lie). So beside the outbox sits a small 0600 JSON file holding, per terminal,
the last sequence number handed out (``last``) and the highest one the server said it has
stored (``server``). :meth:`SeqFile.raise_last` writes it atomically (temp file, fsync,
rename, fsync of the folder) *before* the outbox row with that number commits, so the file
is never behind the outbox; a fresh outbox continues at ``max(outbox, file, server) + 1``.

Several processes may hold the same outbox (the kiosk, ``kiosk sync``, ``kiosk outbox``):
each change re-reads the file under an exclusive lock on ``<file>.lock`` and merges it
(numbers only ever rise but by :meth:`SeqFile.lower_last`), so a process with an older view
never writes a number back down, and each writer has its own temporary file.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; each writer's own temporary file still keeps them apart
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

_Maps = tuple[dict[str, int], dict[str, int]]


def _merged(mine: dict[str, int], disk: dict[str, int]) -> dict[str, int]:
    return {k: max(mine.get(k, 0), disk.get(k, 0)) for k in set(mine) | set(disk)}


class SeqFile:
    """The ``<outbox>.seq`` file: ``{"last": {terminal: n}, "server": {terminal: n}}``.

    Attributes:
        path: the file.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        for own in (self.path, self._lock_path):  # written 0600; a looser one is tightened
            try:
                mode = own.stat().st_mode
                if mode & 0o077:
                    os.chmod(own, mode & 0o700)
            except OSError:
                pass
        self._last, self._server = self._read()

    def _read(self) -> tuple[dict[str, int], dict[str, int]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return ({str(k): int(v) for k, v in dict(data.get("last", {})).items()},
                    {str(k): int(v) for k, v in dict(data.get("server", {})).items()})
        except FileNotFoundError:
            return {}, {}
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            # Damaged: the outbox and the server's answer still give a floor.
            log.error("sequence file %s unreadable (%s); using the outbox and the server's "
                      "answer", self.path, type(exc).__name__)
            return {}, {}

    def last(self, terminal_id: str) -> int:
        """The highest number handed out, or the server's, whichever is higher."""
        with self._lock:
            return max(self._last.get(terminal_id, 0), self._server.get(terminal_id, 0))

    def terminals(self) -> list[str]:
        with self._lock:
            return sorted(set(self._last) | set(self._server))

    def lower_last(self, terminal_id: str, seq: int) -> None:
        """Give back a number whose row did not commit (rolled back), so no gap is left."""
        def change(last: dict[str, int], server: dict[str, int]) -> _Maps | None:
            if last.get(terminal_id) != seq + 1:
                return None  # another process has handed out a higher number since
            return {**last, terminal_id: seq}, server
        self._update(change)

    def server(self, terminal_id: str) -> int:
        with self._lock:
            return self._server.get(terminal_id, 0)

    def raise_last(self, terminal_id: str, seq: int) -> None:
        """Remember ``seq`` as handed out (durably, before the row commits); never lowers."""
        with self._lock:
            if seq <= self._last.get(terminal_id, 0):
                return

        def change(last: dict[str, int], server: dict[str, int]) -> _Maps | None:
            if seq <= last.get(terminal_id, 0):
                return None
            return {**last, terminal_id: seq}, server
        self._update(change)

    def raise_server(self, terminal_id: str, seq: int) -> bool:
        """Remember the server's highest stored seq; True when it was news."""
        with self._lock:
            if seq <= self._server.get(terminal_id, 0):
                return False
        news = [False]

        def change(last: dict[str, int], server: dict[str, int]) -> _Maps | None:
            if seq <= server.get(terminal_id, 0):
                return None
            news[0] = True
            return last, {**server, terminal_id: seq}
        self._update(change)
        return news[0]

    def _update(self, change: Callable[[dict[str, int], dict[str, int]], _Maps | None]) -> None:
        """Apply ``change`` to the file as it is on disk now, merged with what this
        process knows, under the cross-process lock; write only when it changed."""
        with self._lock, self._locked():
            disk_last, disk_server = self._read()
            last = _merged(self._last, disk_last)
            server = _merged(self._server, disk_server)
            new = change(last, server)
            if new is not None:
                self._write(*new)
                last, server = new
            self._last, self._server = last, server

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if fcntl is None:
            yield
            return
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _write(self, last: dict[str, int], server: dict[str, int]) -> None:
        tmp = self.path.with_name(f"{self.path.name}.{uuid.uuid4().hex[:12]}.tmp")
        data = json.dumps({"last": last, "server": server}, sort_keys=True).encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        try:
            dfd = os.open(self.path.parent, os.O_RDONLY)
        except OSError:  # Windows: no folder handles; the rename is durable enough there
            return
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


__all__ = ["SeqFile"]
