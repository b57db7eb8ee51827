"""Online backups in one portable format (``kiosk-server backup``; restore: :mod:`.restore`).

A backup is a zip file (mode 0600)::

    manifest.json        format, Alembic revision, source dialect, per table: columns, rows
    tables/<name>.jsonl  one JSON array per row, in the manifest's column order, by primary key
    keys/...             only with ``include_keys``: the data folder's keys/ and admin_token

The snapshot is consistent while the server keeps writing: SQLite is first copied with the
SQLite backup API (one step, so the copy is one committed state, ``-wal`` included) and
dumped from the copy; PostgreSQL is dumped in one ``REPEATABLE READ READ ONLY`` transaction
(every table from the same snapshot), streamed from a server-side cursor so memory does not
grow with the database. The same format restores into either database, which is how a
SQLite site moves to PostgreSQL.

The database holds no private key: badge signing keys and the key that seals terminal
secrets live in ``<data>/keys/``. Without them a restored server cannot issue badges with
the old key or verify enrolled terminals, so they travel either inside the backup (an
explicit ``include_keys``: the file is then as secret as the keys folder) or are copied by
hand from ``<data>/keys/`` into the restored folder.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, Table, create_engine, select

from .. import datadir
from . import engine as store_engine
from . import migrate

FORMAT = "kiosk-server-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES_DIR = "tables/"
KEYS_DIR = "keys/"
SKIP_TABLES = {"alembic_version"}  # the revision is in the manifest
_BATCH = 2000


class BackupError(Exception):
    """A backup cannot be made or read; ``str()`` says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    revision: str
    dialect: str
    rows: dict[str, int]
    keys_included: bool

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def backup(data_dir: Path, out: Path, *, include_keys: bool = False,
           on_snapshot: Callable[[], None] | None = None) -> BackupSummary:
    """Write a consistent snapshot of the data folder's database to ``out`` (0600, atomic).

    ``on_snapshot`` is called once the snapshot is fixed and before it is written out (tests
    write more punches there: none of them may appear in the backup).
    """
    data_dir = Path(data_dir)
    ds = store_engine.database_settings(data_dir)
    engine = store_engine.open_engine(data_dir)
    try:
        st = migrate.state(engine)
        if st.current is None:
            raise BackupError(f"the database of {data_dir} is empty: there is nothing to back up")
        if st.current not in migrate.known_revisions():
            raise BackupError(f"the database is at revision {st.current}, unknown to this "
                              "version; back it up with the server version that wrote it")
        if ds.sqlite_path is not None:
            return _sqlite_backup(ds.sqlite_path, data_dir, out, st.current, include_keys,
                                  on_snapshot)
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                revision = migrate.current(conn) or st.current  # fixes the snapshot
                if on_snapshot:
                    on_snapshot()
                return _write(conn, data_dir, out, revision, include_keys)
    finally:
        engine.dispose()


def _sqlite_backup(path: Path, data_dir: Path, out: Path, revision: str, include_keys: bool,
                   on_snapshot: Callable[[], None] | None) -> BackupSummary:
    with tempfile.TemporaryDirectory(prefix=".kiosk-backup-", dir=out.parent) as tmp:
        copy = Path(tmp) / "snapshot.sqlite3"
        src = sqlite3.connect(path, timeout=30)
        dst = sqlite3.connect(copy)
        try:
            src.backup(dst)  # pages=-1: one step, one committed state of the source
        finally:
            dst.close()
            src.close()
        if on_snapshot:
            on_snapshot()
        engine = create_engine(f"sqlite:///{copy}")
        try:
            with engine.connect() as conn:
                return _write(conn, data_dir, out, migrate.current(conn) or revision,
                              include_keys)
        finally:
            engine.dispose()


def _tables(conn: Connection) -> list[Table]:
    """The database's own tables (reflected: a backup of an older revision has its columns)."""
    meta = MetaData()
    meta.reflect(conn)
    return [t for t in meta.sorted_tables if t.name not in SKIP_TABLES]


def _rows(conn: Connection, table: Table) -> Iterator[list[Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(stream_results=True, yield_per=_BATCH).execute(
        select(table).order_by(*order))
    for row in result:
        yield list(row)


def _write(conn: Connection, data_dir: Path, out: Path, revision: str,
           include_keys: bool) -> BackupSummary:
    out = Path(out)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    counts: dict[str, int] = {}
    columns: dict[str, list[str]] = {}
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
                for table in _tables(conn):
                    columns[table.name] = [c.name for c in table.columns]
                    n = 0
                    with zf.open(f"{TABLES_DIR}{table.name}.jsonl", "w",
                                 force_zip64=True) as member:
                        buf = io.BufferedWriter(member, 1 << 16)
                        for row in _rows(conn, table):
                            buf.write(json.dumps(row, ensure_ascii=False).encode() + b"\n")
                            n += 1
                        buf.flush()
                    counts[table.name] = n
                keys = _add_keys(zf, data_dir) if include_keys else False
                manifest = {
                    "format": FORMAT, "format_version": FORMAT_VERSION, "revision": revision,
                    "dialect": conn.dialect.name, "created_at": time.time(),
                    "keys_included": keys,
                    "tables": {name: {"columns": columns[name], "rows": counts[name]}
                               for name in counts},
                }
                zf.writestr(MANIFEST, json.dumps(manifest, indent=2))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return BackupSummary(out, revision, conn.dialect.name, counts, keys)


def _add_keys(zf: zipfile.ZipFile, data_dir: Path) -> bool:
    keys = data_dir / datadir.KEYS_DIR
    files = sorted(p for p in keys.rglob("*") if p.is_file()) if keys.is_dir() else []
    for p in files:
        zf.writestr(KEYS_DIR + "keys/" + p.relative_to(keys).as_posix(), p.read_bytes())
    token = data_dir / datadir.ADMIN_TOKEN_FILE
    if token.is_file():
        zf.writestr(KEYS_DIR + datadir.ADMIN_TOKEN_FILE, token.read_bytes())
    return bool(files)


def read_manifest(zf: zipfile.ZipFile, name: str) -> dict[str, Any]:
    """The manifest of an open backup, checked (:class:`BackupError` says what is wrong)."""
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except KeyError:
        raise BackupError(f"{name} is not a kiosk server backup (no {MANIFEST})") from None
    except ValueError:
        raise BackupError(f"the manifest of {name} is damaged") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{name} is not a kiosk server backup")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{name} is a backup format version "
                          f"{manifest.get('format_version')}; this server reads {FORMAT_VERSION}")
    if not isinstance(manifest.get("tables"), dict) or not isinstance(
            manifest.get("revision"), str):
        raise BackupError(f"the manifest of {name} is incomplete")
    return manifest
