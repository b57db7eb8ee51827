"""Diagnostics bundles terminals uploaded on IT's command (no secrets in them)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine, select

from .. import db


@dataclass(frozen=True)
class Bundle:
    id: int
    terminal_id: str
    uploaded_at: float
    data: bytes

    @property
    def filename(self) -> str:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.uploaded_at))
        return f"diagnostics_{self.terminal_id}_{stamp}.zip"


def latest(engine: Engine, terminal_id: str) -> Bundle | None:
    d = db.diagnostics.c
    with engine.connect() as conn:
        row = conn.execute(select(d.id, d.terminal_id, d.uploaded_at, d.data)
                           .where(d.terminal_id == terminal_id)
                           .order_by(d.id.desc()).limit(1)).first()
    if row is None:
        return None
    return Bundle(row.id, row.terminal_id, row.uploaded_at, bytes(row.data))
