"""Request plumbing shared by every console page: the signed-in context, CSRF, rendering.

A route states what it needs with ``Depends(page("employees"))`` (a GET) or
``Depends(form("employees"))`` (a POST: the form is read once and its CSRF token checked).
Problems are raised as :class:`ConsoleProblem` with a code; one handler turns the code into
a translated page with a 4xx status, so no route writes an error page of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from kiosk.core.clock import Clock

from . import i18n, sessions
from .accounts import PAGES, Account
from .today_cache import TodayCache

SESSION_COOKIE = "console_session"
LOGIN_COOKIE = "console_login"  # double-submit CSRF token of the sign-in form
LANG_COOKIE = "console_lang"
PREFIX = "/console"
MAX_FORM_BYTES = 2 * 1024 * 1024
# Every page: nothing cached (they show personal data), nothing from elsewhere, no framing.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class ConsoleProblem(Exception):
    """A refused request: ``code`` is a key of :data:`i18n.MESSAGES`."""

    def __init__(self, status: int, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.detail = detail


class LoginRequired(Exception):
    """No (live) session: the browser goes to the sign-in page and comes back after."""

    def __init__(self, next_url: str, timed_out: bool) -> None:
        super().__init__(next_url)
        self.next_url = next_url
        self.timed_out = timed_out


@dataclass
class Console:
    """What every route shares: the database, the server's clock, the templates."""

    engine: Engine
    clock: Clock
    data_dir: Any
    idle_timeout_s: float
    templates: Environment = field(init=False)
    today: TodayCache = field(init=False, default_factory=TodayCache)

    def __post_init__(self) -> None:
        folder = resources.files("server_stub.console") / "templates"
        self.templates = Environment(
            loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(["html"]),
            trim_blocks=True, lstrip_blocks=True,
        )

    def now(self) -> datetime:
        return self.clock.now()


@dataclass
class Ctx:
    """One request: who is signed in (if anyone), the language, the form if it was a POST."""

    console: Console
    request: Request
    lang: str
    account: Account | None = None
    csrf: str = ""
    token_hash: str = ""
    form_data: FormData | None = None

    @property
    def client(self) -> str | None:
        return self.request.client.host if self.request.client else None

    @property
    def actor(self) -> str:
        return f"admin:{self.account.username}" if self.account else "anonymous"

    def field(self, name: str, max_len: int = 200) -> str:
        """A text field of the posted form, stripped; too long is a 400, not a truncation."""
        value = self.form_data.get(name) if self.form_data is not None else None
        if value is None or isinstance(value, UploadFile):
            return ""
        if len(value) > max_len:
            raise ConsoleProblem(400, "bad_request", f"{name} is longer than {max_len}")
        return value.strip()

    def upload(self, name: str) -> UploadFile | None:
        value = self.form_data.get(name) if self.form_data is not None else None
        return value if isinstance(value, UploadFile) and value.filename else None

    def may(self, page_name: str) -> bool:
        return self.account is not None and self.account.role in PAGES[page_name]


def language(request: Request) -> str:
    return i18n.pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                              request.headers.get("accept-language"))


def signed_in(request: Request, *, touch: bool = True) -> Ctx:
    console: Console = request.app.state.console
    ctx = Ctx(console, request, language(request))
    token = request.cookies.get(SESSION_COOKIE)
    s = sessions.load(console.engine, token, console.now().timestamp(),
                      idle_s=console.idle_timeout_s, touch=touch)
    if s is None:
        url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(url, timed_out=bool(token))
    ctx.account, ctx.csrf, ctx.token_hash = s.account, s.csrf, s.token_hash
    return ctx


def page(name: str, *, touch: bool = True) -> Callable[[Request], Ctx]:
    """Dependency for a GET: a live session whose role may see ``name``."""

    def dep(request: Request) -> Ctx:
        ctx = signed_in(request, touch=touch)
        if not ctx.may(name):
            raise ConsoleProblem(403, "forbidden")
        return ctx

    return dep


async def read_form(request: Request) -> FormData:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise ConsoleProblem(413, "too_large")
    try:
        return await request.form(max_files=1, max_fields=50)
    except Exception:  # noqa: BLE001 - multipart's errors vary; every one is a bad request
        raise ConsoleProblem(400, "bad_request") from None


def form(name: str) -> Callable[[Request], Awaitable[Ctx]]:
    """Dependency for a POST: the page's role, and the form's CSRF token must match."""

    async def dep(request: Request) -> Ctx:
        data = await read_form(request)
        ctx = await run_in_threadpool(signed_in, request)
        if not ctx.may(name):
            raise ConsoleProblem(403, "forbidden")
        given = data.get("csrf")
        if not sessions.csrf_ok(ctx.csrf, given if isinstance(given, str) else None):
            raise ConsoleProblem(403, "csrf")
        ctx.form_data = data
        return ctx

    return dep


def render_text(ctx: Ctx, template: str, **values: Any) -> str:
    """A template rendered for this request (language, account, CSRF token) as text."""
    _ = i18n.gettext_for(ctx.lang)
    return ctx.console.templates.get_template(template).render(
        _=_, ctx=ctx, lang=ctx.lang, languages=i18n.LANGUAGE_NAMES, prefix=PREFIX,
        account=ctx.account, csrf=ctx.csrf, pages=PAGES, now=ctx.console.now(), fmt_ts=fmt_ts,
        messages=i18n.MESSAGES,
        lang_url=lambda code: _with_query(ctx.request, lang=code), **values,
    )


def render(ctx: Ctx, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    response = HTMLResponse(render_text(ctx, template, **values), status_code=status)
    if ctx.request.query_params.get("lang") in i18n.LANGUAGES:
        set_cookie(ctx.request, response, LANG_COOKIE, ctx.lang, max_age=365 * 86400)
    response.headers.update(SECURITY_HEADERS)
    return response


def set_cookie(request: Request, response: Response, name: str, value: str,
               max_age: int | None = None) -> None:
    """HttpOnly, SameSite=Lax, and Secure whenever the browser came over HTTPS."""
    response.set_cookie(name, value, max_age=max_age, path=PREFIX, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(PREFIX + path, status_code=303)


def login_redirect(exc: LoginRequired) -> RedirectResponse:
    reason = "&why=timed_out" if exc.timed_out else ""
    return RedirectResponse(f"{PREFIX}/login?next={quote(exc.next_url)}{reason}", status_code=303)


def problem_page(request: Request, exc: ConsoleProblem) -> HTMLResponse:
    ctx = Ctx(request.app.state.console, request, language(request))
    try:
        signed = signed_in(request, touch=False)
        ctx.account, ctx.csrf = signed.account, signed.csrf
    except LoginRequired:
        pass
    _ = i18n.gettext_for(ctx.lang)
    message = _(i18n.MESSAGES.get(exc.code, i18n.MESSAGES["bad_request"]))
    return render(ctx, "problem.html", status=exc.status, message=message, detail=exc.detail)


def fmt_ts(value: float | str | None, tz: Any = timezone.utc, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time (Unix seconds or ISO text) for people; '' for none."""
    if value is None or value == "":
        return ""
    when = (datetime.fromisoformat(value) if isinstance(value, str)
            else datetime.fromtimestamp(value, tz=timezone.utc))
    return when.astimezone(tz).strftime(fmt)


def _with_query(request: Request, **changes: str) -> str:
    params = dict(request.query_params)
    params.update(changes)
    return request.url.path + "?" + urlencode(params)
