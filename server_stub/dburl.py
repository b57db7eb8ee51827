"""Database URLs checked before use, and database failures said in one sentence.

SQLAlchemy's own errors name the class (``NoSuchModuleError``, ``ArgumentError``) and not
the fix; an admin typing ``postgres://`` (Heroku's spelling) or a path needs to hear which
spelling works. Passwords in URLs are never echoed.
"""

from __future__ import annotations

import argparse

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

EXAMPLES = "postgresql+psycopg://user@host/dbname or sqlite:////path/to/server.sqlite3"
_POSTGRES_ALIASES = {"postgres", "pgsql", "psql", "postgre", "postgres+psycopg"}


class DatabaseUrlError(ValueError):
    """The URL cannot name a database SQLAlchemy can open; ``str()`` says the fix."""


def safe(url: URL | str) -> str:
    """The URL without its password, for messages."""
    try:
        return (url if isinstance(url, URL) else make_url(url)).render_as_string(
            hide_password=True)
    except ArgumentError:
        return "(not a URL)"


def check_database_url(text: str) -> URL:
    """Parse ``text`` and load its dialect; :class:`DatabaseUrlError` says what to write."""
    try:
        url = make_url(text)
    except ArgumentError:
        raise DatabaseUrlError(f"{'that' if '@' in text else repr(text)} is not a database "
                               f"URL; write it like {EXAMPLES}") from None
    try:
        url.get_dialect()
    except NoSuchModuleError:
        name = url.drivername
        if name.split("+")[0] in _POSTGRES_ALIASES:
            fixed = url.set(drivername="postgresql+psycopg")
            raise DatabaseUrlError(f"SQLAlchemy spells PostgreSQL 'postgresql+psycopg://', "
                                   f"not '{name}://'; use {safe(fixed)}") from None
        raise DatabaseUrlError(f"no database driver called {name!r}; use {EXAMPLES}") from None
    return url


def database_url(text: str) -> str:
    """argparse type for ``--database-url`` (a bad URL is a usage error, exit 2)."""
    try:
        check_database_url(text)
    except DatabaseUrlError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def describe_failure(exc: BaseException, url: str) -> str:
    """Why creating or opening the database at ``url`` failed, and what to check."""
    if isinstance(exc, ImportError):
        return (f"the Python driver for {safe(url)} is not installed ({exc.name or exc}); "
                "install it, e.g. pip install 'psycopg[binary]' for PostgreSQL")
    detail = ""
    orig = getattr(exc, "orig", None)
    if orig is not None:
        detail = str(orig).strip().splitlines()[0][:200] if str(orig).strip() else ""
    kind = exc.__class__.__name__ if isinstance(exc, SQLAlchemyError) else type(exc).__name__
    return (f"cannot create the database at {safe(url)} ({detail or kind}); check that the "
            "database server runs, the database exists and the user may create tables")
