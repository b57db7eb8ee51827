"""Alembic environment: the server runs migrations in-process (server_stub.store.migrate).

The code passes an open connection in ``config.attributes["connection"]``; the ``alembic``
command line (for writing revisions) takes a URL with ``-x url=...`` instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from server_stub import db

target_metadata = db.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: copy-and-move tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    config = context.config
    conn = config.attributes.get("connection")
    if conn is not None:
        _run(conn)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give a database with: alembic -x url=sqlite:////tmp/dev.sqlite3 ...")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url)
    with engine.begin() as connection:
        _run(connection)
    engine.dispose()


if hasattr(context, "config"):  # else imported outside Alembic (a scan of all modules)
    main()
