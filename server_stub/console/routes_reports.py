"""Attendance: filters, the day rows, the monthly summary, and the CLI's files to download."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from .. import db, report_jobs, reports
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


@router.get("/attendance")
def attendance_page(ctx: Ctx = Depends(page("attendance")),
                    f: Filters = Depends(_filters)) -> Response:
    c = ctx.console  # rows and monthly summary computed in a worker process (report_jobs)
    got = report_jobs.run(c.engine, c.data_dir, "attendance_page", c.now(),
                          date_from=f.date_from, date_to=f.date_to, site=f.site,
                          employee=f.employee, shown=MAX_SHOWN)
    with ctx.console.engine.connect() as conn:
        sites = list(conn.execute(select(db.sites.c.code, db.sites.c.name)
                                  .order_by(db.sites.c.code)))
    return render(ctx, "attendance.html", active="attendance", f=f, rows=got["rows"],
                  total=got["total"], months=got["months"], sites=sites,
                  query=ctx.request.url.query, max_shown=MAX_SHOWN)


@router.get("/attendance.xlsx")
def attendance_xlsx(ctx: Ctx = Depends(page("attendance")),
                    f: Filters = Depends(_filters)) -> Response:
    """The same workbook as ``kiosk-server report --format xlsx`` (Summary and Days sheets)."""
    from ..report_xlsx import MEDIA_TYPE

    c = ctx.console  # built in a worker process, off the threads taking uploads
    book = report_jobs.run(c.engine, c.data_dir, "workbook", c.now(), date_from=f.date_from,
                           date_to=f.date_to, site=f.site, employee=f.employee)
    return Response(book, media_type=MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{f.stem}.xlsx"'})


@router.get("/attendance.csv")
def attendance_csv(ctx: Ctx = Depends(page("attendance")),
                   f: Filters = Depends(_filters)) -> Response:
    """The same file as ``kiosk-server report --format csv``."""
    c = ctx.console  # built in a worker process, off the threads taking uploads
    body = report_jobs.run(c.engine, c.data_dir, "attendance_csv", c.now(),
                           date_from=f.date_from, date_to=f.date_to, site=f.site,
                           employee=f.employee)
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{f.stem}.csv"'})
