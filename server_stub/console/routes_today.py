"""Today (the landing page, live) and the audit trail."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, BackgroundTasks, Depends, Query
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy import select

from .. import audit, db
from .today_cache import Snapshot, TodayCache
from .web import SECURITY_HEADERS, Ctx, page, render, render_text

router = APIRouter()
AUDIT_LIMIT = 500


def _etag(ctx: Ctx, key: str) -> str:
    who = ctx.account.username if ctx.account else ""
    return '"' + hashlib.sha256(f"{key}|{ctx.lang}|{who}".encode()).hexdigest()[:32] + '"'


def _fragment(ctx: Ctx, snap: Snapshot) -> str:
    return TodayCache.fragment(snap, ctx.lang, lambda: render_text(
        ctx, "_today_sites.html", sites=snap.sites, people=ctx.console.today.rows.people))


def _snapshot(ctx: Ctx, background: BackgroundTasks) -> Snapshot:
    """Today now; a new minute's statuses and due completeness marks are computed after
    the answer (today_cache), so a poll never waits for them."""
    console = ctx.console
    snap = console.today.snapshot(console.engine, console.now())
    if console.today.rebuild_due():  # the minute turned: statuses move with the clock
        background.add_task(console.today.rebuild, console.engine, console.now)
    if console.today.marks_due():
        background.add_task(console.today.refresh_marks, console.engine, console.now)
    return snap


@router.get("/")
def today_page(background: BackgroundTasks,
               ctx: Ctx = Depends(page("today"))) -> Response:
    snap = _snapshot(ctx, background)
    return render(ctx, "today.html", live_html=Markup(_fragment(ctx, snap)),
                  etag=_etag(ctx, snap.key))


@router.get("/today/live")
def today_live(background: BackgroundTasks,
               ctx: Ctx = Depends(page("today", touch=False))) -> Response:
    """The page's live part alone; console.js asks every second with the ETag it has and
    swaps the answer in. Unchanged (today.fingerprint): 304, nothing computed; changed:
    the fragment every viewer shares (today_cache), computed once per change."""
    snap = _snapshot(ctx, background)
    etag = _etag(ctx, snap.key)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if ctx.request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    headers["Vary"] = "Accept-Encoding"
    if "gzip" in ctx.request.headers.get("accept-encoding", ""):
        # Only this fragment is compressed: it holds no CSRF token nor anything from the
        # request, so compression cannot leak a secret (BREACH); the pages are sent plain.
        response: Response = Response(
            TodayCache.fragment_gzip(snap, ctx.lang, lambda: _fragment(ctx, snap)),
            media_type="text/html; charset=utf-8")
        headers["Content-Encoding"] = "gzip"
    else:
        response = HTMLResponse(_fragment(ctx, snap))
    response.headers.update(SECURITY_HEADERS)
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
