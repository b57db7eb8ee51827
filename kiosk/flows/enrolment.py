"""Enrolment at the terminal: the screen, the one-time code traded off the GUI thread.

Until the terminal is enrolled the kiosk shows only :class:`~kiosk.ui.enroll_screen.
EnrollScreen`; the app feeds it what the camera and the wedge scanner read (an enrolment
QR) through :meth:`EnrolmentFlow.read_scan` and :meth:`EnrolmentFlow.read_code`. The
exchange (HTTP, keyring, config file) runs on a background call and a failure is said by
its problem code in the UI's language.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from kiosk.core.config import Config
from kiosk.core.paths import Paths
from kiosk.core.problems import problem_of
from kiosk.services.background import BackgroundCall
from kiosk.sync.enroll import enroll
from kiosk.sync.secrets import SecretStore
from kiosk.ui.enroll_screen import EnrollScreen
from kiosk.ui.i18n import describe_problem


class EnrolmentFlow(QObject):
    """Signals: enrolled(Config): the terminal is enrolled and its config saved.

    Attributes:
        screen: the enrolment screen while it is shown, else None.
    """

    enrolled = Signal(object)

    def __init__(self, default_url: str, paths: Paths, secret_store: SecretStore,
                 background: BackgroundCall, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._default_url = default_url
        self._paths = paths
        self._store = secret_store
        self._background = background
        self._closed = False
        self.screen: EnrollScreen | None = None
        background.finished.connect(self._done)

    def show(self) -> None:
        self.screen = EnrollScreen(self._default_url)
        self.screen.setWindowTitle(QCoreApplication.translate("App", "Enrol terminal"))
        self.screen.enroll_requested.connect(self._enroll)
        self.screen.resize(900, 600)
        self.screen.show()

    def read_scan(self, text: str) -> None:
        """A code from the wedge scanner (or any reader) for the enrolment screen."""
        if self.screen is not None and not self._closed:
            self.screen.read_scan(text)

    def read_code(self, text: str, _polygon: list[list[int]], _frame_ts: float) -> None:
        """A code the camera decoded (``CameraService.code_decoded``)."""
        self.read_scan(text)

    def close(self) -> None:
        """The app is shutting down: ignore a late answer, close the screen."""
        self._closed = True
        if self.screen is not None and self.screen.isVisible():
            self.screen.close()

    def _enroll(self, url: str, code: str) -> None:
        paths, store = self._paths, self._store
        self._background.start("enroll", lambda: enroll(url, code, paths, store))

    def _done(self, name: str, result: Any, error: BaseException | None) -> None:
        if name != "enroll" or self._closed or self.screen is None:
            return
        if error is not None:  # the English sentence is in the log; the screen says its code
            self.screen.show_error(describe_problem(problem_of(error)))
            return
        assert isinstance(result, Config)
        self.screen.close()
        self.screen.deleteLater()
        self.screen = None
        self.enrolled.emit(result)
