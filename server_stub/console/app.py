"""Assemble the console: routers, static assets, the HTML error handlers."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiosk.core.clock import Clock

from . import (
    routes_auth,
    routes_corrections,
    routes_reports,
    routes_staff,
    routes_terminals,
    routes_today,
)
from .sessions import IDLE_TIMEOUT_S
from .web import Console, ConsoleProblem, LoginRequired, login_redirect, problem_page

log = logging.getLogger("server_stub.console")


def create_console(
    engine: Engine, clock: Clock, data_dir: Path, *, idle_timeout_s: float = IDLE_TIMEOUT_S
) -> FastAPI:
    """The console as an app to mount at ``/console`` over the server's database."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.console = Console(engine, clock, data_dir, idle_timeout_s)
    static = resources.files("server_stub.console") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for module in (routes_auth, routes_today, routes_reports, routes_staff, routes_corrections,
                   routes_terminals):
        app.include_router(module.router)

    @app.exception_handler(LoginRequired)
    async def _login(_request: Request, exc: LoginRequired) -> Response:
        return login_redirect(exc)

    @app.exception_handler(ConsoleProblem)
    async def _problem(request: Request, exc: ConsoleProblem) -> HTMLResponse:
        return problem_page(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        code = {404: "not_found", 405: "bad_request"}.get(exc.status_code, "bad_request")
        return problem_page(request, ConsoleProblem(exc.status_code, code))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> HTMLResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()))
        return problem_page(request, ConsoleProblem(400, "bad_request", where))

    return app
