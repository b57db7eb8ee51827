"""Today (the landing page, live) and the audit trail."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy import select

from .. import audit, db
from . import today as today_model
from .web import Ctx, page, render

router = APIRouter()
AUDIT_LIMIT = 500


def _sites(ctx: Ctx) -> list[today_model.SiteToday]:
    with db.read_txn(ctx.console.engine) as conn:
        return today_model.today(conn, ctx.console.now())


@router.get("/")
def today_page(ctx: Ctx = Depends(page("today"))) -> Response:
    return render(ctx, "today.html", sites=_sites(ctx))


@router.get("/today/live")
def today_live(ctx: Ctx = Depends(page("today", touch=False))) -> Response:
    """The page's live part alone; console.js asks every second with the ETag it has and
    swaps the answer in. Unchanged (today_model.fingerprint): 304, nothing computed."""
    with db.read_txn(ctx.console.engine) as conn:
        tag = today_model.fingerprint(conn, ctx.console.now())
    etag = '"' + hashlib.sha256(f"{tag}|{ctx.lang}|{ctx.account and ctx.account.username}"
                                .encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if ctx.request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    response = render(ctx, "_today_sites.html", sites=_sites(ctx))
    response.headers.update(headers)
    return response


@router.get("/audit")
def audit_page(
    ctx: Ctx = Depends(page("audit")),
    action: str | None = Query(None, max_length=64),
) -> Response:
    entries = audit.entries(ctx.console.engine, action=action or None, limit=AUDIT_LIMIT)
    with ctx.console.engine.connect() as conn:
        actions = list(conn.execute(select(db.audit_log.c.action).distinct()
                                    .order_by(db.audit_log.c.action)).scalars())
    return render(ctx, "audit.html", entries=entries, action=action or "", actions=actions)
