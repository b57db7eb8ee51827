"""Make-up punch requests (补卡) filed at the kiosk: queued durably, sent signed.

A request filed after a scan is first written to its own file in the queue folder (temp
file, fsync, rename: a power cut leaves it whole or absent) on the sync thread, then sent
with the terminal's signed client like any request. It leaves the queue only when the
server answered for good: a receipt (pending approval) or a refusal with the server's code
(``quota_exceeded``, ``too_old``, ...). With no answer (offline, a timeout) it stays and is
sent on a later pass; the ``request_id`` makes a resend after a lost answer safe (the
server returns the first receipt).

The files hold the badge text the server must verify, like the outbox's punches: the
folder is the terminal's data folder and the files are 0600.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from uuid import UUID

from kiosk.core.paths import atomic_write
from kiosk.core.protocol import CorrectionReceipt, CorrectionRequest

from .client import Refused

log = logging.getLogger("kiosk.sync.corrections")

MAX_QUEUED = 200  # a terminal offline for weeks: the oldest requests are kept, new refused


class CorrectionClient(Protocol):
    def file_correction(self, req: CorrectionRequest) -> CorrectionReceipt: ...


@dataclass(frozen=True)
class CorrectionResult:
    """The server's final answer to one request: ``receipt`` or the ``refused`` code."""

    request_id: UUID
    receipt: CorrectionReceipt | None = None
    refused: str | None = None


class QueueFull(Exception):
    """MAX_QUEUED requests already wait to be sent."""


class CorrectionQueue:
    """Requests waiting to be sent, one JSON file each in ``folder``, oldest first."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def add(self, req: CorrectionRequest) -> None:
        """Store ``req`` durably (raises OSError when the disk cannot; QueueFull)."""
        if len(self._files()) >= MAX_QUEUED:
            raise QueueFull(f"{MAX_QUEUED} make-up requests already wait to be sent")
        name = f"{time.time_ns():020d}-{req.request_id}.json"
        atomic_write(self.folder / name, req.model_dump_json().encode("utf-8"), mode=0o600)

    def pending(self) -> list[CorrectionRequest]:
        out = []
        for path in self._files():
            try:
                out.append(CorrectionRequest.model_validate_json(path.read_bytes()))
            except (OSError, ValueError):
                log.error("unreadable make-up request %s moved aside", path.name)
                path.replace(path.with_suffix(".bad"))
        return out

    def remove(self, request_id: UUID) -> None:
        for path in self.folder.glob(f"*-{request_id}.json"):
            path.unlink(missing_ok=True)

    def __len__(self) -> int:
        return len(self._files())

    def _files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob("*.json"))


def send_pending(queue: CorrectionQueue, client: CorrectionClient) -> list[CorrectionResult]:
    """Send every queued request in order; the answered ones leave the queue.

    A refusal is an answer (the request leaves with the server's code). Any other
    :class:`~kiosk.sync.client.SyncError` (no answer, a bad signature) propagates, so the
    caller backs off; the requests not answered yet stay queued.
    """
    results = []
    for req in queue.pending():
        try:
            receipt = client.file_correction(req)
        except Refused as exc:
            log.info("make-up request refused by the server: %s", exc.error)
            queue.remove(req.request_id)
            results.append(CorrectionResult(req.request_id, refused=exc.error))
            continue
        queue.remove(req.request_id)
        log.info("make-up request filed: #%s for %s, waiting for approval",
                 receipt.id, receipt.work_date)
        results.append(CorrectionResult(req.request_id, receipt=receipt))
    return results
