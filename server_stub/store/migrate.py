"""Schema migrations with Alembic, run in-process (``kiosk-server migrate``, ``init``).

A new, empty database is created from the metadata and stamped with the head revision (the
Alembic cookbook's way; a test proves the revisions build the same schema). A database made
before Alembic (no ``alembic_version``) is recognised by its tables and stamped with the
matching old revision first, then upgraded. Servers and admin commands refuse a database
whose revision is not the head, with the command to run (:class:`SchemaError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from .. import db

SCRIPTS = Path(__file__).resolve().parent / "migrations"
_LOCK_ID = 0x6B696F736B  # pg_advisory_xact_lock: one migration at a time per database


class SchemaProblem(StrEnum):
    EMPTY = "schema_empty"  # no tables at all: not a server database (yet)
    OLD = "schema_old"  # an older revision: run kiosk-server migrate
    NEWER = "schema_newer"  # written by a newer server version: upgrade this server
    FOREIGN = "schema_foreign"  # tables, but not ours


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str


class SchemaError(Exception):
    """The database schema does not match this server; ``str()`` says what to do."""

    def __init__(self, problem: SchemaProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    return cfg


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head() -> str:
    heads = _scripts().get_heads()
    if len(heads) != 1:  # two revisions on the same parent: a merge went wrong
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads[0]


def known_revisions() -> set[str]:
    return {s.revision for s in _scripts().walk_revisions()}


def upgrade_to(conn: Connection, revision: str) -> None:
    """Run the revisions up to ``revision`` on ``conn`` (inside the caller's transaction)."""
    cfg = config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _legacy_revision(conn: Connection) -> str | None:
    """The revision a pre-Alembic database (``create_all``) corresponds to, by its tables."""
    insp = inspect(conn)
    tables = set(insp.get_table_names())
    if "punches" not in tables or "terminals" not in tables:
        return None
    if "audit_log" not in tables:
        return "0001_baseline"
    shift_columns = {c["name"] for c in insp.get_columns("shifts")}
    return "0003_rules" if "min_presence_min" in shift_columns else "0002_audit_log"


def state(engine: Engine) -> SchemaState:
    with engine.connect() as conn:
        rev = current(conn) or _legacy_revision(conn)
        if rev is None and inspect(conn).get_table_names():
            raise SchemaError(SchemaProblem.FOREIGN,
                              "this database holds tables that are not a kiosk server's")
    return SchemaState(rev, head())


def check(engine: Engine) -> None:
    """Raise :class:`SchemaError` unless the database is at this server's head revision."""
    st = state(engine)
    if st.current == st.head:
        return
    if st.current is None:
        raise SchemaError(SchemaProblem.EMPTY,
                          "the database is empty; run 'kiosk-server init' (new site) or "
                          "'kiosk-server restore' (from a backup)")
    if st.current in known_revisions():
        raise SchemaError(SchemaProblem.OLD,
                          f"the database schema is at revision {st.current}, this server needs "
                          f"{st.head}; run 'kiosk-server migrate --data DIR' first")
    raise SchemaError(SchemaProblem.NEWER,
                      f"the database schema is at revision {st.current}, unknown to this "
                      f"server (newest known: {st.head}); run the newer server version")


def lock(conn: Connection) -> None:
    """One migration (or restore) at a time per PostgreSQL database."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID})


def create(engine: Engine) -> None:
    """Make the schema in an empty database, or accept one already at the head."""
    with db.write_txn(engine) as conn:
        lock(conn)
        fresh = not inspect(conn).get_table_names()
        if fresh:
            db.metadata.create_all(conn)
            _stamp(conn, head())
    if not fresh:
        check(engine)


def upgrade(engine: Engine) -> SchemaState:
    """Bring the database to the head revision; returns the state it was in before
    (``current`` None: it was empty)."""
    with db.write_txn(engine) as conn:
        lock(conn)
        before = current(conn)
        # An empty database is built revision by revision from the baseline.
        if before is None and inspect(conn).get_table_names():
            before = _legacy_revision(conn)
            if before is None:
                raise SchemaError(SchemaProblem.FOREIGN,
                                  "this database holds tables that are not a kiosk server's")
            _stamp(conn, before)
        cfg = config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return SchemaState(before, head())


def _stamp(conn: Connection, revision: str) -> None:
    cfg = config()
    cfg.attributes["connection"] = conn
    command.stamp(cfg, revision)
