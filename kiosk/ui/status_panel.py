"""The IT status panel (behind the PIN): everything needed to tell if the terminal is healthy.

Read-only view of the :class:`~kiosk.services.status.StatusModel`; its buttons only emit
signals, the app does the work on worker threads.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.services.status import ServerLine, Status, StatusModel

from . import theme
from .i18n import describe_problem
from .messages import reject_reason

_T = QCoreApplication  # lupdate reads the literal _T.translate("StatusPanel", ...) calls


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    s = int(seconds)
    if s < 120:
        return _T.translate("StatusPanel", "%1 s").replace("%1", str(s))
    if s < 7200:
        return _T.translate("StatusPanel", "%1 min").replace("%1", str(s // 60))
    return _T.translate("StatusPanel", "%1 h %2 min").replace("%1", str(s // 3600)).replace(
        "%2", str((s % 3600) // 60))


def _bytes(n: int | None) -> str:
    if n is None:
        return "–"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


class StatusPanel(QWidget):
    """Signals (the actions): sync_requested, camera_test_requested, scanner_test_requested,
    diagnostics_requested, leave_kiosk_requested, closed."""

    sync_requested = Signal()
    camera_test_requested = Signal()
    scanner_test_requested = Signal()
    diagnostics_requested = Signal()
    leave_kiosk_requested = Signal()
    closed = Signal()

    def __init__(self, model: StatusModel, log_lines: Callable[[int], list[str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusPanel")
        self._model = model
        self._log_lines = log_lines
        self._tz: tzinfo | None = None  # the site's, like the header clock (None: system)
        self.fields: dict[str, QLabel] = {}
        form_left, form_right = QFormLayout(), QFormLayout()
        rows = [
            ("terminal", self.tr("Terminal:")), ("site", self.tr("Site:")),
            ("version", self.tr("Version:")), ("servers", self.tr("Servers:")),
            ("connection", self.tr("Connection:")), ("last_sync", self.tr("Last sync:")),
            ("pending", self.tr("Waiting to send:")), ("oldest", self.tr("Oldest waiting:")),
            ("rejected", self.tr("Rejected by server:")), ("offset", self.tr("Clock offset:")),
            ("camera", self.tr("Camera:")), ("disk", self.tr("Disk free:")),
            ("keyring", self.tr("Secret store:")), ("scanner", self.tr("Scanner:")),
            ("problem", self.tr("Problem:")),
        ]
        for i, (key, label) in enumerate(rows):
            value = QLabel()
            value.setWordWrap(True)
            value.setObjectName(f"status_{key}")
            self.fields[key] = value
            name = QLabel(label)
            name.setObjectName("statusKey")
            (form_left if i < 7 else form_right).addRow(name, value)
        forms = QHBoxLayout()
        forms.addLayout(form_left, 1)
        forms.addLayout(form_right, 1)

        self.rejected_list = QListWidget()
        self.rejected_list.setMaximumHeight(96)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(200)
        self.action_result = QLabel()
        self.action_result.setWordWrap(True)

        buttons = QGridLayout()
        self.sync_button = QPushButton(self.tr("Sync now"))
        self.camera_button = QPushButton(self.tr("Test camera"))
        self.scanner_button = QPushButton(self.tr("Scan a test code"))
        self.diag_button = QPushButton(self.tr("Export diagnostics"))
        self.leave_button = QPushButton(self.tr("Leave kiosk mode"))
        self.close_button = QPushButton(self.tr("Back to kiosk"))
        for i, (button, signal) in enumerate([
            (self.sync_button, self.sync_requested),
            (self.camera_button, self.camera_test_requested),
            (self.scanner_button, self.scanner_test_requested),
            (self.diag_button, self.diagnostics_requested),
            (self.leave_button, self.leave_kiosk_requested),
            (self.close_button, self.closed),
        ]):
            button.setMinimumHeight(theme.TOUCH_PX)
            button.clicked.connect(signal)
            buttons.addWidget(button, i // 3, i % 3)  # 3 a row: room for longer languages

        title = QLabel(self.tr("Terminal status"))
        title.setObjectName("statusTitle")
        box = QVBoxLayout(self)
        box.addWidget(title)
        box.addLayout(forms)
        box.addWidget(QLabel(self.tr("Rejected punches (latest first):")))
        box.addWidget(self.rejected_list)
        box.addWidget(QLabel(self.tr("Recent log:")))
        box.addWidget(self.log_view, 1)
        box.addWidget(self.action_result)
        box.addLayout(buttons)
        box.setContentsMargins(24, 20, 24, 20)
        box.setSpacing(10)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(theme.STYLE)  # the kiosk's dark theme, touch-sized
        model.changed.connect(self.show_status)
        self.show_status(model.status)

    def set_timezone(self, tz: tzinfo | None) -> None:
        self._tz = tz
        self.show_status(self._model.status)

    def refresh_log(self) -> None:
        self.log_view.setPlainText("\n".join(self._log_lines(40)))
        self.log_view.verticalScrollBar().setValue(self.log_view.verticalScrollBar().maximum())

    def show_result(self, text: str) -> None:
        self.action_result.setText(text)

    def _camera_word(self, state: str) -> str:
        words = {
            "running": self.tr("running"), "ok": self.tr("running"), "open": self.tr("running"),
            "connecting": self.tr("connecting"), "disconnected": self.tr("reconnecting"),
            "reconnecting": self.tr("reconnecting"), "error": self.tr("not available"),
            "stopped": self.tr("stopped"),
        }
        return words.get(str(state).lower(), self.tr("unknown"))

    def _camera_check_line(self, check: Any) -> str:
        """Focus, brightness and the read rate over the last frames (the camera check)."""
        if check is None or not getattr(check, "frames", 0):
            return ""
        line = self.tr("focus %1, brightness %2").replace("%1", f"{check.focus:.0f}").replace(
            "%2", f"{check.brightness:.0f}")
        if check.read_rate is None:
            line += ", " + self.tr("no code in the last %1 frames").replace("%1", str(check.frames))
        else:
            line += ", " + self.tr("read %1 of %2 frames with a code").replace(
                "%1", f"{check.read_rate:.0%}").replace("%2", str(check.located))
        return "\n" + line

    def show_scanner_test(self, info: Any, what: str, layout: str) -> None:
        """What a test scan showed: its text (or what it is), key timing, Enter, doubled
        output, and the layout it seems typed in (``layout``: a LayoutFix code or "")."""
        yes, no = self.tr("yes"), self.tr("no")
        lines = [
            self.tr("Arrived: %1 (%2 characters)").replace("%1", what).replace("%2", str(len(info.text))),
            self.tr("Keys every %1 ms (slowest gap %2 ms); Enter at the end: %3; doubled output: %4")
            .replace("%1", f"{info.median_gap_ms:g}").replace("%2", f"{info.max_gap_ms:g}")
            .replace("%3", yes if info.enter else no).replace("%4", yes if info.doubled else no),
            self.tr("Layout: %1").replace("%1", self._scanner_line(layout) if layout
                                          else self.tr("matches this terminal's")),
        ]
        self.show_result("\n".join(lines))

    def _scanner_line(self, layout: str) -> str:
        """What IT should change when wedge badges arrive through a layout mix-up."""
        if not layout:
            return self.tr("no layout problem seen")
        base, _, caps = layout.partition("+")
        if base == "caps_lock":
            return self.tr("Caps Lock is on: badges are still read, but switch it off.")
        names = {"qwertz": self.tr("German (QWERTZ)"), "azerty_fr": self.tr("French (AZERTY)"),
                 "azerty_be": self.tr("Belgian (AZERTY)")}
        line = self.tr(
            "The scanner types for a US keyboard but this terminal's layout is %1: badges are "
            "still read; program the scanner for %1, or set this terminal's layout to US.",
        ).replace("%1", names.get(base, base))
        if caps:
            line += " " + self.tr("Switch Caps Lock off as well.")
        return line

    def _server_line(self, line: ServerLine) -> str:
        if line.reachable is None:
            state = self.tr("not tried yet")
        elif line.reachable:
            state = self.tr("reachable, in use") if line.active else self.tr("reachable")
        else:
            state = describe_problem(line.problem) or self.tr("unreachable")
        return f"{line.url} – {state}"

    def show_status(self, st: Status) -> None:
        f = self.fields
        f["terminal"].setText(f"{st.terminal_name or '–'} ({st.terminal_id or '–'})")
        f["site"].setText(st.site or "–")
        f["version"].setText(st.version)
        servers = st.servers or tuple(ServerLine(url) for url in st.server_urls)
        f["servers"].setText("\n".join(self._server_line(s) for s in servers) or "–")
        if st.terminal_revoked:
            conn = self.tr("terminal revoked by the server – not sending; punches kept")
        elif st.online is None:
            conn = self.tr("not contacted yet")
        elif st.online:
            conn = self.tr("reachable") + (f" ({st.active_url})" if st.active_url else "")
        else:
            conn = self.tr("unreachable")
        f["connection"].setText(conn)
        f["last_sync"].setText(
            st.last_sync.astimezone(self._tz).strftime("%Y-%m-%d %H:%M:%S %Z")
            if isinstance(st.last_sync, datetime) else self.tr("never"))
        f["pending"].setText(str(st.pending))
        f["oldest"].setText(_age(st.oldest_pending_age_s))
        f["rejected"].setText(str(st.rejected))
        f["offset"].setText("–" if st.clock_offset_s is None else _T.translate(
            "StatusPanel", "%1 s").replace("%1", f"{st.clock_offset_s:+.2f}"))
        f["camera"].setText(self.tr("%1, %2 fps, decode %3 ms")
                            .replace("%1", self._camera_word(st.camera_state))
                            .replace("%2", f"{st.camera_fps:.1f}")
                            .replace("%3", f"{st.decode_ms:.1f}")
                            + self._camera_check_line(st.camera_check)
                            + (f"\n{_T.translate('Source', st.camera_detail)}"
                               if st.camera_detail else ""))
        f["disk"].setText(_bytes(st.disk_free_bytes))
        f["keyring"].setText(_T.translate("Source", st.keyring_backend) or "–")
        f["scanner"].setText(self._scanner_line(st.scanner_layout))
        problems = [describe_problem(p)
                    for p in (st.insecure_http, st.outbox_error, st.sync_error) if p]
        if st.outbox_recovered_from:
            problems.append(self.tr("outbox was corrupt, moved to %1")
                            .replace("%1", st.outbox_recovered_from))
        f["problem"].setText("\n".join(problems) or self.tr("none"))
        self.rejected_list.clear()
        for r in st.rejected_list:
            when_s = r.wall_time.astimezone(self._tz).strftime("%m-%d %H:%M")
            self.rejected_list.addItem(
                self.tr("#%1 %2 badge %3: %4").replace("%1", str(r.seq))
                .replace("%2", when_s).replace("%3", r.badge_id)
                .replace("%4", f"{reject_reason(r.reason)} ({r.reason})"))
        if self.isVisible():
            self.refresh_log()
