"""An in-memory keyring backend: tests install it explicitly, never a real user keyring.

Pass an instance to ``KeyringSecretStore(MemoryKeyring())``, or, for code that asks the
keyring library itself (the CLI), ``keyring.set_keyring(MemoryKeyring())`` and restore the
previous backend afterwards. Note that ``keyring`` discovers every ``KeyringBackend``
subclass, so once this module is imported the library may pick it on its own too; that is
harmless (it is in memory) and keeps any test from reaching a real keyring.
"""

from __future__ import annotations

import threading

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """Passwords in a dict; ``priority`` is positive so the kiosk treats it as usable."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self._data: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            self._data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            if self._data.pop((service, username), None) is None:
                raise PasswordDeleteError("no such password")
