"""One observable picture of the terminal's health for the header and the status panel.

It only collects what the services emit (all on the GUI thread); it reads no disk and no
network itself. Each field has exactly one writer, named in :class:`Status`; where two
sources know about the same thing (the outbox opened by the sync thread and by the
recorder's thread, the last sync problem remembered on disk and the one the engine just
saw), each has its own field and a property says which one counts. ``to_json()`` is what
goes into the diagnostics zip.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Signal

from kiosk.core.problems import Problem, problem_of
from kiosk.core.protocol import Roster
from kiosk.scan.camera_check import CameraCheck
from kiosk.store import RejectedPunch
from kiosk.sync.engine import SyncState

from .recorder_service import StorageSnapshot


@dataclass(frozen=True)
class ServerLine:
    """One configured server URL: reachable True/False, or None when not tried yet."""

    url: str
    reachable: bool | None = None
    problem: Problem | None = None
    active: bool = False


def server_lines(urls: tuple[str, ...], state: SyncState) -> tuple[ServerLine, ...]:
    """Every configured URL with the sync client's last outcome for it."""
    lines = []
    active = (state.server_url or "").rstrip("/")
    for url in urls:
        key = url.rstrip("/")
        if key not in state.server_errors:
            lines.append(ServerLine(url))
            continue
        problem = state.server_errors[key]
        lines.append(ServerLine(url, problem is None, problem, state.online and key == active))
    return tuple(lines)


@dataclass(frozen=True)
class Status:
    """The terminal's health. Writers: ``init`` (the app, at start), ``roster``
    (:meth:`StatusModel.update_roster`), ``link`` (:meth:`~StatusModel.update_sync_state`),
    ``storage`` (:meth:`~StatusModel.update_storage`), ``open``
    (:meth:`~StatusModel.update_outbox_open`), ``camera`` (the camera signals)."""

    terminal_id: str = ""  # init
    terminal_name: str = ""  # init, then roster
    site: str = ""  # init, then roster
    version: str = ""  # init
    server_urls: tuple[str, ...] = ()  # init
    keyring_backend: str = ""  # init
    insecure_http: Problem | None = None  # init: plain http:// allowed to a remote host
    servers: tuple[ServerLine, ...] = ()  # link: each URL's reachability (server_urls' order)
    online: bool | None = None  # link; None: no sync pass yet
    active_url: str | None = None  # link
    link_problem: Problem | None = None  # link: why the last pass failed
    terminal_revoked: bool = False  # link
    clock_offset_s: float | None = None  # link
    pending: int = 0  # storage (and the rest of this block)
    oldest_pending_age_s: float | None = None
    rejected: int = 0
    sent: int = 0
    rejected_list: tuple[RejectedPunch, ...] = ()
    last_sync: datetime | None = None
    stored_problem: Problem | None = None  # the last failure the outbox remembers
    disk_free_bytes: int | None = None
    storage_problem: Problem | None = None  # the recorder's outbox cannot be opened or read
    storage_recovered_from: str | None = None  # the recorder's open moved a corrupt file
    open_problem: Problem | None = None  # open: the sync thread's outbox open failed
    open_recovered_from: str | None = None  # open: it moved a corrupt file aside
    camera_state: str = "unknown"  # camera
    camera_detail: str = ""  # camera: the source's own sentence: which camera, or why not
    camera_fps: float = 0.0  # camera
    decode_ms: float = 0.0  # camera
    camera_check: CameraCheck | None = None  # camera: focus, brightness, read rate (1/s)
    scanner_layout: str = ""  # the layout mix-up the last wedge badge needed (LayoutFix.code)

    @property
    def sync_error(self) -> Problem | None:
        """The engine's verdict once it made a pass; until then what the outbox remembers
        from the last run (a kiosk restarted while offline says so at once)."""
        return self.link_problem if self.online is not None else self.stored_problem

    @property
    def outbox_error(self) -> Problem | None:
        return self.storage_problem or self.open_problem

    @property
    def outbox_recovered_from(self) -> str | None:
        return self.open_recovered_from or self.storage_recovered_from

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejected_list"] = [
            {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(r).items()}
            for r in self.rejected_list
        ]
        if self.last_sync:
            data["last_sync"] = self.last_sync.isoformat()
        data["sync_error"] = asdict(self.sync_error) if self.sync_error else None
        data["outbox_error"] = asdict(self.outbox_error) if self.outbox_error else None
        data["outbox_recovered_from"] = self.outbox_recovered_from
        return data


class StatusModel(QObject):
    """Signals:
        changed(Status): after any field changed.
    """

    changed = Signal(object)

    def __init__(self, initial: Status, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._status = initial

    @property
    def status(self) -> Status:
        return self._status

    def _set(self, **values: Any) -> None:
        new = replace(self._status, **values)
        if new != self._status:
            self._status = new
            self.changed.emit(new)

    # slots connected to the services' signals
    def update_storage(self, snap: StorageSnapshot) -> None:
        self._set(pending=snap.pending, oldest_pending_age_s=snap.oldest_pending_age_s,
                  rejected=snap.rejected, sent=snap.sent,
                  last_sync=snap.last_sync or self._status.last_sync,
                  rejected_list=tuple(snap.rejected_list), disk_free_bytes=snap.disk_free_bytes,
                  stored_problem=snap.last_problem, storage_problem=snap.outbox_error,
                  storage_recovered_from=snap.recovered_from)

    def update_outbox_open(self, recovered_from: str | None,
                           error: BaseException | None) -> None:
        """The sync thread opened the outbox (moving a corrupt file aside) or could not."""
        self._set(open_problem=problem_of(error) if error is not None else None,
                  open_recovered_from=recovered_from)

    def update_sync_state(self, state: SyncState) -> None:
        self._set(online=state.online, clock_offset_s=state.clock_offset_s,
                  active_url=state.server_url, link_problem=state.problem,
                  servers=server_lines(self._status.server_urls, state),
                  terminal_revoked=state.terminal_revoked)

    def update_roster(self, roster: Roster) -> None:
        self._set(terminal_name=roster.terminal_name or self._status.terminal_name,
                  site=roster.site or self._status.site)

    def update_scanner_layout(self, code: str | None) -> None:
        """A wedge badge was read only after undoing a layout mix-up (sticky until restart:
        IT should fix the scanner or the terminal, not wait for the next scan)."""
        if code:
            self._set(scanner_layout=code)

    def update_camera_status(self, state: str, detail: str) -> None:
        self._set(camera_state=state, camera_detail=detail)

    def update_camera_check(self, check: CameraCheck) -> None:
        self._set(camera_check=check)

    def update_camera_stats(self, fps: float, decode_ms: float) -> None:
        self._set(camera_fps=round(fps, 1), decode_ms=round(decode_ms, 1))
