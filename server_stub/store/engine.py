"""The database engine for a data folder: URL, password and pool size from ``server.json``.

``server.json`` may hold::

    {"database_url": "sqlite:///server.sqlite3"}       relative: inside the data folder
    {"database_url": "postgresql+psycopg://kiosk@db1/kiosk",
     "database_password_file": "db_password",           0600, relative to the data folder
     "pool_size": 20, "max_overflow": 10}

The password may instead come from ``$KIOSK_DATABASE_PASSWORD`` (it wins over the file), so
the settings file never has to hold it. A SQLite path is kept relative to the data folder,
so a copied or restored folder uses its own database, never the old one.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from .. import datadir, db

PASSWORD_ENV = "KIOSK_DATABASE_PASSWORD"


@dataclass(frozen=True)
class DatabaseSettings:
    url: URL
    pool_size: int | None
    max_overflow: int | None

    @property
    def sqlite_path(self) -> Path | None:
        """The database file for a SQLite URL (None for PostgreSQL or in-memory)."""
        if self.url.get_backend_name() != "sqlite" or self.url.database in (None, "", ":memory:"):
            return None
        return Path(self.url.database or "")


def parse_url(raw: str, data_dir: Path) -> URL:
    """``raw`` as a URL: SQLite paths made absolute under ``data_dir``, psycopg 3 for PostgreSQL."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise datadir.DataDirError(f"database_url {raw!r} is not a database URL") from None
    if url.get_backend_name() == "sqlite":
        name = url.database
        if name and name != ":memory:" and not Path(name).is_absolute():
            url = url.set(database=str((data_dir / name).resolve()))
    elif url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # the driver of the postgres extra
    return url


def _password(data_dir: Path, settings: dict[str, Any]) -> str | None:
    env = os.environ.get(PASSWORD_ENV)
    if env:
        return env
    name = settings.get("database_password_file")
    if not name:
        return None
    path = data_dir / str(name)
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise datadir.DataDirError(
                f"{path} is readable by others; chmod 600 it (it holds the database password)")
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise datadir.DataDirError(f"cannot read the database password file {path}: "
                                   f"{exc.strerror or exc}") from None


def _int(settings: dict[str, Any], key: str) -> int | None:
    value = settings.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise datadir.DataDirError(f"{key} in {datadir.SETTINGS_FILE} must be a whole number >= 0")
    return value


def database_settings(data_dir: Path) -> DatabaseSettings:
    data_dir = Path(data_dir)
    settings = datadir.read_settings(data_dir)
    url = parse_url(settings["database_url"], data_dir)
    password = _password(data_dir, settings)
    if password is not None:
        url = url.set(password=password)
    return DatabaseSettings(url, _int(settings, "pool_size"), _int(settings, "max_overflow"))


def open_engine(data_dir: Path, *, must_exist: bool = True) -> Engine:
    """The engine for a data folder; a SQLite file that has vanished is an error, not a new
    empty database (an emptied folder must not silently start from nothing)."""
    ds = database_settings(data_dir)
    path = ds.sqlite_path
    if must_exist and path is not None and not path.exists():
        raise datadir.DataDirError(
            f"the database file {path} is missing; restore a backup with "
            f"'kiosk-server restore' or fix database_url in {datadir.SETTINGS_FILE}")
    return db.make_engine(ds.url, pool_size=ds.pool_size, max_overflow=ds.max_overflow)
