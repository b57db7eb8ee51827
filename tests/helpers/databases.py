"""Throw-away PostgreSQL databases for tests (SQLite needs none: a file in tmp_path).

The server's URL comes from ``$KIOSK_TEST_PG_URL`` (``.ci/run`` sets it); unset means the
machine's default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``; ``off`` turns
PostgreSQL tests off. Each test gets its own database with a unique name, dropped after it.
When no server answers, the test is skipped and the reason says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks import pg

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


@contextmanager
def postgres_database(tag: str = "t") -> Iterator[str]:
    """A new empty database's URL; dropped (connections and all) on exit."""
    reason = _unreachable()
    if reason:
        pytest.skip(reason)
    with pg.throwaway_database(_admin_url() or "", prefix=f"kiosk_test_{tag}") as url:
        yield url


@contextmanager
def database_url(backend: str) -> Iterator[str | None]:
    """The URL for ``backend`` ("sqlite": None, i.e. the data folder's own file)."""
    if backend == "sqlite":
        yield None
        return
    with postgres_database() as url:
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
