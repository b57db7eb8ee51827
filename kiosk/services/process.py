"""Process-wide hooks: the excepthook, SIGTERM via the event loop, and the one router of
Qt's own messages (qWarning...) into Python logging.

Only the real commands install these.
"""

from __future__ import annotations

import faulthandler
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from PySide6 import QtCore
from PySide6.QtCore import QObject, QSocketNotifier, Signal

from kiosk.logging_setup import QT_LOGGER

log = logging.getLogger("kiosk.process")

_QT_LEVELS = {
    QtCore.QtMsgType.QtDebugMsg: logging.DEBUG,
    QtCore.QtMsgType.QtInfoMsg: logging.INFO,
    QtCore.QtMsgType.QtWarningMsg: logging.WARNING,
    QtCore.QtMsgType.QtCriticalMsg: logging.ERROR,
    QtCore.QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def install_qt_message_handler() -> Callable[[], None]:
    """Route qDebug/qWarning/... into the ``kiosk.qt`` logger; returns an uninstaller that
    puts back whatever handler was installed before (pytest-qt's, in tests)."""
    qt_log = logging.getLogger(QT_LOGGER)

    def handler(msg_type: QtCore.QtMsgType, context: QtCore.QMessageLogContext,
                message: str) -> None:
        category = context.category or ""
        prefix = f"{category}: " if category and category != "default" else ""
        level = _QT_LEVELS.get(msg_type, logging.WARNING)
        if "propagateSizeHints" in message:  # the offscreen platform's noise, not ours
            level = logging.DEBUG
        qt_log.log(level, "%s%s", prefix, message)

    previous = QtCore.qInstallMessageHandler(handler)

    def uninstall() -> None:
        QtCore.qInstallMessageHandler(previous)

    return uninstall


def install_excepthook(dump_hangs: bool = True) -> None:
    """An exception in a slot is logged, never an abort (PySide would print and go on, or
    with some settings abort); threads too."""
    def hook(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.critical("unhandled exception", exc_info=(exc_type, exc, tb))

    sys.excepthook = hook
    threading.excepthook = lambda args: log.critical(
        "unhandled exception in thread %s", getattr(args.thread, "name", "?"),
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback))  # type: ignore[arg-type]
    if dump_hangs:
        try:
            faulthandler.enable()  # a crashed main loop dumps its stacks to stderr
        except (RuntimeError, ValueError, OSError):
            pass


class SignalWakeup(QObject):
    """SIGTERM/SIGINT handled through the event loop (systemd stops the kiosk cleanly).

    The C-level handler only writes to a socket; Qt sees the socket readable and emits
    ``received`` on the GUI thread.
    """

    received = Signal(int)

    def __init__(self, signals: Sequence[int] = (signal.SIGTERM, signal.SIGINT),
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._read, self._write = socket.socketpair()
        self._read.setblocking(False)
        self._write.setblocking(False)
        self._old_fd = signal.set_wakeup_fd(self._write.fileno())
        self._old = {s: signal.signal(s, lambda *_: None) for s in signals}
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._readable)

    def _readable(self) -> None:
        try:
            data = self._read.recv(64)
        except OSError:
            return
        for b in data:
            log.info("signal %d received: shutting down", b)
            self.received.emit(int(b))

    def close(self) -> None:
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._old_fd)
        for s, old in self._old.items():
            signal.signal(s, old)
        self._read.close()
        self._write.close()
