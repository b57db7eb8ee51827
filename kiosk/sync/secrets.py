"""Where the terminal secret lives: the OS keyring by default, a 0600 file only on request.

The secret is what signs every request; anyone who reads it can impersonate the terminal.
The keyring (Secret Service, macOS Keychain, Windows Credential Locker) keeps it out of
plain files. The file store exists for headless kiosks without a keyring daemon and must
be chosen explicitly with ``[secrets] store = "file"``; it is the weaker option.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Protocol

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from kiosk.core.config import Config
from kiosk.core.paths import Paths, atomic_write
from kiosk.core.problems import KioskError, ProblemCode

log = logging.getLogger(__name__)

SERVICE = "checkin-kiosk"

NO_KEYRING_HELP = (
    "No usable keyring backend was found, so the terminal secret cannot be stored safely. "
    "Install and start a Secret Service (for example gnome-keyring or KeePassXC with "
    "Secret Service enabled), or install the 'keyrings.alt' package and set "
    "PYTHON_KEYRING_BACKEND, or (weaker) choose the file store with [secrets] store = "
    '"file" in the kiosk config.'
)


class SecretStoreError(KioskError):
    """The secret store cannot be used; the message says what to install or configure."""

    code = ProblemCode.SECRET_STORE


class SecretStore(Protocol):
    """The one small interface the kiosk needs; ``description`` is shown by ``kiosk status``."""

    description: str

    def get(self, terminal_id: str) -> str | None: ...

    def set(self, terminal_id: str, secret: str) -> None: ...

    def delete(self, terminal_id: str) -> None: ...


def _usable(backend: KeyringBackend) -> bool:
    try:
        priority = float(backend.priority)
    except Exception:  # some backends raise from priority when unusable
        return False
    module = type(backend).__module__
    return priority > 0 and not module.startswith(("keyring.backends.fail",
                                                   "keyring.backends.null"))


class KeyringSecretStore:
    """The terminal secret in the OS keyring, service ``checkin-kiosk``, user = terminal id.

    Pass the backend in (tests hand in an in-memory one); ``None`` means the keyring
    library's choice for this machine.
    """

    def __init__(self, backend: KeyringBackend | None = None, service: str = SERVICE) -> None:
        self._backend = backend if backend is not None else keyring.get_keyring()
        if not _usable(self._backend):
            raise SecretStoreError(NO_KEYRING_HELP)
        self._service = service
        self.description = f"keyring ({type(self._backend).__module__}." \
                           f"{type(self._backend).__name__})"

    def get(self, terminal_id: str) -> str | None:
        try:
            return self._backend.get_password(self._service, terminal_id)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(f"The keyring could not be read: {exc}") from None

    def set(self, terminal_id: str, secret: str) -> None:
        try:
            self._backend.set_password(self._service, terminal_id, secret)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(f"The keyring refused to store the secret: {exc}") from None

    def delete(self, terminal_id: str) -> None:
        try:
            self._backend.delete_password(self._service, terminal_id)
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(f"The keyring could not delete the secret: {exc}") from None


class FileSecretStore:
    """The weaker option: a JSON file readable only by the kiosk's user (mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.description = f"file {self.path} (weaker: readable by anyone with this account)"

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise SecretStoreError(f"The secret file {self.path} cannot be read: {exc}") from None
        if not isinstance(data, dict):
            raise SecretStoreError(f"The secret file {self.path} is not a JSON object.")
        return {str(k): str(v) for k, v in data.items()}

    def _write(self, data: dict[str, str]) -> None:
        try:
            atomic_write(self.path, json.dumps(data, indent=1).encode(), mode=0o600)
        except OSError as exc:
            raise SecretStoreError(
                f"The secret file {self.path} cannot be written: {exc.strerror}"
            ) from None

    def get(self, terminal_id: str) -> str | None:
        if self.path.exists() and os.name == "posix" and self.path.stat().st_mode & 0o077:
            log.warning("secret file %s is readable by other users; fix with chmod 600",
                        self.path)
        return self._read().get(terminal_id)

    def set(self, terminal_id: str, secret: str) -> None:
        data = self._read()
        data[terminal_id] = secret
        self._write(data)

    def delete(self, terminal_id: str) -> None:
        data = self._read()
        if data.pop(terminal_id, None) is not None:
            self._write(data)


def default_secret_file(paths: Paths) -> Path:
    return paths.config_dir / "terminal-secret.json"


def open_secret_store(
    config: Config, paths: Paths, keyring_backend: KeyringBackend | None = None
) -> SecretStore:
    """The store the config asks for; raises :class:`SecretStoreError` with a fix."""
    if config.secrets.store == "file":
        path = Path(config.secrets.file).expanduser() if config.secrets.file else \
            default_secret_file(paths)
        return FileSecretStore(path)
    return KeyringSecretStore(keyring_backend)
