"""One observable picture of the terminal's health for the header and the status panel.

It only collects what the services emit (all on the GUI thread); it reads no disk and no
network itself. ``snapshot()`` is also what goes into the diagnostics zip.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Signal

from .problems import Problem, outbox_problem, sync_problem


def state_value(state: Any, *names: str, default: Any = None) -> Any:
    """Read the first present field of the sync engine's state (object or mapping)."""
    if state is None:
        return default
    for name in names:
        if isinstance(state, dict) and name in state:
            return state[name]
        if hasattr(state, name):
            return getattr(state, name)
    return default


def is_online(state: Any) -> bool | None:
    value = state_value(state, "reachable", "online", "server_reachable", "connected")
    return None if value is None else bool(value)


def _as_raised(text: Any, errors: Any) -> Any:
    """The exception behind the engine's error text when the client still holds it (its
    type and cause say more than the shortened text)."""
    if isinstance(text, str) and isinstance(errors, dict):
        for error in errors.values():
            if error is not None and str(error) == text:
                return error
    return text


@dataclass(frozen=True)
class ServerLine:
    """One configured server URL: reachable True/False, or None when not tried yet."""

    url: str
    reachable: bool | None = None
    problem: Problem | None = None
    active: bool = False


def server_lines(urls: tuple[str, ...], errors: Any, active_url: str | None,
                 online: bool | None) -> tuple[ServerLine, ...]:
    """Every configured URL with the sync client's last outcome for it."""
    errors = errors if isinstance(errors, dict) else {}
    lines = []
    for url in urls:
        key = url.rstrip("/")
        if key not in errors:
            lines.append(ServerLine(url))
            continue
        error = errors[key]
        lines.append(ServerLine(url, error is None, sync_problem(error, key),
                                bool(online) and key == (active_url or "").rstrip("/")))
    return tuple(lines)


@dataclass(frozen=True)
class Status:
    terminal_id: str = ""
    terminal_name: str = ""
    site: str = ""
    version: str = ""
    server_urls: tuple[str, ...] = ()
    servers: tuple[ServerLine, ...] = ()  # each URL's reachability (server_urls' order)
    online: bool | None = None
    active_url: str | None = None
    sync_error: Problem | None = None
    terminal_revoked: bool = False
    last_sync: datetime | None = None
    pending: int = 0
    oldest_pending_age_s: float | None = None
    rejected: int = 0
    sent: int = 0
    rejected_list: tuple[Any, ...] = ()
    clock_offset_s: float | None = None
    camera_state: str = "unknown"
    camera_detail: str = ""  # the camera source's own sentence: which camera, or why not
    camera_fps: float = 0.0
    decode_ms: float = 0.0
    disk_free_bytes: int | None = None
    keyring_backend: str = ""
    scanner_layout: str = ""  # the layout mix-up the last wedge badge needed (LayoutFix.code)
    camera_check: Any = None  # kiosk.scan.camera_check.CameraCheck, once a second while running
    outbox_error: Problem | None = None
    outbox_recovered_from: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejected_list"] = [
            {k: (v.isoformat() if isinstance(v, datetime) else v)
             for k, v in (asdict(r) if hasattr(r, "__dataclass_fields__") else
                          {"item": str(r)}).items()}
            for r in self.rejected_list
        ]
        if self.last_sync:
            data["last_sync"] = self.last_sync.isoformat()
        return data


class StatusModel(QObject):
    """Signals:
        changed(Status): after any field changed.
    """

    changed = Signal(object)

    def __init__(self, initial: Status, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._status = initial
        self._open_error: Problem | None = None  # the sync thread could not open the outbox

    @property
    def status(self) -> Status:
        return self._status

    def _set(self, **values: Any) -> None:
        new = replace(self._status, **values)
        if new != self._status:
            self._status = new
            self.changed.emit(new)

    # slots connected to the services' signals
    def update_storage(self, snap: Any) -> None:
        last_sync = snap.last_sync or self._status.last_sync
        self._set(pending=snap.pending, oldest_pending_age_s=snap.oldest_pending_age_s,
                  rejected=snap.rejected, sent=snap.sent, last_sync=last_sync,
                  rejected_list=tuple(snap.rejected_list), disk_free_bytes=snap.disk_free_bytes,
                  # sticky: the sync thread's open moved the file, the recorder's did not
                  outbox_recovered_from=snap.recovered_from or self._status.outbox_recovered_from,
                  outbox_error=snap.outbox_error or self._open_error)
        if snap.last_error and not self._status.sync_error:
            self._set(sync_error=sync_problem(snap.last_error))

    def update_outbox_open(self, recovered_from: str | None, error: Any) -> None:
        """The sync thread opened the outbox (moving a corrupt file aside) or could not."""
        self._open_error = outbox_problem(error)
        values: dict[str, Any] = {"outbox_error": self._open_error or self._status.outbox_error}
        if recovered_from:
            values["outbox_recovered_from"] = recovered_from
        self._set(**values)

    def update_sync_state(self, state: Any) -> None:
        values: dict[str, Any] = {"online": is_online(state)}
        offset = state_value(state, "clock_offset_s", "offset_s", "clock_offset")
        if offset is not None:
            values["clock_offset_s"] = float(offset)
        url = state_value(state, "active_url", "server_url", "url")
        if url is not None:
            values["active_url"] = str(url)
        errors = state_value(state, "server_errors")
        values["sync_error"] = sync_problem(_as_raised(state_value(state, "last_error", "error"),
                                                       errors))
        values["servers"] = server_lines(
            self._status.server_urls, errors,
            values.get("active_url", self._status.active_url), values["online"])
        values["terminal_revoked"] = bool(state_value(state, "revoked", "terminal_revoked",
                                                      default=False))
        last_sync = state_value(state, "last_sync", "last_success")
        if isinstance(last_sync, datetime):
            values["last_sync"] = last_sync
        pending = state_value(state, "pending")
        if isinstance(pending, int):
            values["pending"] = pending
        self._set(**values)

    def update_roster(self, roster: Any) -> None:
        name = getattr(roster, "terminal_name", "") or self._status.terminal_name
        site = getattr(roster, "site", "") or self._status.site
        self._set(terminal_name=name, site=site)

    def update_scanner_layout(self, code: str | None) -> None:
        """A wedge badge was read only after undoing a layout mix-up (sticky until restart:
        IT should fix the scanner or the terminal, not wait for the next scan)."""
        if code:
            self._set(scanner_layout=str(code))

    def update_camera_state(self, state: str) -> None:
        self._set(camera_state=str(state))

    def update_camera_status(self, state: str, detail: str) -> None:
        self._set(camera_state=str(state), camera_detail=str(detail))

    def update_camera_check(self, check: Any) -> None:
        self._set(camera_check=check)

    def update_camera_stats(self, fps: float, decode_ms: float) -> None:
        self._set(camera_fps=round(float(fps), 1), decode_ms=round(float(decode_ms), 1))
