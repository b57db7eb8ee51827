"""The systemd watchdog on the GUI thread: READY=1 once the event loop runs, WATCHDOG=1
from a QTimer, withheld when the kiosk says it is unhealthy (a worker thread died).

:class:`~kiosk.watchdog.SystemdNotifier` (Qt-free) speaks the protocol; this is its Qt
side: a frozen event loop sends no ping, so systemd kills and restarts a hung kiosk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from PySide6.QtCore import QCoreApplication, QObject, QTimer

from kiosk.watchdog import SystemdNotifier

__all__ = ["AppWatchdog", "start", "start_qt_watchdog"]

_log = logging.getLogger("kiosk.watchdog")


def start_qt_watchdog(
    notifier: SystemdNotifier,
    parent: QObject | None,
    healthy: Callable[[], bool] | None = None,
) -> QTimer | None:
    """Ping systemd from a QTimer owned by ``parent`` (a QObject on the GUI thread).

    ``healthy`` (optional) is asked before each ping; returning False (say, a worker thread
    died) stops the pings so systemd restarts the kiosk. Returns the started QTimer, or None
    when the unit has no watchdog.
    """
    if not notifier.watchdog_enabled:
        return None

    def tick() -> None:
        try:
            ok = healthy() if healthy is not None else True
        except Exception:
            _log.exception("watchdog health check failed")
            ok = False
        if ok:
            notifier.ping()
        else:
            _log.error("kiosk unhealthy: withholding the systemd watchdog ping")

    timer = QTimer(parent)
    timer.setObjectName("systemd-watchdog")
    interval_ms = max(1, int((notifier.watchdog_interval_s or 0) * 1000))
    timer.setInterval(interval_ms)
    timer.timeout.connect(tick)
    timer.start()
    notifier.ping()  # the first ping at once: startup may have used part of the period
    return timer


class AppWatchdog:
    """What :func:`start` returns to the app: holds the timer; ``stop()`` says STOPPING=1."""

    def __init__(self, notifier: SystemdNotifier, timer: QTimer | None) -> None:
        self.notifier = notifier
        self.timer = timer

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.stop()
        self.notifier.stopping("kiosk stopped")
        self.notifier.close()


def start(
    healthy: Callable[[], bool] | None = None, environ: Mapping[str, str] | None = None
) -> AppWatchdog | None:
    """What :func:`kiosk.app.run_kiosk` calls, on the GUI thread after the QApplication
    exists: None without ``NOTIFY_SOCKET``; else READY=1 as soon as the event loop runs
    (the window is up by then) and WATCHDOG=1 pings from a QTimer when the unit has
    ``WatchdogSec=``."""
    notifier = SystemdNotifier.from_env(environ)
    if not notifier.enabled:
        return None

    app = QCoreApplication.instance()
    timer = start_qt_watchdog(notifier, app, healthy)
    QTimer.singleShot(0, lambda: notifier.ready("kiosk running"))
    _log.info("systemd notify on %s; watchdog ping every %s s", notifier.address,
              notifier.watchdog_interval_s)
    return AppWatchdog(notifier, timer)
