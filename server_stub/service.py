"""Server-side operations behind the terminal API: enrolment, roster, heartbeat.

Plain functions over an engine and a clock (no FastAPI here), so they are easy to reason
about and the HTTP layer in :mod:`.app` stays thin.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import Engine, func, insert, select, update

from kiosk.core.protocol import (
    EnrollResponse,
    Heartbeat,
    Roster,
    RosterEmployee,
    ShiftHint,
    new_secret,
)

from . import audit, db
from .admin import code_hash
from .ingest import TerminalInfo
from .secretbox import SecretBox

DEFAULT_COOLDOWN_S = 60


def get_terminal(engine: Engine, terminal_id: str, box: SecretBox) -> TerminalInfo | None:
    t = db.terminals.c
    with db.one_statement(engine) as conn:
        row = conn.execute(
            select(t.terminal_id, t.name, t.site, t.secret, t.revoked_at)
            .where(t.terminal_id == terminal_id, t.enrolled_at.is_not(None))
        ).first()
    if row is None:
        return None
    secret = None if row.secret is None else box.open(row.terminal_id, row.secret)
    return TerminalInfo(row.terminal_id, row.name, row.site, secret, row.revoked_at is not None)


def enroll(
    engine: Engine, code: str, app_version: str, now: datetime, box: SecretBox
) -> EnrollResponse | None:
    """Spend a one-time code; None if unknown, used, expired or revoked.

    The single conditional UPDATE is the whole race guard: of N concurrent attempts with
    one code, exactly one sees rowcount 1.
    """
    t = db.terminals.c
    secret = new_secret()
    h = code_hash(code)
    ts = now.timestamp()
    with db.write_txn(engine) as conn:
        row = conn.execute(select(t.terminal_id, t.name, t.site).where(t.code_hash == h)).first()
        if row is None:
            return None
        n = conn.execute(
            update(db.terminals)
            .where(t.code_hash == h, t.enrolled_at.is_(None), t.revoked_at.is_(None),
                   t.code_expires_at > ts)
            .values(enrolled_at=ts, secret=box.seal(row.terminal_id, secret),
                    app_version=app_version or None)
        ).rowcount
        if n != 1:
            return None
    return EnrollResponse(terminal_id=row.terminal_id, secret=secret, name=row.name,
                          site=row.site, server_time=now)


def build_roster(engine: Engine, terminal: TerminalInfo) -> Roster:
    """Everything the terminal needs offline; ``version`` is a hash of the content."""
    e, s = db.employees.c, db.shifts.c
    with db.read_txn(engine) as conn:
        keys = {r.kid: r.public_key for r in conn.execute(
            select(db.badge_keys).where(db.badge_keys.c.retired_at.is_(None)))}
        revoked = sorted(conn.execute(
            select(db.badges.c.badge_id).where(db.badges.c.revoked_at.is_not(None))).scalars())
        site = conn.execute(select(db.sites).where(db.sites.c.code == terminal.site)).one()
        rows = conn.execute(
            select(e.employee_id, e.name, s.start, s.end, s.grace_min)
            .select_from(db.employees.outerjoin(db.shifts, e.shift == s.name))
            .where(e.site == terminal.site, e.active.is_(True))
            .order_by(e.employee_id)
        )
        employees = {
            r.employee_id: RosterEmployee(
                name=r.name,
                shift=ShiftHint(start=r.start, end=r.end, grace_min=r.grace_min)
                if r.start else None,
            )
            for r in rows
        }
        cooldown = conn.execute(
            select(db.settings.c.value).where(db.settings.c.key == "cooldown_s")).scalar()
    body = {
        "terminal_id": terminal.terminal_id, "terminal_name": terminal.name,
        "site": terminal.site, "keys": keys, "revoked": revoked,
        "employees": {k: v.model_dump(mode="json") for k, v in employees.items()},
        "cooldown_s": int(cooldown) if cooldown else DEFAULT_COOLDOWN_S,
        "timezone": site.timezone,
    }
    version = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]
    return Roster(version=version, **body)


def record_heartbeat(engine: Engine, terminal_id: str, hb: Heartbeat, now: datetime) -> int:
    """Keep the terminal's status and any replaced outbox it reports (once per moved-aside
    file, audited); returns the highest seq stored for the terminal (the v2 answer)."""
    r = db.outbox_replacements.c
    with db.write_txn(engine) as conn:
        conn.execute(
            update(db.terminals).where(db.terminals.c.terminal_id == terminal_id)
            .values(last_heartbeat_at=now.timestamp(),
                    heartbeat=hb.model_dump_json(exclude={"outbox_replaced"}),
                    app_version=hb.app_version or None)
        )
        for rep in hb.outbox_replaced:
            known = conn.execute(select(r.id).where(
                r.terminal_id == terminal_id, r.moved_to == rep.moved_to)).first()
            if known is not None:
                continue  # the same report again (an answer lost on the way back)
            conn.execute(insert(db.outbox_replacements).values(
                terminal_id=terminal_id, moved_to=rep.moved_to, first_seq=rep.first_seq,
                last_seq=rep.last_seq, replaced_at=rep.at.timestamp(),
                reported_at=now.timestamp()))
            audit.record(conn, actor=f"terminal:{terminal_id}", action="outbox_replaced",
                         target=terminal_id, at=now.timestamp(),
                         detail={"moved_to": rep.moved_to, "first_seq": rep.first_seq,
                                 "last_seq": rep.last_seq})
        top = conn.execute(select(func.max(db.punches.c.seq)).where(
            db.punches.c.terminal_id == terminal_id)).scalar()
    return int(top or 0)
