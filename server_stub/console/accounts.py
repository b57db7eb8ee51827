"""Console accounts: usernames, roles and argon2id password hashes.

argon2id (argon2-cffi's defaults: 64 MiB, 3 passes) is memory-hard, so a stolen database
costs an attacker memory per guess, not just time. An unknown username is checked against
a dummy hash so that the answer takes as long as for a known one.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from enum import Enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION
from sqlalchemy import Connection, Engine, delete, insert, select, update

from .. import db

_USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 hashes anything, but a megabyte "password" is a DoS

_hasher = PasswordHasher()


def _dummy_hash(h: PasswordHasher) -> str:
    """A well-formed hash with ``h``'s parameters that no password matches (random salt and
    digest): checking a password against it costs what checking a real one does. Written
    out rather than computed: hashing costs ~0.5 s of CPU, at every start of every
    ``serve`` and ``kiosk-server`` process that imports the console."""
    def b64(n: int) -> str:
        return base64.b64encode(secrets.token_bytes(n)).decode().rstrip("=")

    return (f"$argon2{h.type.name.lower()}$v={ARGON2_VERSION}$m={h.memory_cost},"
            f"t={h.time_cost},p={h.parallelism}${b64(h.salt_len)}${b64(h.hash_len)}")


_DUMMY_HASH = _dummy_hash(_hasher)


class Role(str, Enum):
    """What an account may see and do (see :data:`PAGES`)."""

    HR = "hr"
    IT = "it"
    VIEWER = "viewer"


# Which roles reach which console page; one table, checked by every route.
PAGES: dict[str, frozenset[Role]] = {
    "today": frozenset(Role),
    "attendance": frozenset({Role.HR, Role.VIEWER}),
    "employees": frozenset({Role.HR}),
    "corrections": frozenset({Role.HR}),
    "terminals": frozenset({Role.IT}),
    "audit": frozenset({Role.HR, Role.IT}),
}


class AccountError(Exception):
    """A refused account change; ``str()`` is one sentence for the CLI."""


@dataclass(frozen=True)
class Account:
    username: str
    role: Role


def check_username(username: str) -> str:
    if not _USERNAME_RE.fullmatch(username):
        raise AccountError("username must be 1-64 of a-z 0-9 . _ - (starting with a letter or digit)")
    return username


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(f"password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters")
    return password


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise AccountError("role must be hr, it or viewer") from None


def add_admin(conn: Connection, username: str, role: Role, password: str, now: float) -> None:
    check_username(username)
    check_password(password)
    if conn.execute(select(db.admins.c.username)
                    .where(db.admins.c.username == username)).first() is not None:
        raise AccountError(f"account {username!r} exists already (use set-password)")
    conn.execute(insert(db.admins).values(
        username=username, role=role.value, password_hash=_hasher.hash(password),
        created_at=now, password_changed_at=now))


def set_password(conn: Connection, username: str, password: str, now: float) -> None:
    """New password; every open session of the account ends (it may have been stolen)."""
    check_password(password)
    n = conn.execute(update(db.admins).where(db.admins.c.username == username).values(
        password_hash=_hasher.hash(password), password_changed_at=now)).rowcount
    if n != 1:
        raise AccountError(f"unknown account {username!r}")
    conn.execute(delete(db.console_sessions).where(db.console_sessions.c.username == username))


def remove_admin(conn: Connection, username: str) -> None:
    conn.execute(delete(db.console_sessions).where(db.console_sessions.c.username == username))
    n = conn.execute(delete(db.admins).where(db.admins.c.username == username)).rowcount
    if n != 1:
        raise AccountError(f"unknown account {username!r}")


def list_admins(engine: Engine) -> list[Account]:
    with engine.connect() as conn:
        rows = conn.execute(select(db.admins.c.username, db.admins.c.role)
                            .order_by(db.admins.c.username)).all()
    return [Account(r.username, Role(r.role)) for r in rows]


def verify(engine: Engine, username: str, password: str) -> Account | None:
    """The account if the password is right, else None (same cost either way)."""
    with engine.connect() as conn:
        row = conn.execute(select(db.admins.c.role, db.admins.c.password_hash)
                           .where(db.admins.c.username == username)).first()
    stored = row.password_hash if row is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _hasher.check_needs_rehash(stored):
        with db.write_txn(engine) as conn:
            conn.execute(update(db.admins).where(db.admins.c.username == username)
                         .values(password_hash=_hasher.hash(password)))
    return Account(username, Role(row.role))


def get_account(conn: Connection, username: str) -> Account | None:
    row = conn.execute(select(db.admins.c.role).where(db.admins.c.username == username)).first()
    return None if row is None else Account(username, Role(row.role))
