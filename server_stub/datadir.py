"""The server's data folder: settings file, badge signing keys (mode 0600), admin token.

Layout::

    <data_dir>/server.json        {"database_url": ...} (see server_stub.store.engine)
    <data_dir>/server.sqlite3     the default database
    <data_dir>/keys/<kid>.pem     Ed25519 private keys (PKCS#8 PEM, 0600)
    <data_dir>/admin_token        bearer token for the admin endpoints (0600)

Private keys never enter the database, so a database dump does not leak them.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from kiosk.core.paths import atomic_write
from kiosk.core.protocol import BadgeSigner

SETTINGS_FILE = "server.json"
DB_FILE = "server.sqlite3"
KEYS_DIR = "keys"
ADMIN_TOKEN_FILE = "admin_token"


class DataDirError(Exception):
    """The data folder is missing, incomplete or unreadable (one clear sentence)."""


def default_database_url(data_dir: Path) -> str:
    """A SQLite file in the folder, written relative so a moved/restored folder keeps working."""
    return f"sqlite:///{DB_FILE}"


def write_settings(data_dir: Path, database_url: str, **extra: object) -> None:
    body = json.dumps({"database_url": database_url, **extra}, indent=2).encode()
    atomic_write(data_dir / SETTINGS_FILE, body, mode=0o600)


def read_settings(data_dir: Path) -> dict[str, Any]:
    path = data_dir / SETTINGS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataDirError(
            f"{data_dir} is not a server data folder (run 'kiosk-server init' first)"
        ) from None
    except (OSError, ValueError) as exc:
        raise DataDirError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("database_url"), str):
        raise DataDirError(f"{path} has no database_url")
    return data


def create_key(data_dir: Path, kid: str) -> BadgeSigner:
    """Generate and store a new badge signing key; refuses to overwrite one."""
    keys = data_dir / KEYS_DIR
    keys.mkdir(parents=True, exist_ok=True)
    os.chmod(keys, 0o700)
    key = Ed25519PrivateKey.generate()
    signer = BadgeSigner(kid, key)  # validates the key id
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path = keys / f"{kid}.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    return signer


def load_signer(data_dir: Path, kid: str) -> BadgeSigner:
    path = data_dir / KEYS_DIR / f"{kid}.pem"
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise DataDirError(f"badge key file {path} is missing") from None
    except (OSError, ValueError) as exc:
        raise DataDirError(f"cannot read badge key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise DataDirError(f"{path} is not an Ed25519 key")
    return BadgeSigner(kid, key)


def ensure_admin_token(data_dir: Path) -> str:
    path = data_dir / ADMIN_TOKEN_FILE
    if path.exists():
        return read_admin_token(data_dir)
    token = secrets.token_urlsafe(32)
    atomic_write(path, token.encode(), mode=0o600)
    return token


def read_admin_token(data_dir: Path) -> str:
    try:
        return (data_dir / ADMIN_TOKEN_FILE).read_text(encoding="ascii").strip()
    except (OSError, ValueError) as exc:
        raise DataDirError(f"cannot read the admin token: {exc}") from None
