"""Terminals: health overview, add (one-time code and enrolment QR), revoke."""

from __future__ import annotations

import base64
import io

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy import select

from kiosk.core.protocol.enrolment import enrolment_text
from kiosk.core.protocol.events import COMMANDS

from .. import db
from ..admin import AdminError
from ..badge_print import qr_image
from ..overview import terminal_overview
from ..push import diagnostics
from ..push import events as push_events
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
        bundles = set(conn.execute(select(db.diagnostics.c.terminal_id).distinct()).scalars())
    return render(ctx, "terminals.html", status=status, active="terminals", terminals=rows,
                  sites=sites, commands=push_events.commands(ctx.console.engine, limit=30),
                  command_names=COMMANDS, bundles=bundles, **extra)


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


@router.post("/terminals/{terminal_id}/command")
def send_command(terminal_id: str, ctx: Ctx = Depends(form("terminals"))) -> Response:
    """IT only (the page's role), CSRF-checked, audited with the command in one transaction."""
    command, text = ctx.field("command", 16), ctx.field("text", 400) or None
    if command not in COMMANDS:
        raise ConsoleProblem(400, "bad_request", "unknown command")
    try:
        actions.AuditedAdmin(ctx, "terminal_command", terminal_id, {"command": command}
                             ).send_command(terminal_id, command, text)
    except AdminError as exc:
        raise ConsoleProblem(400, "bad_request", str(exc)) from None
    return redirect("/terminals")


@router.get("/terminals/{terminal_id}/diagnostics")
def download_diagnostics(terminal_id: str, ctx: Ctx = Depends(page("terminals"))) -> Response:
    found = diagnostics.latest(ctx.console.engine, terminal_id)
    if found is None:
        raise ConsoleProblem(404, "not_found")
    return Response(found.data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{found.filename}"',
        "Cache-Control": "no-store"})
