"""Make-up punch requests (补卡): filed by an employee (at the kiosk) or HR, decided by HR.

The one place the CLI, the terminal API and the web console go through. A request names
the employee, the instant, the direction and a reason; it waits as ``pending`` until HR
approves or rejects it. Approved requests count in reports beside the punches (marked
with who approved them and when); the punches themselves are never changed. Every step
is one write transaction with its audit entry. A site may cap requests per employee and
calendar month (``sites.correction_quota``; rejected ones do not count).

Functions take the engine, the acting identity and ``now`` (passed in, so tests fix it).
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Select, func, insert, select, update

from kiosk.core.protocol import BadgeError, BadgeVerifier, CorrectionRequest

from . import audit, db, rules
from .problems import Refused

MAX_AGE = timedelta(days=60)  # as for punches: older requests are refused
MAX_FUTURE = timedelta(minutes=5)
DIRECTIONS = (rules.PunchKind.CHECK_IN.value, rules.PunchKind.CHECK_OUT.value)
CONFLICTS = frozenset({"duplicate", "quota_exceeded", "already_decided"})  # HTTP 409


class Status(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Correction:
    """One request as stored; times are UTC ISO strings, ``local_time`` is the site's."""

    id: int
    employee_id: str
    work_date: str
    at: str
    local_time: str
    direction: str
    reason: str
    status: str
    requested_at: str
    requested_by: str
    decided_at: str | None
    decided_by: str | None
    decision_note: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def request(
    engine: Engine, employee_id: str, at: datetime, direction: str, reason: str, *,
    requested_by: str, now: datetime, request_key: str | None = None, client: str | None = None,
) -> Correction:
    """File a request (pending). ``request_key`` makes a terminal's retry return the first one."""
    if direction not in DIRECTIONS:
        raise Refused("bad_direction", "direction must be check_in or check_out")
    reason = reason.strip()
    if not 1 <= len(reason) <= 500:
        raise Refused("bad_reason", "give a reason of 1-500 characters")
    if at > now + MAX_FUTURE:
        raise Refused("in_future", "a make-up punch cannot be in the future")
    if at < now - MAX_AGE:
        raise Refused("too_old", f"make-up punches older than {MAX_AGE.days} days are refused")
    c = db.corrections.c
    with db.write_txn(engine) as conn:
        if request_key is not None:
            known = conn.execute(select(c.id).where(c.request_key == request_key)).scalar()
            if known is not None:
                return _get(conn, known)
        emp = conn.execute(select(db.employees).where(
            db.employees.c.employee_id == employee_id)).first()
        if emp is None:
            raise Refused("unknown_employee", f"unknown employee {employee_id!r}")
        if not emp.active:
            raise Refused("employee_inactive", f"employee {employee_id} is no longer active")
        tz, shift, quota = _site_rules(conn, emp.site, emp.shift)
        day = rules.work_date(at, tz, shift)
        if conn.execute(select(c.id).where(
                c.employee_id == employee_id, c.punch_time == at.timestamp(),
                c.direction == direction, c.status != Status.REJECTED.value)).first():
            raise Refused("duplicate", "this make-up punch was requested already")
        if quota is not None:
            month = day.replace(day=1)
            nxt = (month + timedelta(days=32)).replace(day=1)
            used = conn.execute(select(func.count()).select_from(db.corrections).where(
                c.employee_id == employee_id, c.status != Status.REJECTED.value,
                c.work_date >= month.isoformat(), c.work_date < nxt.isoformat())).scalar_one()
            if used >= quota:
                raise Refused("quota_exceeded",
                              f"{employee_id} has used this month's {quota} make-up request(s)")
        new_id = conn.execute(insert(db.corrections).values(
            employee_id=employee_id, work_date=day.isoformat(), punch_time=at.timestamp(),
            direction=direction, reason=reason, status=Status.PENDING.value,
            requested_at=now.timestamp(), requested_by=requested_by,
            request_key=request_key)).inserted_primary_key[0]  # type: ignore[index]
        audit.record(conn, at=now.timestamp(), actor=requested_by, action="correction_requested",
                     target=employee_id, client=client,
                     detail={"id": new_id, "work_date": day.isoformat(), "direction": direction})
        return _get(conn, int(new_id))


