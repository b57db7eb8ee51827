"""Body limits and slow clients, for every endpoint, before any route reads a byte.

An ASGI middleware, so it covers routes whose body FastAPI parses itself (``/enroll``) as
well as the signed ones: a ``Content-Length`` over the limit (or not a number) is answered
413/400 at once without reading the body; a chunked body is counted as it arrives and cut
off at the limit; a body that trickles in slower than ``body_timeout_s`` in total is
answered 408. Uvicorn closes a connection whose body was not read, so the rest of an
oversized upload is never buffered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException

from .errors import MAX_BODY, error_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

BODY_TIMEOUT_S = 30.0  # 1 MiB in 30 s is 35 KB/s: any real terminal, not a slowloris


class _Refused(HTTPException):
    """Raised from ``receive``: an HTTPException, so FastAPI's body parsing passes it on to
    the app's handler (any other exception there becomes "error parsing the body")."""

    def __init__(self, status: int, error: str, message: str) -> None:
        # Connection: close - the unread rest of the body is not read (nor parsed as a next
        # request): uvicorn closes the connection after this answer.
        super().__init__(status, message, headers={"Connection": "close"})
        self.error, self.message = error, message


class BodyLimitMiddleware:
    """Refuses oversized, mislabelled and too-slow request bodies with a 4xx ErrorBody."""

    def __init__(
        self, app: Callable[[Scope, Receive, Send], Awaitable[None]], *,
        max_body: int = MAX_BODY, body_timeout_s: float | None = None,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.body_timeout_s = BODY_TIMEOUT_S if body_timeout_s is None else body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None:
            text = length.decode("latin-1").strip()
            if not (text.isascii() and text.isdigit()):
                await _answer(scope, send, 400, "bad_request", "Content-Length is not a number.")
                return
            if len(text) > 12 or int(text) > self.max_body:
                await _answer(scope, send, 413, "body_too_large",
                              f"The body exceeds {self.max_body} bytes.")
                return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout_s
        size = 0
        started = False

        body_done = False

        async def limited_receive() -> Message:
            nonlocal size, body_done
            if body_done:  # after the body: only the disconnect is left (a stream waits on it)
                return await receive()
            left = deadline - loop.time()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(left, 0.001))
            except TimeoutError:
                raise _Refused(408, "request_timeout",
                               f"The body did not arrive within {self.body_timeout_s:.0f} s."
                               ) from None
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > self.max_body:
                    raise _Refused(413, "body_too_large",
                                   f"The body exceeds {self.max_body} bytes.")
                body_done = not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _Refused as exc:
            if started:  # cannot happen: routes read the body before answering
                raise
            await _answer(scope, send, exc.status_code, exc.error, exc.message)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


async def _answer(scope: Scope, send: Send, status: int, error: str, message: str) -> None:
    resp = error_response(status, error, message, headers={"Connection": "close"})
    await resp(scope, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
