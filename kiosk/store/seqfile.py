"""The sequence floor: a terminal's last sequence number, kept outside the outbox file.

A corrupt outbox is moved aside and a fresh one started; the per-terminal sequence must not
begin again at 1 (the server would store two punches under one number and the completeness
proof would lie). So beside the outbox sits a small 0600 JSON file holding, per terminal,
the last sequence number handed out (``last``) and the highest one the server said it has
stored (``server``). :meth:`SeqFile.raise_last` writes it atomically (temp file, fsync,
rename, fsync of the folder) *before* the outbox row with that number commits, so the file
is never behind the outbox; a fresh outbox continues at ``max(outbox, file, server) + 1``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class SeqFile:
    """The ``<outbox>.seq`` file: ``{"last": {terminal: n}, "server": {terminal: n}}``.

    Attributes:
        path: the file.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:  # written 0600; a looser one (copied, restored) is tightened
            mode = self.path.stat().st_mode
            if mode & 0o077:
                os.chmod(self.path, mode & 0o700)
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
        with self._lock:
            if self._last.get(terminal_id) != seq + 1:
                return
            last = {**self._last, terminal_id: seq}
            self._write(last, self._server)
            self._last = last

    def server(self, terminal_id: str) -> int:
        with self._lock:
            return self._server.get(terminal_id, 0)

    def raise_last(self, terminal_id: str, seq: int) -> None:
        """Remember ``seq`` as handed out (durably, before the row commits); never lowers."""
        with self._lock:
            if seq <= self._last.get(terminal_id, 0):
                return
            last = {**self._last, terminal_id: seq}
            self._write(last, self._server)
            self._last = last

    def raise_server(self, terminal_id: str, seq: int) -> bool:
        """Remember the server's highest stored seq; True when it was news."""
        with self._lock:
            if seq <= self._server.get(terminal_id, 0):
                return False
            server = {**self._server, terminal_id: seq}
            self._write(self._last, server)
            self._server = server
            return True

    def _write(self, last: dict[str, int], server: dict[str, int]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        data = json.dumps({"last": last, "server": server}, sort_keys=True).encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        try:
            dfd = os.open(self.path.parent, os.O_RDONLY)
        except OSError:  # Windows: no folder handles; the rename is durable enough there
            return
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


__all__ = ["SeqFile"]
