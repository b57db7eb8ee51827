"""systemd service notifications (``sd_notify``) without a dependency.

Under a unit with ``Type=notify`` systemd sets ``NOTIFY_SOCKET``; with ``WatchdogSec=`` it
also sets ``WATCHDOG_USEC`` (and ``WATCHDOG_PID``). The kiosk then says READY=1 once its
window is up, WATCHDOG=1 every half watchdog period, STATUS=... for ``systemctl status`` and
STOPPING=1 on the way out. Without ``NOTIFY_SOCKET`` (a desk, Windows, tests) every call is
a no-op that returns False.

The pings are sent from a QTimer on the GUI thread
(:func:`kiosk.services.watchdog.start_qt_watchdog`): a frozen event loop sends none, so
systemd kills and restarts a hung kiosk. A background thread would keep pinging a dead
window, which is exactly what a watchdog must not do. This module imports no Qt.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Mapping
from typing import Any

__all__ = ["SystemdNotifier"]

_log = logging.getLogger(__name__)


class SystemdNotifier:
    """Sends ``KEY=value`` datagrams to systemd's notify socket.

    Attributes:
        address: the socket address ("/run/..." or "@abstract"), or None when disabled.
        watchdog_interval_s: how often to ping (half of ``WATCHDOG_USEC``), or None when
            the unit has no watchdog for this process.
    """

    def __init__(self, address: str | None, watchdog_usec: int | None = None) -> None:
        self.address = address or None
        if self.address and not (self.address.startswith(("/", "@"))):
            _log.warning("NOTIFY_SOCKET %r is not a unix socket path; notifications off",
                         self.address)
            self.address = None
        if self.address and getattr(socket, "AF_UNIX", None) is None:
            self.address = None  # Windows: no systemd either
        self.watchdog_interval_s = (
            watchdog_usec / 2 / 1_000_000 if self.address and watchdog_usec else None
        )
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._warned = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "SystemdNotifier":
        """The notifier systemd asked for in the environment (disabled when it did not)."""
        env = os.environ if environ is None else environ
        usec: int | None = None
        raw = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        if raw.isdigit() and int(raw) > 0 and (not pid or pid == str(os.getpid())):
            usec = int(raw)  # WATCHDOG_PID names another process: the watchdog is not ours
        return cls(env.get("NOTIFY_SOCKET"), usec)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    @property
    def watchdog_enabled(self) -> bool:
        return self.watchdog_interval_s is not None

    def notify(self, **fields: Any) -> bool:
        """Send ``KEY=value`` lines (``ready=1`` becomes ``READY=1``); True when sent."""
        if self.address is None or not fields:
            return False
        payload = "\n".join(
            f"{k.upper()}={str(v).replace(chr(10), ' ')}" for k, v in fields.items()
        ).encode("utf-8")
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        with self._lock:
            try:
                if self._sock is None:
                    self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                    self._sock.setblocking(False)  # never stall the GUI thread on systemd
                self._sock.sendto(payload, target)
            except OSError as exc:
                if not self._warned:  # once: a missing socket would flood the log
                    _log.warning("systemd notify to %s failed: %s", self.address, exc)
                    self._warned = True
                return False
        return True

    def ready(self, status: str | None = None) -> bool:
        fields: dict[str, Any] = {"READY": 1}
        if status:
            fields["STATUS"] = status
        return self.notify(**fields)

    def status(self, text: str) -> bool:
        return self.notify(STATUS=text)

    def ping(self) -> bool:
        """One WATCHDOG=1 (only when the unit has a watchdog for this process)."""
        return self.notify(WATCHDOG=1) if self.watchdog_enabled else False

    def stopping(self, status: str | None = None) -> bool:
        fields: dict[str, Any] = {"STOPPING": 1}
        if status:
            fields["STATUS"] = status
        return self.notify(**fields)

    def close(self) -> None:
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                self._sock = None
