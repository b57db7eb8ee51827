"""Attendance: filters, the day rows, the monthly summary, and the CLI's files to download."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from .. import attendance as rules
from .. import db, reports
from .web import ConsoleProblem, Ctx, page, render

router = APIRouter()
MAX_SHOWN = 1000


@dataclass(frozen=True)
class Filters:
    date_from: date
    date_to: date
    site: str | None
    employee: str | None

    @property
    def stem(self) -> str:
        return f"attendance_{self.date_from.isoformat()}_{self.date_to.isoformat()}"


@dataclass
class MonthLine:
    month: str
    employee_id: str
    name: str
    site: str
    present: int = 0
    late_days: int = 0
    late_min: int = 0
    absent: int = 0
    missing_check_out: int = 0


def _filters(
    request: Request,
    date_from: str | None = Query(None, alias="from", max_length=10),
    date_to: str | None = Query(None, alias="to", max_length=10),
    site: str | None = Query(None, max_length=32),
    employee: str | None = Query(None, max_length=32),
) -> Filters:
    """The query's filters; from the first of this month to today by default."""
    today = request.app.state.console.now().date()
    try:
        d_from = date.fromisoformat(date_from) if date_from else today.replace(day=1)
        d_to = date.fromisoformat(date_to) if date_to else today
    except ValueError:
        raise ConsoleProblem(400, "bad_date") from None
    if reports.check_range(d_from, d_to):
        raise ConsoleProblem(400, "bad_range")
    return Filters(d_from, d_to, site or None, employee or None)


def _rows(ctx: Ctx, f: Filters) -> list[dict[str, Any]]:
    with db.read_txn(ctx.console.engine) as conn:
        return reports.attendance_rows(conn, f.date_from, f.date_to, f.site, f.employee,
                                       ctx.console.now())


def monthly(rows: Iterable[dict[str, Any]]) -> list[MonthLine]:
    """Per month and employee: days present, late (days, minutes), absent, missing check-outs."""
    lines: dict[tuple[str, str], MonthLine] = {}
    for r in rows:
        key = (r["date"][:7], r["employee_id"])
        line = lines.get(key) or lines.setdefault(
            key, MonthLine(key[0], r["employee_id"], r["name"], r["site"]))
        if r["status"] == rules.ABSENT:
            line.absent += 1
            continue
        line.present += 1
        line.missing_check_out += r["status"] == rules.MISSING_CHECK_OUT
        if r["late_min"]:
            line.late_days += 1
            line.late_min += r["late_min"]
    return sorted(lines.values(), key=lambda m: (m.month, m.site, m.employee_id))




@router.get("/attendance")
def attendance_page(ctx: Ctx = Depends(page("attendance")),
                    f: Filters = Depends(_filters)) -> Response:
    rows = _rows(ctx, f)
    with ctx.console.engine.connect() as conn:
        sites = list(conn.execute(select(db.sites.c.code, db.sites.c.name)
                                  .order_by(db.sites.c.code)))
    return render(ctx, "attendance.html", active="attendance", f=f, rows=rows[:MAX_SHOWN],
                  total=len(rows), months=monthly(rows), sites=sites,
                  query=ctx.request.url.query, max_shown=MAX_SHOWN)


@router.get("/attendance.csv")
def attendance_csv(ctx: Ctx = Depends(page("attendance")),
                   f: Filters = Depends(_filters)) -> Response:
    """The same file as ``kiosk-server report --format csv``."""
    return Response(reports.to_csv(_rows(ctx, f)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{f.stem}.csv"'})
