"""Terminal secrets encrypted at rest, and the data folder kept private.

The database holds each terminal's HMAC secret sealed with AES-GCM (``cryptography``)
under a key that lives only in ``<data_dir>/keys/terminal-secrets.key`` (0600, folder 0700),
so a copy of the database alone - a backup, a dump, a stolen ``server.sqlite3`` - lets no
one sign as a terminal. The terminal id is the associated data: a sealed secret copied onto
another terminal's row does not open.

:func:`convert` is run at every start: it seals any plain secret left by an older version,
drops bearer tokens from stored punches (keeping badge id and key id), and tightens
permissions, so an existing data folder is converted on first start.
"""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, select, update

from kiosk.core.protocol import BadgeError, parse_badge

from . import db

KEY_FILE = "terminal-secrets.key"
PREFIX = "v1."


class SecretBoxError(Exception):
    """The key file is missing or unreadable, or a sealed secret does not open."""


class SecretBox:
    """Seals and opens terminal secrets with one AES-256-GCM key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> SecretBox:
        """The folder's key, created (0600 in a 0700 ``keys/``) on first use."""
        keys = Path(data_dir) / "keys"
        keys.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(keys, 0o700)
        path = keys / KEY_FILE
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(AESGCM.generate_key(bit_length=256))
                f.flush()
                os.fsync(f.fileno())
        try:
            key = path.read_bytes()
        except OSError as exc:
            raise SecretBoxError(f"cannot read the terminal secret key {path}: {exc}") from None
        if len(key) != 32:
            raise SecretBoxError(f"{path} is not a 256-bit key")
        return cls(key)

    def seal(self, terminal_id: str, secret: str) -> str:
        nonce = os.urandom(12)
        ct = self._aead.encrypt(nonce, secret.encode(), terminal_id.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + ct).decode().rstrip("=")

    def open(self, terminal_id: str, stored: str) -> str:
        """The secret; a value without the prefix is a plain one from before conversion."""
        if not stored.startswith(PREFIX):
            return stored
        raw = stored[len(PREFIX):]
        try:
            blob = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
            return self._aead.decrypt(blob[:12], blob[12:], terminal_id.encode()).decode()
        except (ValueError, InvalidTag):
            raise SecretBoxError(f"the secret of terminal {terminal_id} does not open with "
                                 "this data folder's key") from None


def is_sealed(stored: str | None) -> bool:
    return stored is None or stored.startswith(PREFIX)


def private_files(data_dir: Path) -> None:
    """Data folder 0700; every folder in it 0700, every file (database, -wal, -shm, logs,
    backups) 0600 - for a folder made by an older version (new files are born private)."""
    data_dir = Path(data_dir)
    os.chmod(data_dir, 0o700)
    for path in data_dir.rglob("*"):
        mode = path.lstat().st_mode
        if stat.S_ISDIR(mode):
            os.chmod(path, 0o700)
        elif stat.S_ISREG(mode) and mode & 0o077:
            os.chmod(path, 0o600)


def _kid_of(token: str) -> str | None:
    """The key id of a stored bearer token (KB1 or KB2), or None for one that does not parse."""
    try:
        return parse_badge(token).kid[:16]
    except BadgeError:
        return None


def convert(engine: Engine, box: SecretBox) -> tuple[int, int]:
    """Seal plain secrets, drop stored bearer tokens; returns (secrets, punches) converted."""
    t, p = db.terminals.c, db.punches.c
    with db.write_txn(engine) as conn:
        plain = [(r.terminal_id, r.secret) for r in conn.execute(
            select(t.terminal_id, t.secret).where(t.secret.is_not(None)))
            if not is_sealed(r.secret)]
        for terminal_id, secret in plain:
            conn.execute(update(db.terminals).where(t.terminal_id == terminal_id)
                         .values(secret=box.seal(terminal_id, secret)))
        tokens = list(conn.execute(select(p.event_id, p.badge).where(p.badge != "")))
        for event_id, token in tokens:
            kid = _kid_of(token)
            conn.execute(update(db.punches).where(p.event_id == event_id)
                         .values(badge="", kid=kid))
    if (plain or tokens) and engine.dialect.name == "sqlite":
        _scrub(engine)
    return len(plain), len(tokens)


def _scrub(engine: Engine) -> None:
    """Rewrite the SQLite file so the old plain values leave the WAL and the free pages."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.exec_driver_sql("VACUUM")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def secure(data_dir: Path, engine: Engine) -> SecretBox:
    """At every start: the key, the conversion of older data, private permissions."""
    box = SecretBox.for_data_dir(data_dir)
    convert(engine, box)
    private_files(data_dir)
    return box
