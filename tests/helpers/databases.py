"""Throw-away PostgreSQL databases for tests (SQLite needs none: a file in tmp_path).

The server's URL comes from ``$KIOSK_TEST_PG_URL`` (``.ci/run`` sets it); unset means the
machine's default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``; ``off`` turns
PostgreSQL tests off. Each test gets its own database with a unique name, dropped after it.
When no server answers, the test is skipped and the reason says so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ENV = "KIOSK_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _admin_url() -> str | None:
    url = os.environ.get(PG_ENV, DEFAULT_PG_URL).strip()
    return None if url.lower() in ("", "off", "0", "no") else url


@cache
def _unreachable() -> str | None:
    """Why PostgreSQL cannot be used (None: it can); asked once per test session."""
    url = _admin_url()
    if url is None:
        return f"PostgreSQL tests are off (${PG_ENV}=off)"
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means: skip, and say why
        return (f"no PostgreSQL at {make_url(url).render_as_string()} ({type(exc).__name__}); "
                f"start it or set ${PG_ENV}")
    return None


@contextmanager
def postgres_database(tag: str = "t") -> Iterator[str]:
    """A new empty database's URL; dropped (connections and all) on exit."""
    reason = _unreachable()
    if reason:
        pytest.skip(reason)
    url = make_url(_admin_url() or "")
    name = f"kiosk_test_{tag}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


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
