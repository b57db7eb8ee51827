"""The holiday calendar per site and leave per employee: storage, validation, audit.

The rules (:mod:`server_stub.rules.calendar`) only read these; every change here is one
write transaction that records who made it in the audit trail.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, insert, select, update

from . import audit, db, rules
from .problems import Refused

MAX_LEAVE_DAYS = 366


def parse_date(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Refused("bad_date", f"{what} {text!r} is not a date like 2026-12-25") from None


def _check_site(conn: Connection, site: str) -> None:
    if conn.execute(select(db.sites.c.code).where(db.sites.c.code == site)).first() is None:
        raise Refused("unknown_site", f"unknown site {site!r} (add it with add-site)")


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise Refused("bad_name", "a holiday needs a name of 1-200 characters")
    return name


def add_holiday(engine: Engine, site: str, day: date, name: str, *, actor: str,
                now: datetime) -> None:
    """One public holiday at a site; refused if that site has one on that date already."""
    name = _check_name(name)
    h = db.holidays.c
    with db.write_txn(engine) as conn:
        _check_site(conn, site)
        if conn.execute(select(h.name).where(h.site == site, h.date == day.isoformat())).first():
            raise Refused("holiday_exists", f"{site} already has a holiday on {day}")
        conn.execute(insert(db.holidays).values(site=site, date=day.isoformat(), name=name))
        audit.record(conn, at=now.timestamp(), actor=actor, action="holiday_added",
                     target=site, detail={"date": day.isoformat(), "name": name})


def import_holidays_csv(engine: Engine, path: Path, site: str | None, *, actor: str,
                        now: datetime) -> int:
    """Add or rename holidays from a CSV with columns date,name[,site] (site from --site
    when the file has none). All rows or none: one bad row refuses the whole file."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise Refused("bad_file", f"cannot read {path}: {exc}") from None
    if not rows:
        raise Refused("bad_file", f"{path} has no rows")
    missing = {"date", "name"} - set(rows[0])
    if missing:
        raise Refused("bad_file", f"{path} lacks column(s): {', '.join(sorted(missing))}")
    parsed: list[tuple[str, date, str]] = []
    for lineno, row in enumerate(rows, start=2):
        where = (row.get("site") or "").strip() or site
        try:
            if not where:
                raise Refused("bad_file", "no site (add a site column or pass --site)")
            parsed.append((where, parse_date(row["date"] or ""), _check_name(row["name"] or "")))
        except Refused as exc:
            raise Refused(exc.code, f"{path} line {lineno}: {exc.message}") from None
    h = db.holidays.c
    with db.write_txn(engine) as conn:
        for where in {p[0] for p in parsed}:
            _check_site(conn, where)
        for where, day, name in parsed:
            key = (h.site == where, h.date == day.isoformat())
            if conn.execute(update(db.holidays).where(*key).values(name=name)).rowcount == 0:
                conn.execute(insert(db.holidays).values(site=where, date=day.isoformat(), name=name))
        audit.record(conn, at=now.timestamp(), actor=actor, action="holidays_imported",
                     target=str(path.name), detail={"rows": len(parsed)})
    return len(parsed)


def remove_holiday(engine: Engine, site: str, day: date, *, actor: str, now: datetime) -> None:
    h = db.holidays.c
    with db.write_txn(engine) as conn:
        n = conn.execute(delete(db.holidays).where(h.site == site, h.date == day.isoformat()))
        if n.rowcount != 1:
            raise Refused("unknown_holiday", f"{site} has no holiday on {day}")
        audit.record(conn, at=now.timestamp(), actor=actor, action="holiday_removed",
                     target=site, detail={"date": day.isoformat()})


def holidays(engine: Engine, site: str | None = None) -> list[dict[str, str]]:
    h = db.holidays.c
    q = select(db.holidays).order_by(h.date, h.site)
    if site:
        q = q.where(h.site == site)
    with engine.connect() as conn:
        return [{"site": r.site, "date": r.date, "name": r.name} for r in conn.execute(q)]


@dataclass(frozen=True)
class LeaveRecord:
    id: int
    employee_id: str
    date_from: str
    date_to: str
    kind: str
    note: str
    created_by: str


def add_leave(engine: Engine, employee_id: str, date_from: date, date_to: date, kind: str,
              note: str = "", *, actor: str, now: datetime) -> int:
    """Leave for an employee, both ends included; refused if it overlaps their other leave."""
    if kind not in rules.LEAVE_KINDS:
        raise Refused("bad_kind", f"leave kind must be one of {', '.join(rules.LEAVE_KINDS)}")
    if date_to < date_from or (date_to - date_from).days >= MAX_LEAVE_DAYS:
        raise Refused("bad_range", f"leave must be 1-{MAX_LEAVE_DAYS} days, from <= to")
    note = note.strip()
    if len(note) > 200:
        raise Refused("bad_note", "the leave note must be at most 200 characters")
    lv = db.leaves.c
    with db.write_txn(engine) as conn:
        if conn.execute(select(db.employees.c.employee_id).where(
                db.employees.c.employee_id == employee_id)).first() is None:
            raise Refused("unknown_employee", f"unknown employee {employee_id!r}")
        clash = conn.execute(select(lv.date_from, lv.date_to).where(
            lv.employee_id == employee_id, lv.date_from <= date_to.isoformat(),
            lv.date_to >= date_from.isoformat())).first()
        if clash is not None:
            raise Refused("leave_overlaps", f"{employee_id} already has leave "
                                            f"{clash.date_from} to {clash.date_to}")
        new_id = conn.execute(insert(db.leaves).values(
            employee_id=employee_id, date_from=date_from.isoformat(),
            date_to=date_to.isoformat(), kind=kind, note=note, created_at=now.timestamp(),
            created_by=actor)).inserted_primary_key[0]  # type: ignore[index]
        audit.record(conn, at=now.timestamp(), actor=actor, action="leave_added",
                     target=employee_id, detail={"id": new_id, "from": date_from.isoformat(),
                                                 "to": date_to.isoformat(), "kind": kind})
    return int(new_id)


def leaves(engine: Engine, employee_id: str | None = None) -> list[LeaveRecord]:
    lv = db.leaves.c
    q = select(db.leaves).order_by(lv.date_from, lv.employee_id)
    if employee_id:
        q = q.where(lv.employee_id == employee_id)
    with engine.connect() as conn:
        return [LeaveRecord(r.id, r.employee_id, r.date_from, r.date_to, r.kind, r.note,
                            r.created_by) for r in conn.execute(q)]
