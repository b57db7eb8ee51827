"""The terminal's side of the push channel: the event stream, command answers, diagnostics.

``GET /api/v1/events`` is signed like every terminal GET (``?after=N`` is part of the signed
path; the standard ``Last-Event-ID`` header is read when ``after`` is absent). It answers
``text/event-stream``: a signed ``hello``, the events after N from the table, then live
events as the hub hands them over, with a heartbeat comment every ``heartbeat_s``. With
``?wait=S`` the answer ends after S seconds (long polling, for proxies that buffer).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, insert
from starlette.concurrency import run_in_threadpool

from kiosk.core.clock import Clock
from kiosk.core.protocol import API_PREFIX, TimeResponse
from kiosk.core.protocol import events as wire
from kiosk.core.protocol.signing import H_NONCE

from .. import db, errors
from . import events
from .hub import Hub

BACKLOG_PAGE = 500
MAX_DIAGNOSTICS = errors.MAX_BODY
Signed = Callable[..., Awaitable[Any]]


class CommandAck(BaseModel):
    """The terminal's answer to one command."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    status: str = Field(pattern="^(done|failed)$")
    detail: str | None = Field(None, max_length=500)


def install(app: FastAPI, engine: Engine, clock: Clock, signed: Signed, *,
            heartbeat_s: float = 15.0, hub: Hub | None = None) -> Hub:
    hub = hub or Hub(engine)
    app.state.push_hub = hub

    @app.get(f"{API_PREFIX}/events", tags=["terminal"],
             responses={200: {"content": {"text/event-stream": {}}}})
    async def event_stream(
        request: Request, after: int | None = Query(None, ge=0, le=2**62),
        wait: float | None = Query(None, ge=1, le=300),
    ) -> Response:
        """Server-Sent Events for this terminal (signed; resume with ``after``)."""
        terminal = await signed(request, lambda call: call.terminal)
        if isinstance(terminal, Response):
            return terminal  # refused (with the server's receipt when the signature was good)
        nonce = request.headers.get(H_NONCE, "")
        start = after if after is not None else _last_event_id(request)
        await hub.start()
        body = _stream(engine, hub, terminal.terminal_id, terminal.site, terminal.secret,
                       nonce, start, heartbeat_s, wait)
        return EventStreamResponse(body, media_type="text/event-stream", headers={
            "Cache-Control": "no-cache, no-store", "X-Accel-Buffering": "no"})

    @app.post(f"{API_PREFIX}/commands/{{command_id}}/ack", response_model=TimeResponse,
              tags=["terminal"])
    async def ack(command_id: int, request: Request) -> Response:
        """The terminal has carried out (or failed) command ``command_id``."""

        def handle(call: Any) -> Response:
            errors.refuse_nul(call.body)
            try:
                answer = CommandAck.model_validate_json(call.body)
            except ValueError as exc:
                raise errors.ApiError(422, "invalid_request", str(exc)[:300]) from None
            now = clock.now()
            if not events.acknowledge(engine, call.terminal.terminal_id, command_id,
                                      answer.status, answer.detail, now.timestamp()):
                raise errors.ApiError(404, "unknown_command", "No such command for this terminal.")
            return Response(TimeResponse(server_time=now).model_dump_json(),
                            media_type="application/json")

        response: Response = await signed(request, handle)
        return response

    @app.post(f"{API_PREFIX}/diagnostics", response_model=TimeResponse, tags=["terminal"])
    async def upload_diagnostics(request: Request,
                                 command: int | None = Query(None, ge=1, le=2**62)) -> Response:
        """The terminal's diagnostics bundle (a zip without secrets), on IT's command."""

        def handle(call: Any) -> Response:
            if not call.body.startswith(b"PK"):
                raise errors.ApiError(422, "invalid_request", "The bundle is not a zip file.")
            now = clock.now()
            with db.write_txn(engine) as conn:
                conn.execute(insert(db.diagnostics).values(
                    terminal_id=call.terminal.terminal_id, command_id=command,
                    uploaded_at=now.timestamp(), size=len(call.body), data=call.body))
            return Response(TimeResponse(server_time=now).model_dump_json(),
                            media_type="application/json")

        response: Response = await signed(request, handle)
        return response

    return hub


class EventStreamResponse(StreamingResponse):
    """A stream that ends as soon as the client goes away (not at the next heartbeat).

    Starlette stops listening for the disconnect under ASGI 2.4 and learns of it only when
    a write fails; a terminal that vanished would hold its subscriber for a heartbeat.
    """

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def watch() -> None:
            try:
                while (await receive())["type"] != "http.disconnect":
                    pass
            except Exception:  # no disconnect to learn of this way: a failed write ends it
                await asyncio.Event().wait()

        streamer = asyncio.ensure_future(self.stream_response(send))
        watcher = asyncio.ensure_future(watch())
        try:
            await asyncio.wait({streamer, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (streamer, watcher):
                task.cancel()
            await asyncio.gather(streamer, watcher, return_exceptions=True)


def _last_event_id(request: Request) -> int | None:
    value = request.headers.get("last-event-id", "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


async def _stream(engine: Engine, hub: Hub, terminal_id: str, site: str, secret: str,
                  nonce: str, start: int | None, heartbeat_s: float,
                  wait: float | None) -> AsyncIterator[bytes]:
    sub = hub.subscribe(terminal_id, site)  # first: nothing committed from now on is missed
    try:
        last = start if start is not None else await run_in_threadpool(events.newest_id, engine)
        hello = wire.event_json(last, wire.HELLO, "", {"resumed": start is not None})
        yield b"retry: 2000\n" + wire.frame(secret, nonce, last, wire.HELLO, hello)
        deadline = None if wait is None else time.monotonic() + wait
        backlog = True
        while True:
            if backlog or sub.lagged:
                sub.lagged = False
                while not sub.queue.empty():
                    sub.queue.get_nowait()
                rows = await run_in_threadpool(events.after, engine, last, BACKLOG_PAGE,
                                               terminal_id=terminal_id, site=site)
                for event in rows:
                    yield _frame(secret, nonce, event)
                    last = event.id
                backlog = len(rows) == BACKLOG_PAGE
                if backlog:
                    continue
                if rows and wait is not None:
                    return  # long polling: the answer ends with what there was
            timeout = heartbeat_s
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                timeout = min(timeout, left)
            try:
                async with asyncio.timeout(timeout):
                    got = await sub.queue.get()
            except TimeoutError:
                yield wire.HEARTBEAT
                continue
            if got is None:  # the server is stopping: the terminal reconnects elsewhere
                return
            if got.id > last:
                yield _frame(secret, nonce, got)
                last = got.id
                if wait is not None:
                    return
    finally:
        hub.unsubscribe(sub)


def _frame(secret: str, nonce: str, event: events.StoredEvent) -> bytes:
    data = wire.event_json(event.id, event.kind,
                           time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(event.at)),
                           event.data)
    return wire.frame(secret, nonce, event.id, event.kind, data)
