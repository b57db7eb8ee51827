"""Employees from a CSV, all or nothing: every row is checked first, then all are stored.

A file with a bad row stores nothing and reports every bad row with its line number, so a
clerk fixes the file once instead of once per error. Used by the console's upload and by
``kiosk-server import-employees`` (:meth:`Admin.import_employees_csv`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from . import db

ID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
REQUIRED = ("employee_id", "name", "site")
MAX_ROWS = 20_000


@dataclass(frozen=True)
class RowProblem:
    """One bad line (1 = the header line); ``code`` for machines, ``message`` for people."""

    line: int
    employee_id: str
    code: str
    message: str


@dataclass(frozen=True)
class StaffRow:
    line: int
    employee_id: str
    name: str
    site: str
    shift: str | None


def parse(data: bytes) -> tuple[list[StaffRow], list[RowProblem]]:
    """The rows of a CSV (UTF-8, BOM allowed) and the problems of its shape."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowProblem(0, "", "not_utf8", "the file is not UTF-8 text")]
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            return [], [RowProblem(1, "", "missing_columns",
                                   "missing column(s): " + ", ".join(missing))]
        rows: list[StaffRow] = []
        for n, raw in enumerate(reader, start=2):
            if n - 1 > MAX_ROWS:
                return [], [RowProblem(n, "", "too_many_rows", f"more than {MAX_ROWS} rows")]
            rows.append(StaffRow(n, (raw.get("employee_id") or "").strip(),
                                 (raw.get("name") or "").strip(), (raw.get("site") or "").strip(),
                                 (raw.get("shift") or "").strip() or None))
    except csv.Error as exc:
        return [], [RowProblem(0, "", "bad_csv", f"not a readable CSV ({exc})")]
    if not rows:
        return [], [RowProblem(1, "", "no_rows", "the file has no rows")]
    return rows, []


def check(conn: Connection, rows: list[StaffRow]) -> list[RowProblem]:
    """Every problem of every row (empty: the whole file can be stored)."""
    sites = set(conn.execute(select(db.sites.c.code)).scalars())
    shifts = set(conn.execute(select(db.shifts.c.name)).scalars())
    seen: dict[str, int] = {}
    problems: list[RowProblem] = []

    def bad(row: StaffRow, code: str, message: str) -> None:
        problems.append(RowProblem(row.line, row.employee_id, code, message))

    for row in rows:
        if not ID_RE.fullmatch(row.employee_id):
            bad(row, "bad_id", f"employee id {row.employee_id!r} must be 1-32 of A-Z a-z 0-9 _ -")
        elif row.employee_id in seen:
            bad(row, "duplicate", f"employee {row.employee_id} is also on line {seen[row.employee_id]}")
        else:
            seen[row.employee_id] = row.line
        if not 1 <= len(row.name) <= 200:
            bad(row, "bad_name", "name must be 1-200 characters")
        if row.site not in sites:
            bad(row, "unknown_site", f"unknown site {row.site!r}")
        if row.shift is not None and row.shift not in shifts:
            bad(row, "unknown_shift", f"unknown shift {row.shift!r}")
    return problems


def store(conn: Connection, rows: list[StaffRow], now: float) -> None:
    """Add new employees and update known ones (name, site, shift); call after :func:`check`."""
    e = db.employees.c
    known = set(conn.execute(select(e.employee_id).where(
        e.employee_id.in_([r.employee_id for r in rows]))).scalars())
    for r in rows:
        values = {"name": r.name, "site": r.site, "shift": r.shift}
        if r.employee_id in known:
            conn.execute(update(db.employees).where(e.employee_id == r.employee_id).values(**values))
        else:
            conn.execute(insert(db.employees).values(
                employee_id=r.employee_id, active=True, created_at=now, **values))
