"""The audit trail: who did what, when, from where; shared by the API, the CLI and the console.

One table (:data:`server_stub.db.audit_log`) for every kind of event (a failed enrolment, a
failed signature, a login, an approved correction, an IT command), so a reviewer reads one
list in time order. ``detail`` is a small JSON object and must never hold a secret, a token,
a signature or a password: callers pass identifiers, not credentials.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from . import db


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit trail, as read back."""

    id: int
    at: float
    actor: str
    action: str
    target: str | None
    client: str | None
    detail: dict[str, Any]


def record(
    conn: Connection,
    *,
    at: float,
    actor: str,
    action: str,
    target: str | None = None,
    client: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append one entry inside the caller's transaction (so it commits with the change)."""
    conn.execute(
        insert(db.audit_log).values(
            at=at,
            actor=actor[:200],
            action=action[:64],
            target=None if target is None else target[:200],
            client=None if client is None else client[:64],
            detail=json.dumps(dict(detail or {}), sort_keys=True, default=str),
        )
    )


def entries(
    engine: Engine, *, since: float | None = None, action: str | None = None, limit: int = 200
) -> list[AuditEntry]:
    """The newest ``limit`` entries (newest first), optionally since a time or of one action."""
    q = select(db.audit_log).order_by(db.audit_log.c.id.desc()).limit(limit)
    if since is not None:
        q = q.where(db.audit_log.c.at >= since)
    if action is not None:
        q = q.where(db.audit_log.c.action == action)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return [
        AuditEntry(
            id=r.id, at=r.at, actor=r.actor, action=r.action, target=r.target,
            client=r.client, detail=json.loads(r.detail or "{}"),
        )
        for r in rows
    ]