def file_at_terminal(
    engine: Engine, terminal_id: str, site: str, req: CorrectionRequest, now: datetime
) -> Correction:
    """A request from a terminal: the badge is verified as for a punch (signature, expiry,
    revocation) and must belong to an employee of the terminal's site."""
    with engine.connect() as conn:
        keys = {r.kid: r.public_key for r in conn.execute(
            select(db.badge_keys).where(db.badge_keys.c.retired_at.is_(None)))}
        try:
            badge = BadgeVerifier(keys, leeway_s=300).verify(req.badge, now)
        except BadgeError as exc:
            raise Refused(f"badge_{exc.reason.value}", "This badge is not valid.") from None
        b = db.badges.c
        revoked = conn.execute(select(b.revoked_at).where(b.badge_id == badge.badge_id)).scalar()
        home = conn.execute(select(db.employees.c.site).where(
            db.employees.c.employee_id == badge.employee_id)).scalar()
    if revoked is not None:
        raise Refused("badge_revoked", "This badge has been revoked.")
    if home != site:
        raise Refused("wrong_site", "This employee does not belong to this terminal's site.")
    return request(engine, badge.employee_id, req.at, req.direction, req.reason,
                   requested_by=f"terminal:{terminal_id}", now=now,
                   request_key=f"{terminal_id}:{req.request_id}")


def decide(
    engine: Engine, correction_id: int, approve: bool, *, actor: str, now: datetime,
    note: str = "", client: str | None = None,
) -> Correction:
    """Approve or reject a pending request; a decided one stays as it was decided."""
    note = note.strip()
    if len(note) > 500:
        raise Refused("bad_note", "the note must be at most 500 characters")
    c = db.corrections.c
    status = Status.APPROVED if approve else Status.REJECTED
    with db.write_txn(engine) as conn:
        row = conn.execute(select(c.status, c.employee_id).where(c.id == correction_id)).first()
        if row is None:
            raise Refused("unknown_correction", f"no make-up request #{correction_id}")
        if row.status != Status.PENDING.value:
            raise Refused("already_decided", f"make-up request #{correction_id} is {row.status}")
        conn.execute(update(db.corrections).where(c.id == correction_id).values(
            status=status.value, decided_at=now.timestamp(), decided_by=actor,
            decision_note=note or None))
        audit.record(conn, at=now.timestamp(), actor=actor, action=f"correction_{status.value}",
                     target=row.employee_id, client=client, detail={"id": correction_id})
        return _get(conn, correction_id)


def listing(
    engine: Engine, *, status: str | None = None, employee_id: str | None = None,
    site: str | None = None, limit: int = 500,
) -> list[Correction]:
    """Requests, oldest first (the queue HR works through), optionally filtered."""
    c = db.corrections.c
    q = _query().order_by(c.requested_at, c.id).limit(limit)
    if status:
        if status not in {s.value for s in Status}:
            raise Refused("bad_status", "status must be pending, approved or rejected")
        q = q.where(c.status == status)
    if employee_id:
        q = q.where(c.employee_id == employee_id)
    if site:
        q = q.where(db.employees.c.site == site)
    with engine.connect() as conn:
        return [_correction(r) for r in conn.execute(q)]


def get(engine: Engine, correction_id: int) -> Correction:
    with engine.connect() as conn:
        return _get(conn, correction_id)


def _site_rules(conn: Connection, site: str, shift_name: str | None
                ) -> tuple[ZoneInfo, rules.ShiftRule | None, int | None]:
    from .reports import load_shifts  # the one place shifts are read

    s = conn.execute(select(db.sites).where(db.sites.c.code == site)).one()
    shift = load_shifts(conn).get(shift_name) if shift_name else None
    return ZoneInfo(s.timezone), shift, s.correction_quota


def _query() -> Select[Any]:
    c = db.corrections.c
    return (select(db.corrections, db.sites.c.timezone)
            .join(db.employees, db.employees.c.employee_id == c.employee_id)
            .join(db.sites, db.sites.c.code == db.employees.c.site))


def _get(conn: Connection, correction_id: int) -> Correction:
    row = conn.execute(_query().where(db.corrections.c.id == correction_id)).first()
    if row is None:
        raise Refused("unknown_correction", f"no make-up request #{correction_id}")
    return _correction(row)


def _correction(row: Any) -> Correction:
    tz = ZoneInfo(row.timezone)
    at = _utc(row.punch_time)
    return Correction(
        id=row.id, employee_id=row.employee_id, work_date=row.work_date, at=at.isoformat(),
        local_time=at.astimezone(tz).isoformat(timespec="minutes"), direction=row.direction,
        reason=row.reason, status=row.status, requested_at=_utc(row.requested_at).isoformat(),
        requested_by=row.requested_by,
        decided_at=_utc(row.decided_at).isoformat() if row.decided_at is not None else None,
        decided_by=row.decided_by, decision_note=row.decision_note)


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=timezone.utc)


def local_instant(day: date, hhmm: str, tz: ZoneInfo) -> datetime:
    """'2026-11-03' + '17:00' in the site's zone -> the UTC instant (for the CLI and console)."""
    try:
        t = rules.parse_hhmm(hhmm)
    except ValueError as exc:
        raise Refused("bad_time", str(exc)) from None
    return datetime.combine(day, t, tzinfo=tz).astimezone(timezone.utc)
