"""Throw-away PostgreSQL databases for tests (SQLite needs none: a file in tmp_path).

The server's URL comes from ``$KIOSK_TEST_PG_URL`` (``.ci/run`` sets it); unset means the
machine's default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``; ``off`` turns
PostgreSQL tests off. Each test gets its own database with a unique name, dropped after it.
When no server answers, the test is skipped and the reason says so.

``schema=True`` gives a database already at the head schema, as ``Admin.init`` would make it
(which accepts one): a copy of this session's template database, built once by
``migrate.create`` and dropped when the session ends. Copying it takes a tenth of the time
of building the tables per test (CREATE DATABASE ... TEMPLATE). :func:`sqlite_at_head` is the
same for SQLite: a copy of a file made once per session.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from benchmarks import pg
from server_stub import datadir, db
from server_stub.store import migrate

PG_ENV = "KIOSK_TEST_PG_URL"
DEFAULT_PG_URL = pg.DEFAULT_PG_URL


def _admin_url() -> str | None:
    url = os.environ.get(PG_ENV, DEFAULT_PG_URL).strip()
    return None if url.lower() in ("", "off", "0", "no") else url


@cache
def _unreachable() -> str | None:
    """Why PostgreSQL cannot be used (None: it can); asked once per test session."""
    url = _admin_url()
    if url is None:
        return f"PostgreSQL tests are off (${PG_ENV}=off)"
    reason = pg.unreachable(url)
    return f"{reason}; start it or set ${PG_ENV}" if reason else None


@cache
def _schema_template() -> str:
    """This session's template: a database holding only the head schema (no connection
    stays open to it, so it can be copied); dropped at exit."""
    stack = ExitStack()
    url = stack.enter_context(pg.throwaway_database(_admin_url() or "", prefix="kiosk_test_tpl"))
    atexit.register(stack.close)
    engine = create_engine(url, poolclass=NullPool)
    try:
        migrate.create(engine)
    finally:
        engine.dispose()
    return str(make_url(url).database)


@cache
def _sqlite_template() -> Path:
    """This session's SQLite file at the head schema (the server's own engine settings)."""
    folder = Path(tempfile.mkdtemp(prefix="kiosk-test-schema-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / datadir.DB_FILE
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        migrate.create(engine)
    finally:
        engine.dispose()
    return path


def sqlite_at_head(data_dir: Path) -> None:
    """A new data folder (0700) holding a database at the head schema where
    ``Admin.init(data_dir)`` looks for its SQLite file (it accepts one; init makes the rest)."""
    data_dir.mkdir(mode=0o700, parents=True)
    shutil.copyfile(_sqlite_template(), data_dir / datadir.DB_FILE)


@contextmanager
def postgres_database(tag: str = "t", schema: bool = False) -> Iterator[str]:
    """A new database's URL (empty, or at the head schema); dropped (connections and all)
    on exit."""
    reason = _unreachable()
    if reason:
        pytest.skip(reason)
    with pg.throwaway_database(_admin_url() or "", prefix=f"kiosk_test_{tag}",
                               template=_schema_template() if schema else None) as url:
        yield url


@contextmanager
def database_url(backend: str, schema: bool = False) -> Iterator[str | None]:
    """The URL for ``backend`` ("sqlite": None, i.e. the data folder's own file)."""
    if backend == "sqlite":
        yield None
        return
    with postgres_database(schema=schema) as url:
        yield url


@contextmanager
def unreachable_while(url: str) -> Iterator[None]:
    """The database refuses connections (and its open ones are cut) inside the block."""
    name = make_url(url).database
    admin = create_engine(make_url(_admin_url() or ""), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n"), {"n": name})
        try:
            yield
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    finally:
        admin.dispose()
