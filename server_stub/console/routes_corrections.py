"""Corrections: the make-up punch requests (补卡) waiting for HR, decided with a note, and
make-up punches HR files directly. Every step goes through :mod:`server_stub.corrections`,
which writes its audit entry in the same transaction."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy import select

from .. import corrections, db, reports
from ..problems import Refused
from .web import ConsoleProblem, Ctx, form, page, redirect, render

router = APIRouter()


@router.get("/corrections")
def corrections_page(ctx: Ctx = Depends(page("corrections")),
                     status: str = Query("pending", pattern="^(pending|approved|rejected|all)$")
                     ) -> Response:
    rows = corrections.listing(ctx.console.engine, status=None if status == "all" else status)
    if status != "pending":
        rows = list(reversed(rows))[:200]  # decided ones: newest first
    return render(ctx, "corrections.html", active="corrections", rows=rows, shown=status)


@router.post("/corrections/{correction_id}")
def decide(correction_id: int, ctx: Ctx = Depends(form("corrections"))) -> Response:
    decision = ctx.field("decision", 10)
    if decision not in ("approve", "reject"):
        raise ConsoleProblem(400, "bad_request", "decision must be approve or reject")
    try:
        corrections.decide(ctx.console.engine, correction_id, decision == "approve",
                           actor=ctx.actor, now=ctx.console.now(), note=ctx.field("note", 500),
                           client=ctx.client)
    except Refused as exc:
        raise ConsoleProblem(404 if exc.code == "unknown_correction" else 409, "refused",
                             exc.message) from None
    return redirect("/corrections")


@router.post("/employees/{employee_id}/corrections")
def file_correction(employee_id: str, ctx: Ctx = Depends(form("corrections"))) -> Response:
    """HR files a make-up punch for an employee; it is approved at once when HR says so."""
    try:
        day = date.fromisoformat(ctx.field("date", 10))
    except ValueError:
        raise ConsoleProblem(400, "bad_date") from None
    with ctx.console.engine.connect() as conn:
        site = conn.execute(select(db.employees.c.site)
                            .where(db.employees.c.employee_id == employee_id)).scalar()
        if site is None:
            raise ConsoleProblem(404, "not_found")
        tz = reports.load_sites(conn)[site]
    try:
        at = corrections.local_instant(day, ctx.field("time", 5), tz)
        c = corrections.request(
            ctx.console.engine, employee_id, at, ctx.field("direction", 16),
            ctx.field("reason", 500), requested_by=ctx.actor, now=ctx.console.now(),
            client=ctx.client)
        if ctx.field("approve", 1) == "1":
            corrections.decide(ctx.console.engine, c.id, True, actor=ctx.actor,
                               now=ctx.console.now(), note="filed by HR", client=ctx.client)
    except Refused as exc:
        raise ConsoleProblem(400, "refused", exc.message) from None
    except ValueError as exc:
        raise ConsoleProblem(400, "bad_request", str(exc)) from None
    return redirect(f"/employees/{employee_id}")
