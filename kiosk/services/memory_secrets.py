"""A secret store that lives only as long as the process: for ``kiosk demo`` (whose
terminal and server vanish with it) and for tests. Never for a real terminal."""

from __future__ import annotations

import threading

from kiosk.core.i18n import QT_TRANSLATE_NOOP


class MemorySecretStore:
    description = QT_TRANSLATE_NOOP("Source", "in memory (demo only: forgotten on exit)")

    def __init__(self) -> None:
        self._data: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, terminal_id: str) -> str | None:
        with self._lock:
            return self._data.get(terminal_id)

    def set(self, terminal_id: str, secret: str) -> None:
        with self._lock:
            self._data[terminal_id] = secret

    def delete(self, terminal_id: str) -> None:
        with self._lock:
            self._data.pop(terminal_id, None)
