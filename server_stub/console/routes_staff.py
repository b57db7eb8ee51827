"""Employees: search, add, edit, deactivate, CSV import; an employee's punches and badges."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection, or_, select

from .. import corrections, db, employee_csv
from ..admin import AdminError
from ..badge_print import PrintableBadge, sheet_html
from . import actions
from .web import ConsoleProblem, Ctx, form, page, redirect, render

router = APIRouter()
MAX_LISTED = 500
MAX_CSV = 2 * 1024 * 1024


def _choices(conn: Connection) -> dict[str, Any]:
    return {
        "sites": list(conn.execute(select(db.sites.c.code, db.sites.c.name)
                                   .order_by(db.sites.c.code))),
        "shifts": list(conn.execute(select(db.shifts).order_by(db.shifts.c.name))),
    }


def _employee(conn: Connection, employee_id: str) -> Any:
    row = conn.execute(select(db.employees)
                       .where(db.employees.c.employee_id == employee_id)).first()
    if row is None:
        raise ConsoleProblem(404, "not_found")
    return row


@router.get("/employees")
def employees_page(ctx: Ctx = Depends(page("employees")),
                   q: str = Query("", max_length=100), site: str = Query("", max_length=32),
                   show: str = Query("active", pattern="^(active|all)$")) -> Response:
    e = db.employees.c
    query = select(db.employees).order_by(e.site, e.employee_id).limit(MAX_LISTED + 1)
    if q.strip():
        like = f"%{q.strip()}%"
        query = query.where(or_(e.employee_id.ilike(like), e.name.ilike(like)))
    if site:
        query = query.where(e.site == site)
    if show == "active":
        query = query.where(e.active.is_(True))
    with ctx.console.engine.connect() as conn:
        rows = list(conn.execute(query))
        choices = _choices(conn)
    return render(ctx, "employees.html", active="employees", rows=rows[:MAX_LISTED],
                  more=len(rows) > MAX_LISTED, q=q, site=site, show=show, **choices)


@router.post("/employees")
def add_employee(ctx: Ctx = Depends(form("employees"))) -> Response:
    emp_id = ctx.field("employee_id", 32)
    try:
        actions.AuditedAdmin(ctx, "employee_added", emp_id).add_employee(
            emp_id, ctx.field("name"), ctx.field("site", 32), ctx.field("shift", 64) or None)
    except AdminError as exc:
        raise ConsoleProblem(400, "bad_request", str(exc)) from None
    return redirect(f"/employees/{emp_id}")


@router.get("/employees/import")
def import_form(ctx: Ctx = Depends(page("employees"))) -> Response:
    return render(ctx, "import.html", active="employees", problems=[], imported=None)


@router.post("/employees/import")
def import_csv(ctx: Ctx = Depends(form("employees"))) -> Response:
    """All or nothing (the CLI's import): every bad row is listed, none is stored."""
    upload = ctx.upload("file")
    if upload is None:
        raise ConsoleProblem(400, "no_file")
    data = upload.file.read(MAX_CSV + 1)
    if len(data) > MAX_CSV:
        raise ConsoleProblem(413, "too_large")
    name = (upload.filename or "upload.csv")[:100]
    try:
        rows = employee_csv.parse_rows(data, name)
        problems = actions.AuditedAdmin(ctx, "employees_imported", name, {"rows": len(rows)}
                                        ).import_employee_rows(rows)
    except AdminError as exc:  # the file as a whole: encoding, header, no rows
        rows, problems = [], [(0, str(exc))]
    if not problems:
        return render(ctx, "import.html", active="employees", problems=[], imported=len(rows))
    with db.write_txn(ctx.console.engine) as conn:
        actions.record(ctx, conn, "employees_import_refused", name,
                       {"rows": len(rows), "bad_rows": len(problems)})
    return render(ctx, "import.html", status=400, active="employees", imported=None,
                  problems=[{"line": n, "message": why} for n, why in problems])


@router.get("/employees/{employee_id}")
def employee_page(employee_id: str, ctx: Ctx = Depends(page("employees"))) -> Response:
    p, b = db.punches.c, db.badges.c
    with db.read_txn(ctx.console.engine) as conn:
        emp = _employee(conn, employee_id)
        punches = list(conn.execute(select(db.punches).where(p.employee_id == employee_id)
                                    .order_by(p.punch_time.desc()).limit(50)))
        badges = list(conn.execute(select(db.badges).where(b.employee_id == employee_id)
                                   .order_by(b.issued_at.desc())))
        choices = _choices(conn)
    made = corrections.listing(ctx.console.engine, employee_id=employee_id)[-50:]
    return render(ctx, "employee.html", active="employees", emp=emp, punches=punches,
                  badges=badges, corrections=list(reversed(made)), **choices)


@router.post("/employees/{employee_id}")
def edit_employee(employee_id: str, ctx: Ctx = Depends(form("employees"))) -> Response:
    with ctx.console.engine.connect() as conn:
        _employee(conn, employee_id)
    try:
        actions.AuditedAdmin(ctx, "employee_edited", employee_id).add_employee(
            employee_id, ctx.field("name"), ctx.field("site", 32),
            ctx.field("shift", 64) or None, update_existing=True)
    except AdminError as exc:
        raise ConsoleProblem(400, "bad_request", str(exc)) from None
    return redirect(f"/employees/{employee_id}")


@router.post("/employees/{employee_id}/active")
def set_active(employee_id: str, ctx: Ctx = Depends(form("employees"))) -> Response:
    active = ctx.field("active", 1) == "1"
    action = "employee_reactivated" if active else "employee_deactivated"
    try:
        actions.AuditedAdmin(ctx, action, employee_id).set_employee_active(employee_id, active)
    except AdminError:
        raise ConsoleProblem(404, "not_found") from None
    return redirect(f"/employees/{employee_id}")


@router.post("/employees/{employee_id}/badges")
def issue_badge(employee_id: str, ctx: Ctx = Depends(form("employees"))) -> Response:
    """A new badge, answered with its printable sheet: the token exists only in this page."""
    days = ctx.field("days", 4) or "365"
    if not days.isdigit():
        raise ConsoleProblem(400, "bad_request", "days must be a number")
    with ctx.console.engine.connect() as conn:
        emp = _employee(conn, employee_id)
    try:
        b = actions.AuditedAdmin(ctx, "badge_issued", employee_id, {"days": int(days)}
                                 ).issue_badge(employee_id, int(days))
    except AdminError as exc:
        raise ConsoleProblem(400, "bad_request", str(exc)) from None
    html = sheet_html([PrintableBadge(emp.name, employee_id, b.badge_id, b.token)],
                      title=f"Badge {b.badge_id}")
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.post("/badges/{badge_id}/revoke")
def revoke_badge(badge_id: str, ctx: Ctx = Depends(form("employees"))) -> Response:
    with ctx.console.engine.connect() as conn:
        owner = conn.execute(select(db.badges.c.employee_id)
                             .where(db.badges.c.badge_id == badge_id)).scalar()
    if owner is None:
        raise ConsoleProblem(404, "not_found")
    actions.AuditedAdmin(ctx, "badge_revoked", badge_id, {"employee_id": owner}
                         ).revoke_badge(badge_id)
    return redirect(f"/employees/{owner}")
