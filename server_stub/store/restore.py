"""Restore a backup (:mod:`.backup`) into a new data folder (``kiosk-server restore``).

The target must hold nothing: a data folder with a ``server.json`` or a database with any
table is refused, so a restore can never mix two sites or overwrite the live one. The
schema is built by Alembic up to the backup's revision, the rows are inserted in
foreign-key order, and the database is then upgraded to this version's head - all in one
transaction, so a failed restore leaves an empty database (and no ``server.json``).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, Table, func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from .. import datadir, db, dburl
from . import engine as store_engine
from . import migrate
from .backup import _BATCH, KEYS_DIR, SKIP_TABLES, TABLES_DIR, BackupError, read_manifest


@dataclass(frozen=True)
class RestoreSummary:
    data_dir: Path
    revision: str  # the backup's
    head: str  # the restored database's, after the upgrade
    rows: dict[str, int]
    keys_restored: bool

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def restore(archive: Path, data_dir: Path, database_url: str | None = None) -> RestoreSummary:
    """Restore ``archive`` into the new data folder ``data_dir`` (its database: ``database_url``
    or a SQLite file in it); :class:`BackupError` when the target is not empty."""
    archive, data_dir = Path(archive), Path(data_dir)
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise BackupError(f"{archive} is not a kiosk server backup (not a zip file)") from None
    with zf:
        manifest = read_manifest(zf, str(archive))
        revision = manifest["revision"]
        if revision not in migrate.known_revisions():
            raise BackupError(f"{archive} was made at schema revision {revision}, unknown to "
                              "this version; restore it with that server version or newer")
        if (data_dir / datadir.SETTINGS_FILE).exists():
            raise BackupError(f"{data_dir} is already a server data folder; restore into a new "
                              "folder (nothing was changed)")
        url = database_url or datadir.default_database_url(data_dir)
        try:
            dburl.check_database_url(url)
        except dburl.DatabaseUrlError as exc:
            raise BackupError(str(exc)) from None
        created = not data_dir.exists()
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(data_dir, 0o700)
        sqlite_file = store_engine.parse_url(url, data_dir).database \
            if url.startswith("sqlite") else None
        existed = bool(sqlite_file) and Path(sqlite_file or "").exists()
        datadir.write_settings(data_dir, url)
        try:
            rows = _restore_database(zf, manifest, data_dir, url)
        except BaseException:
            (data_dir / datadir.SETTINGS_FILE).unlink(missing_ok=True)
            if sqlite_file and not existed:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(sqlite_file + suffix).unlink(missing_ok=True)
            if created and not any(data_dir.iterdir()):
                data_dir.rmdir()
            raise
        keys = _restore_keys(zf, data_dir)
    datadir.ensure_admin_token(data_dir)
    return RestoreSummary(data_dir, revision, migrate.head(), rows, keys)


def _restore_database(zf: zipfile.ZipFile, manifest: dict[str, Any], data_dir: Path,
                      url: str) -> dict[str, int]:
    engine = store_engine.open_engine(data_dir, must_exist=False)
    try:
        with engine.connect() as conn:
            if inspect(conn).get_table_names():
                raise BackupError(f"the database {dburl.safe(url)} already holds tables; "
                                  "restore into an empty database (nothing was changed)")
        try:
            with db.write_txn(engine) as conn:
                migrate.lock(conn)
                migrate.upgrade_to(conn, manifest["revision"])
                rows = _load_tables(conn, zf, manifest)
                migrate.upgrade_to(conn, "head")
        except SQLAlchemyError as exc:
            raise BackupError(f"the restore into {dburl.safe(url)} failed and was undone "
                              f"({dburl.describe_failure(exc, url)})") from None
        migrate.check(engine)
        return rows
    finally:
        engine.dispose()


def _load_tables(conn: Connection, zf: zipfile.ZipFile,
                 manifest: dict[str, Any]) -> dict[str, int]:
    meta = MetaData()
    meta.reflect(conn)
    tables = manifest["tables"]
    ours = {t.name for t in meta.sorted_tables if t.name not in SKIP_TABLES}
    if set(tables) != ours:
        raise BackupError(f"the backup's tables ({', '.join(sorted(tables))}) are not those of "
                          f"revision {manifest['revision']}; the backup is damaged")
    counts: dict[str, int] = {}
    for table in meta.sorted_tables:
        if table.name not in ours:
            continue
        columns = tables[table.name]["columns"]
        if set(columns) != {c.name for c in table.columns}:
            raise BackupError(f"the columns of {table.name} in the backup do not match revision "
                              f"{manifest['revision']}; the backup is damaged")
        n = 0
        for chunk in _chunks(zf, table.name, columns):
            conn.execute(table.insert(), chunk)
            n += len(chunk)
        if n != tables[table.name]["rows"]:
            raise BackupError(f"{table.name}: the backup holds {n} rows, its manifest says "
                              f"{tables[table.name]['rows']}; the backup is damaged")
        counts[table.name] = n
        _advance_sequences(conn, table)
    return counts


def _chunks(zf: zipfile.ZipFile, name: str, columns: list[str]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    try:
        with zf.open(f"{TABLES_DIR}{name}.jsonl") as raw:
            for line in io.TextIOWrapper(raw, encoding="utf-8"):
                chunk.append(dict(zip(columns, json.loads(line), strict=True)))
                if len(chunk) >= _BATCH:
                    yield chunk
                    chunk = []
    except KeyError:
        raise BackupError(f"the backup has no rows file for table {name}; it is damaged") from None
    except (ValueError, zipfile.BadZipFile) as exc:
        raise BackupError(f"the rows of {name} in the backup are damaged ({exc})") from None
    if chunk:
        yield chunk


def _advance_sequences(conn: Connection, table: Table) -> None:
    """PostgreSQL: serial ids continue after the restored ones (SQLite uses max(rowid))."""
    if conn.dialect.name != "postgresql":
        return
    for col in table.primary_key.columns:
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                           {"t": table.name, "c": col.name}).scalar()
        if seq is None:
            continue
        top = conn.execute(select(func.max(col))).scalar()
        if top is not None:
            conn.execute(text("SELECT setval(:s, :v)"), {"s": seq, "v": top})


def _restore_keys(zf: zipfile.ZipFile, data_dir: Path) -> bool:
    """Write the keys and admin token a backup made with ``--include-keys`` carries (0600)."""
    members = [n for n in zf.namelist() if n.startswith(KEYS_DIR) and not n.endswith("/")]
    for name in members:
        rel = Path(name[len(KEYS_DIR):])
        if rel.is_absolute() or ".." in rel.parts:
            raise BackupError(f"the backup holds a key file outside the data folder ({name})")
        target = data_dir / rel
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(target.parent, 0o700)
        data = zf.read(name)
        if target.exists():
            if target.read_bytes() != data:
                raise BackupError(f"{target} exists and differs from the backup's copy; move it "
                                  "away and restore again")
            continue
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return any(n.startswith(KEYS_DIR + datadir.KEYS_DIR + "/") for n in members)
