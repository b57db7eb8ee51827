"""Sign in and sign out.

The sign-in form carries a double-submit token (a random cookie repeated in a hidden
field), so another site cannot sign a browser in to an account of its choosing. Each
failure is an audit entry, and those entries are the limit's counter
(:func:`sessions.login_blocked`); past the limit the password is not even checked.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from .. import audit, db
from . import accounts, i18n, sessions
from .web import (
    LOGIN_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    ConsoleProblem,
    Ctx,
    LoginRequired,
    form,
    language,
    read_form,
    redirect,
    render,
    set_cookie,
    signed_in,
)

router = APIRouter()


def _safe_next(url: str | None) -> str:
    """Only a path inside the console (no open redirect to another site)."""
    if url and url.startswith(PREFIX) and not url.startswith("//") and "\\" not in url \
            and "//" not in url:
        return url
    return PREFIX + "/"


def _login_page(ctx: Ctx, status: int = 200, message_code: str | None = None,
                username: str = "", next_url: str | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    _ = i18n.gettext_for(ctx.lang)
    message = _(i18n.MESSAGES[message_code]) if message_code else ""
    response = render(ctx, "login.html", status=status, login_token=token, message=message,
                      next=_safe_next(next_url or ctx.request.query_params.get("next")),
                      username=username)
    set_cookie(ctx.request, response, LOGIN_COOKIE, token, max_age=3600)
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    ctx = Ctx(request.app.state.console, request, language(request))
    try:
        signed_in(request, touch=False)
        return redirect("/")
    except LoginRequired:
        pass
    why = request.query_params.get("why")
    return _login_page(ctx, message_code=why if why in ("signed_out", "timed_out") else None)


@router.post("/login")
async def login(request: Request) -> Response:
    ctx = Ctx(request.app.state.console, request, language(request))
    ctx.form_data = await read_form(request)
    return await run_in_threadpool(_login, ctx)


def _login(ctx: Ctx) -> Response:
    console, request = ctx.console, ctx.request
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not cookie or not sessions.csrf_ok(cookie, ctx.field("login_token", 100)):
        raise ConsoleProblem(403, "csrf")
    username = ctx.field("username", 64).lower()
    password = ctx.field("password", accounts.MAX_PASSWORD)
    now = console.now().timestamp()
    with console.engine.connect() as conn:
        blocked = sessions.login_blocked(conn, username, ctx.client, now)
    if blocked:
        with db.write_txn(console.engine) as conn:
            audit.record(conn, at=now, actor="anonymous", action="login_limited",
                         target=username, client=ctx.client)
        return _login_page(ctx, 429, "login_limited", username, ctx.field("next", 500))
    account = accounts.verify(console.engine, username, password)
    with db.write_txn(console.engine) as conn:
        if account is None:
            sessions.record_failure(conn, username, ctx.client, now, "bad_credentials")
        else:
            token = sessions.create(conn, account.username, now, ctx.client)
            audit.record(conn, at=now, actor=f"admin:{account.username}", action="login",
                         client=ctx.client, detail={"role": account.role.value})
    if account is None:
        return _login_page(ctx, 401, "bad_credentials", username, ctx.field("next", 500))
    response = redirect("")
    response.headers["location"] = _safe_next(ctx.field("next", 500))
    set_cookie(request, response, SESSION_COOKIE, token)
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
def logout(ctx: Ctx = Depends(form("today"))) -> Response:
    now = ctx.console.now().timestamp()
    with db.write_txn(ctx.console.engine) as conn:
        sessions.destroy(conn, ctx.token_hash)
        audit.record(conn, at=now, actor=ctx.actor, action="logout", client=ctx.client)
    response = redirect("/login?why=signed_out")
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response
