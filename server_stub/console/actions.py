"""Admin actions from the console, each with its audit entry in the same transaction.

:class:`AuditedAdmin` is the CLI's :class:`~server_stub.admin.Admin` (one set of rules for
both) whose write transaction also appends the console's audit entry before it commits:
the change and its record stand or fall together.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

from .. import audit, db
from ..admin import Admin
from .web import Ctx


class AuditedAdmin(Admin):
    """One audited action: construct per request, call one Admin method."""

    def __init__(self, ctx: Ctx, action: str, target: str | None,
                 detail: Mapping[str, Any] | None = None) -> None:
        super().__init__(ctx.console.data_dir, ctx.console.engine, ctx.console.clock)
        self.actor = ctx.actor  # pushed events and commands name the console user
        self._entry: dict[str, Any] = {"actor": ctx.actor, "action": action, "target": target,
                       "client": ctx.client, "detail": detail}
        self._recorded = False

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with db.write_txn(self.engine) as conn:
            yield conn
            if not self._recorded:
                audit.record(conn, at=self._now(), **self._entry)
                self._recorded = True

    def close(self) -> None:  # the engine is the server's, not ours to dispose
        pass


def record(ctx: Ctx, conn: Connection, action: str, target: str | None = None,
           detail: Mapping[str, Any] | None = None) -> None:
    """An audit entry for a change the console writes itself (inside ``conn``'s transaction)."""
    audit.record(conn, at=ctx.console.now().timestamp(), actor=ctx.actor, action=action,
                 target=target, client=ctx.client, detail=detail)
