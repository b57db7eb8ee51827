"""Throw-away PostgreSQL databases, for the benchmarks and the tests alike.

    with throwaway_database("postgresql+psycopg://postgres@127.0.0.1:5432/postgres") as url:
        ...  # a new empty database; dropped (connections and all) on exit

The one place that creates and drops them: ``tests/helpers/databases.py`` adds the tests'
environment variable and their skip-with-a-reason on top; the benchmarks call it directly.
No pytest here, so a benchmark never imports the test tree for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def unreachable(url: str) -> str | None:
    """Why the server at ``url`` cannot be used (None: it can)."""
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means: unusable, and say why
        return f"no PostgreSQL at {make_url(url).render_as_string()} ({type(exc).__name__})"
    return None


@contextmanager
def throwaway_database(
    admin_url: str, prefix: str = "kiosk_bench", template: str | None = None
) -> Iterator[str]:
    """A new database on the server of ``admin_url`` (named ``prefix_<random>``): empty, or
    a copy of the database ``template`` (which nobody may be connected to); its URL,
    password included. Dropped WITH (FORCE) on exit."""
    url = make_url(admin_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            copy = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
