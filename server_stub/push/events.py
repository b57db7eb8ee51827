"""Events in the ``events`` table: emitted inside the change's own transaction.

Ids commit in the order they were given: on PostgreSQL :func:`emit` takes one advisory lock
for the rest of the transaction before it inserts (SQLite's ``BEGIN IMMEDIATE`` already lets
one writer in at a time). So a reader that saw event N has seen every event below N, and a
terminal resumes with "everything after N" without ever skipping one. On PostgreSQL the same
transaction sends ``NOTIFY kiosk_events``, which is delivered at commit (never for a rolled
back change) to every replica's listener.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, or_, select, text, update

from kiosk.core.protocol.events import COMMAND, COMMANDS, MAX_MESSAGE

from .. import db

CHANNEL = "kiosk_events"
_LOCK_ID = 0x6B696F736B02  # pg_advisory_xact_lock: one event writer at a time
ACK_STATUSES = ("done", "failed")


@dataclass(frozen=True)
class StoredEvent:
    id: int
    at: float
    kind: str
    terminal_id: str | None
    site: str | None
    data: dict[str, Any]

    def for_terminal(self, terminal_id: str, site: str) -> bool:
        return (self.terminal_id is None or self.terminal_id == terminal_id) and (
            self.site is None or self.site == site)


def emit(
    conn: Connection, kind: str, data: Mapping[str, Any], *, at: float,
    terminal_id: str | None = None, site: str | None = None, actor: str | None = None,
) -> int:
    """Append one event in ``conn``'s transaction; returns its id. ``data`` must hold
    identifiers only (a badge id, never a token)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID})
    event_id = int(conn.execute(
        db.events.insert().values(at=at, kind=kind[:32], terminal_id=terminal_id, site=site,
                                  data=json.dumps(dict(data), sort_keys=True),
                                  actor=None if actor is None else actor[:200])
        .returning(db.events.c.id)).scalar_one())
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": str(event_id)})
    conn.info[db.EVENTS_KICK] = True
    return event_id


def newest_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(db.events.c.id), 0))).scalar_one())


def _row(r: Any) -> StoredEvent:
    return StoredEvent(int(r.id), float(r.at), r.kind, r.terminal_id, r.site,
                       json.loads(r.data or "{}"))


def after(engine: Engine, last_id: int, limit: int = 1000, *, terminal_id: str | None = None,
          site: str | None = None) -> list[StoredEvent]:
    """Events with id > ``last_id`` in id order (only one terminal's when given)."""
    e = db.events.c
    q = select(db.events).where(e.id > last_id).order_by(e.id).limit(limit)
    if terminal_id is not None:
        q = q.where(or_(e.terminal_id.is_(None), e.terminal_id == terminal_id),
                    or_(e.site.is_(None), e.site == site))
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(q)]


# -- commands -----------------------------------------------------------------------------
class CommandError(ValueError):
    """A command IT cannot send (unknown command, terminal, bad message)."""


def send_command(conn: Connection, terminal_id: str, command: str, *, at: float, actor: str,
                 message: str | None = None) -> int:
    """Queue ``command`` for one terminal (an event only it receives); returns its id."""
    if command not in COMMANDS:
        raise CommandError(f"unknown command {command!r} (one of {', '.join(COMMANDS)})")
    t = db.terminals.c
    row = conn.execute(select(t.site, t.revoked_at, t.enrolled_at)
                       .where(t.terminal_id == terminal_id)).first()
    if row is None:
        raise CommandError(f"unknown terminal {terminal_id!r}")
    if row.revoked_at is not None:
        raise CommandError(f"terminal {terminal_id!r} is revoked")
    data: dict[str, Any] = {"command": command}
    if command == "message":
        text_ = " ".join((message or "").split())
        if not text_ or len(text_) > MAX_MESSAGE:
            raise CommandError(f"the message must be 1-{MAX_MESSAGE} characters")
        data["text"] = text_
    elif message:
        raise CommandError("only the message command takes a text")
    return emit(conn, COMMAND, data, at=at, terminal_id=terminal_id, site=None, actor=actor)


def acknowledge(engine: Engine, terminal_id: str, command_id: int, status: str,
                detail: str | None, at: float) -> bool:
    """Record the terminal's answer to its command (first answer wins); False: no such
    command for this terminal."""
    e = db.events.c
    with db.write_txn(engine) as conn:
        found = conn.execute(select(e.acked_at).where(
            e.id == command_id, e.kind == COMMAND, e.terminal_id == terminal_id)).first()
        if found is None:
            return False
        if found.acked_at is None:
            conn.execute(update(db.events).where(e.id == command_id).values(
                acked_at=at, ack_status=status, ack_detail=(detail or None) and detail[:500]))
    return True


def commands(engine: Engine, terminal_id: str | None = None, limit: int = 50
             ) -> list[dict[str, Any]]:
    """The newest commands (newest first) with their acknowledgement, for the overview."""
    e = db.events.c
    q = select(db.events).where(e.kind == COMMAND).order_by(e.id.desc()).limit(limit)
    if terminal_id is not None:
        q = q.where(e.terminal_id == terminal_id)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return [{"id": r.id, "terminal_id": r.terminal_id, "at": r.at,
             "command": json.loads(r.data).get("command"), "actor": r.actor,
             "state": "pending" if r.acked_at is None else "acknowledged",
             "acked_at": r.acked_at, "ack_status": r.ack_status, "ack_detail": r.ack_detail}
            for r in rows]


def pending_counts(conn: Connection) -> dict[str, int]:
    """Per terminal: commands not acknowledged yet."""
    e = db.events.c
    rows = conn.execute(select(e.terminal_id, func.count()).where(
        and_(e.kind == COMMAND, e.acked_at.is_(None))).group_by(e.terminal_id))
    return {r[0]: int(r[1]) for r in rows}
