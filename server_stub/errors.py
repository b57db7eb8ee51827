"""Every error leaves as a 4xx JSON :class:`ErrorBody`; the Date header on every response.

Handlers cover our own :class:`ApiError`, Starlette's HTTP errors (404, 405), FastAPI's
request validation, and - as a last resort that should never fire - any exception (500,
still machine-readable, logged without the request body).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiosk.core.clock import Clock
from kiosk.core.protocol import ErrorBody

log = logging.getLogger("server_stub")

MAX_BODY = 1024 * 1024  # 500 punches are ~250 KB

_STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 408: "request_timeout", 409: "conflict",
    413: "body_too_large", 415: "unsupported_media_type", 422: "invalid_request",
    429: "too_many_requests",
}


class ApiError(Exception):
    """Raise to answer with ``status`` and an ErrorBody; ``server_time`` for auth errors."""

    def __init__(
        self, status: int, error: str, message: str, server_time: datetime | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.server_time = server_time
        self.headers = headers


AUTH_MESSAGES = {
    "missing_headers": "The request is not signed.",
    "unknown_terminal": "This terminal is not enrolled here.",
    "bad_signature": "The request signature does not match.",
    "stale_timestamp": "The request time is too far from server time; correct the clock.",
    "nonce_reused": "This request was already received (nonce reused).",
}


class ApiError401(ApiError):
    """401 ``reason`` (``bad_signature``, ``stale_timestamp``...): the request was not
    accepted as the terminal's; the server's time goes along so the kiosk can correct its
    clock."""

    def __init__(self, reason: str, now: datetime) -> None:
        super().__init__(401, reason, AUTH_MESSAGES.get(reason, "Not authenticated."),
                         server_time=now)


class ApiError403Revoked(ApiError):
    """403 ``terminal_revoked``: the terminal was revoked; it keeps its punches and stops
    sending (the kiosk's :class:`kiosk.sync.client.TerminalRevoked`)."""

    def __init__(self, now: datetime) -> None:
        super().__init__(403, "terminal_revoked",
                         "This terminal has been revoked; uploads are refused.",
                         server_time=now)


def error_response(
    status: int, error: str, message: str, server_time: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=error, message=message, server_time=server_time)
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def response_for(exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.error, exc.message, exc.server_time, exc.headers)


def validation_error(exc: ValidationError | RequestValidationError) -> ApiError:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return ApiError(400, "bad_json", "The request body is not valid JSON.")
    first = errors[0] if errors else {}
    loc = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
    msg = str(first.get("msg", "invalid request"))
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return ApiError(422, "invalid_request", f"{loc}: {msg}{more}" if loc else msg + more)


NUL_MESSAGE = "Text in the request must not contain NUL characters."


def refuse_nul(*texts: str | bytes | None) -> None:
    """422 for a NUL character: PostgreSQL cannot store one in text, so no database may.

    In a JSON body it can only arrive escaped (``\\u0000``); a raw NUL byte is invalid JSON.
    """
    for t in texts:
        if t and ("\x00" in t if isinstance(t, str) else b"\\u0000" in t):
            raise ApiError(422, "invalid_request", NUL_MESSAGE)


async def read_body(request: Request) -> bytes:
    """The body, refusing anything over MAX_BODY before reading it all."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise ApiError(400, "bad_request", "Content-Length is not a number.")
        if int(length) > MAX_BODY:
            raise ApiError(413, "body_too_large", f"The body exceeds {MAX_BODY} bytes.",
                           headers={"Connection": "close"})
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError(413, "body_too_large", f"The body exceeds {MAX_BODY} bytes.",
                           headers={"Connection": "close"})
        chunks.append(chunk)
    return b"".join(chunks)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return response_for(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> Any:
        code = _STATUS_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.detail),
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        err = validation_error(exc)
        return error_response(err.status, err.error, err.message)

    @app.exception_handler(ValidationError)
    async def _pydantic(_request: Request, exc: ValidationError) -> JSONResponse:
        err = validation_error(exc)
        return error_response(err.status, err.error, err.message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path,
                  exc_info=exc)
        return error_response(500, "internal_error", "The server failed; the request was not stored.")


class DateHeaderMiddleware:
    """Adds ``Date`` from the server clock (tests move it) to every HTTP response."""

    def __init__(self, app: Callable[..., Awaitable[None]], clock: Clock) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any],
                       send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_date(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                headers.append((b"date", format_datetime(self.clock.now(), usegmt=True).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_date)
