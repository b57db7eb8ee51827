"""Terminals: health overview, add (one-time code and enrolment QR), revoke."""

from __future__ import annotations

import base64
import io

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy import select

from kiosk.core.protocol.enrolment import enrolment_text

from .. import db
from ..admin import AdminError
from ..badge_print import qr_image
from ..overview import terminal_overview
from . import actions
from .web import ConsoleProblem, Ctx, form, page, redirect, render

router = APIRouter()


def enrolment_qr(payload: str) -> str:
    """A PNG data URL of the QR the kiosk's camera reads at enrolment (inline in the
    page, so the code never sits at a second URL or in a cache)."""
    buf = io.BytesIO()
    qr_image(payload, box=6).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def server_address(ctx: Ctx) -> str:
    """The address this browser reached the server at: the one the terminal enrols with."""
    return str(ctx.request.base_url).rstrip("/")


def _page(ctx: Ctx, status: int = 200, **extra: object) -> Response:
    with db.read_txn(ctx.console.engine) as conn:
        rows = terminal_overview(conn, ctx.console.now())
        sites = list(conn.execute(select(db.sites.c.code, db.sites.c.name)
                                  .order_by(db.sites.c.code)))
    return render(ctx, "terminals.html", status=status, active="terminals", terminals=rows,
                  sites=sites, **extra)


@router.get("/terminals")
def terminals_page(ctx: Ctx = Depends(page("terminals"))) -> Response:
    return _page(ctx)


@router.post("/terminals")
def add_terminal(ctx: Ctx = Depends(form("terminals"))) -> Response:
    name, site = ctx.field("name"), ctx.field("site", 32)
    days = ctx.field("valid_days", 3) or "7"
    if not days.isdigit() or not 1 <= int(days) <= 90:
        raise ConsoleProblem(400, "bad_request", "valid days must be 1-90")
    try:
        code = actions.AuditedAdmin(ctx, "terminal_added", name, {"site": site}
                                    ).add_terminal(name, site, int(days))
    except AdminError as exc:
        raise ConsoleProblem(400, "bad_request", str(exc)) from None
    # The code is shown once, in this answer (no-store), and never stored in clear.
    # The QR is the KE1 enrolment text (server address + code), as `add-terminal --qr`.
    url = server_address(ctx)
    return _page(ctx, new_code=code, new_name=name, server_url=url,
                 qr=enrolment_qr(enrolment_text(url, code)))


@router.post("/terminals/{terminal_id}/revoke")
def revoke_terminal(terminal_id: str, ctx: Ctx = Depends(form("terminals"))) -> Response:
    try:
        actions.AuditedAdmin(ctx, "terminal_revoked", terminal_id).revoke_terminal(terminal_id)
    except AdminError:
        raise ConsoleProblem(404, "not_found") from None
    return redirect("/terminals")
