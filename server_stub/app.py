"""The HTTP API (FastAPI) under ``/api/v1``; thin over :mod:`.service` and :mod:`.ingest`.

Signed endpoints read the raw body first, verify the terminal's HMAC over exactly those
bytes (path plus query string), and only then parse it: a request that fails
authentication is answered 401 before any of its content is looked at or stored.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from kiosk.core.clock import Clock, SystemClock
from kiosk.core.protocol import (
    API_PREFIX,
    H_RECEIPT,
    AuthError,
    AuthErrorReason,
    BatchResult,
    CorrectionReceipt,
    CorrectionRequest,
    EnrollRequest,
    EnrollResponse,
    ErrorBody,
    Heartbeat,
    HeartbeatAnswer,
    NonceStore,
    PunchBatch,
    Roster,
    TimeResponse,
    read_headers,
    sign_receipt,
    verify_request,
)
from kiosk.core.protocol.signing import H_NONCE, H_TERMINAL, valid_nonce

from . import (
    completeness,
    datadir,
    db,
    errors,
    export,
    limits,
    report_jobs,
    reports,
    secretbox,
    service,
)
from .bodylimit import BodyLimitMiddleware
from .errors import ApiError401, ApiError403Revoked
from .ingest import Ingestor, NonceReused, TerminalInfo
from .overview import overview_html, terminal_overview
from .proxies import client_address, parse_proxies
from .store import engine as store_engine
from .store import migrate, retry
from .store.nonces import DbNonceStore

_ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody} for s in (400, 401, 403, 413, 422, 429)
}


MAX_KNOWN_TERMINALS = 100_000
DATA_ENV = "KIOSK_SERVER_DATA"
ADMIN_TOKEN_ALWAYS_ENV = "KIOSK_SERVER_ADMIN_TOKEN_ALWAYS"
TRUSTED_PROXIES_ENV = "KIOSK_SERVER_TRUSTED_PROXIES"  # comma-separated, as serve --trusted-proxy
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignedCall:
    terminal: TerminalInfo
    body: bytes
    nonce: str = ""  # with ``signed(..., nonce_by_handler=True)``: the handler claims it


class _ClaimedLater(NonceStore):
    """For a handler that claims the nonce in its own transaction (the punch upload)."""

    def add(self, terminal_id: str, nonce: str, now: float | None = None) -> bool:
        return True


_CLAIMED_LATER = _ClaimedLater()


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def create_app(
    data_dir: Path,
    clock: Clock | None = None,
    *,
    admin_open_on_loopback: bool = True,
    trusted_proxies: Sequence[str] = (),
    console_idle_timeout_s: float | None = None,
    push_heartbeat_s: float = 15.0,
    push_poll_s: float | None = None,
) -> FastAPI:
    """Build the app for one data folder; ``clock`` is the server's time (tests move it).

    ``trusted_proxies``: peers whose ``X-Forwarded-For`` names the client; with any, every
    request may come from a proxy on loopback, so the admin endpoints always want the token.
    """
    clock = clock or SystemClock()
    proxies = parse_proxies(trusted_proxies)
    if proxies:
        admin_open_on_loopback = False
    engine = store_engine.open_engine(Path(data_dir))
    try:
        migrate.check(engine)  # never serve an older (or newer) schema
    except migrate.SchemaError:
        engine.dispose()
        raise
    box = secretbox.secure(Path(data_dir), engine)  # converts an older database's data too
    admin_token = datadir.read_admin_token(Path(data_dir))
    nonces = DbNonceStore(engine, clock)  # shared by every replica
    ingestor = Ingestor(engine, clock, nonces)

    app = FastAPI(
        title="Check-in kiosk server", version="1", docs_url=f"{API_PREFIX}/docs",
        openapi_url=f"{API_PREFIX}/openapi.json", redoc_url=None,
        # FastAPI >= 0.160 asks OpenTelemetry per request whether anyone listens (~5 % of
        # a small upload's CPU); nothing here exports traces. Older FastAPI ignores it.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.engine = engine
    errors.install(app)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(errors.DateHeaderMiddleware, clock=clock)

    known: dict[str, TerminalInfo] = {}  # enrolled, not revoked when first seen

    async def signed(
        request: Request, handler: Callable[[SignedCall], Any], *, cached: bool = False,
        nonce_by_handler: bool = False,
    ) -> Any:
        """Authenticate a terminal request, then run ``handler`` - both in ONE worker-thread
        hop (each hop costs ~1 ms on a busy 2-core box).

        ``cached``: take the terminal's secret and site from memory (they never change
        after enrolment); the handler must then check revocation itself, as the punch
        ingest does inside its transaction.

        ``nonce_by_handler``: the handler records ``call.nonce`` in its own transaction and
        raises ``ApiError401("nonce_reused")`` for a replay (answered with a receipt, as here).
        """
        now = clock.now()
        body = await errors.read_body(request)
        path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
        if request.scope.get("query_string"):
            path += "?" + request.scope["query_string"].decode("latin-1")

        def failed(reason: str, terminal_id: str | None) -> errors.ApiError:
            """Count and audit a request that did not authenticate: 401, or 429 past the limit."""
            client = client_address(request, proxies)
            wait = limits.record_failure(
                engine, limits.SIGNATURE, client, now.timestamp(), actor="anonymous",
                action="signature_failed", target=terminal_id and terminal_id[:64],
                detail={"reason": reason, "path": request.url.path})
            return too_many(wait) if wait else ApiError401(reason, now)

        def run() -> Any:
            try:
                hdr = read_headers(request.headers)
            except AuthError as exc:
                raise failed(exc.reason.value, request.headers.get(H_TERMINAL)) from None
            terminal = known.get(hdr.terminal_id) if cached else None
            if terminal is None:
                terminal = service.get_terminal(engine, hdr.terminal_id, box)
            if terminal is None or terminal.secret is None:
                raise failed("unknown_terminal", hdr.terminal_id)
            secret = terminal.secret
            if not terminal.revoked and len(known) < MAX_KNOWN_TERMINALS:
                known[terminal.terminal_id] = terminal
            try:
                verify_request(hdr, secret, request.method, path, body, now.timestamp(),
                               _CLAIMED_LATER if nonce_by_handler else nonces)
            except AuthError as exc:
                err = ApiError401(exc.reason.value, now)
                if exc.reason in SIGNATURE_GOOD:  # the terminal is who it says: sign back
                    return _receipted(errors.response_for(err), secret, hdr.nonce)
                raise failed(exc.reason.value, hdr.terminal_id) from None
            try:
                if terminal.revoked:
                    raise ApiError403Revoked(now)
                resp = handler(SignedCall(terminal, body, hdr.nonce))
            except errors.ApiError as exc:
                resp = errors.response_for(exc)
            if not isinstance(resp, Response):
                return resp  # a streaming route signs each event itself (push/routes.py)
            return _receipted(resp, secret, hdr.nonce)

        return await run_in_threadpool(run)

    def admin_only(request: Request) -> None:
        client = client_address(request, proxies)
        if admin_open_on_loopback and _is_loopback(client):
            return
        auth = request.headers.get("authorization", "")
        given = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not secrets.compare_digest(given.encode(), admin_token.encode()):
            now = clock.now().timestamp()
            wait = limits.retry_after(engine, limits.ADMIN, client, now) or \
                limits.record_failure(engine, limits.ADMIN, client, now, actor="anonymous",
                                      action="admin_token_failed",
                                      detail={"path": request.url.path, "given": bool(given)})
            if wait:
                raise too_many(wait)
            raise errors.ApiError(401, "admin_token_required",
                                  "Admin endpoints need 'Authorization: Bearer <admin_token>'.")

    @app.post(f"{API_PREFIX}/enroll", response_model=EnrollResponse, responses=_ERRORS,
              tags=["terminal"])
    def enroll(req: EnrollRequest, request: Request) -> Response:
        """Spend a one-time enrolment code: returns the terminal id and its secret.

        With an ``X-Kiosk-Nonce`` header the answer carries a receipt signed with the new
        secret, so the kiosk knows the secret came whole from a server that keeps it.
        Failed codes are limited per client address (429) and audited.
        """
        errors.refuse_nul(req.code, req.app_version)
        client = client_address(request, proxies)
        now = clock.now()
        wait = limits.retry_after(engine, limits.ENROLL, client, now.timestamp())
        if wait:
            raise too_many(wait)
        res = service.enroll(engine, req.code, req.app_version, now, box)
        if res is None:
            limits.record_failure(engine, limits.ENROLL, client, now.timestamp(),
                                  actor="anonymous", action="enroll_failed",
                                  detail={"app_version": req.app_version})
            raise errors.ApiError(403, "invalid_code",
                                  "This enrolment code is unknown, expired or already used.")
        resp = Response(res.model_dump_json(), media_type="application/json")
        nonce = request.headers.get(H_NONCE, "")
        return _receipted(resp, res.secret, nonce) if valid_nonce(nonce) else resp

    @app.get(f"{API_PREFIX}/time", response_model=TimeResponse, tags=["terminal"])
    async def get_time(request: Request) -> Response:
        """Server time (also in the Date header of every response); signed requests get a
        receipt, so a terminal can trust the time it sets its clock offset from."""

        def answer() -> Response:
            return Response(TimeResponse(server_time=clock.now()).model_dump_json(),
                            media_type="application/json")

        if H_TERMINAL not in request.headers:
            return answer()
        resp: Response = await signed(request, lambda _call: answer(), cached=True)
        return resp

    @app.get(f"{API_PREFIX}/health", tags=["terminal"],
             responses={503: {"description": "This replica cannot reach its database"}})
    def health() -> Response:
        """For the load balancer: 200 when this replica can reach its database, else 503."""
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.warning("health check: database unreachable (%s)", type(exc).__name__)
            body = {"status": "unavailable", "database": "unreachable"}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok", "schema": migrate.head(),
                             "retries": retry.counts()})

    @app.get(f"{API_PREFIX}/roster", response_model=Roster,
             responses={**_ERRORS, 304: {"description": "Not modified"}}, tags=["terminal"])
    async def roster(request: Request) -> Any:
        """Keys, revocations, staff of this site, cooldown, shift hints (signed; ETag)."""

        def handle(call: SignedCall) -> Response:
            r = service.build_roster(engine, call.terminal)
            etag = f'"{r.version}"'
            given = request.headers.get("if-none-match", "")
            tags = {t.strip().removeprefix("W/") for t in given.split(",") if t.strip()}
            if etag in tags or "*" in tags:
                return Response(status_code=304, headers={"ETag": etag})
            return Response(r.model_dump_json(), media_type="application/json",
                            headers={"ETag": etag})

        return await signed(request, handle)

    @app.post(f"{API_PREFIX}/punches", response_model=BatchResult, responses=_ERRORS,
              tags=["terminal"], openapi_extra=_body("PunchBatch"))
    async def punches(request: Request) -> Response:
        """Upload a signed batch (<= 500); one verdict per punch, stored exactly once."""

        def handle(call: SignedCall) -> Response:
            batch = _parse(PunchBatch, call.body)
            try:
                verdicts = ingestor.ingest(call.terminal, batch.punches, call.nonce)
            except NonceReused:
                raise ApiError401(AuthErrorReason.NONCE_REUSED.value, clock.now()) from None
            if verdicts is None:  # revoked meanwhile (checked in the storing transaction)
                raise ApiError403Revoked(clock.now())
            result = BatchResult(results=verdicts, server_time=clock.now())
            # Serialised directly: the model is already validated, skip a second pass.
            return Response(result.model_dump_json(), media_type="application/json")

        response: Response = await signed(request, handle, cached=True, nonce_by_handler=True)
        return response

    @app.post(f"{API_PREFIX}/corrections", response_model=CorrectionReceipt, responses=_ERRORS,
              tags=["terminal"], openapi_extra=_body("CorrectionRequest"))
    async def file_correction(request: Request) -> Response:
        """File a make-up punch for the badge just scanned; pending until HR decides."""

        def handle(call: SignedCall) -> Response:
            from . import corrections
            from .problems import Refused

            req = _parse(CorrectionRequest, call.body)
            now = clock.now()
            try:
                c = corrections.file_at_terminal(engine, call.terminal.terminal_id,
                                                 call.terminal.site, req, now)
            except Refused as exc:
                raise errors.ApiError(409 if exc.code in corrections.CONFLICTS else 422,
                                      exc.code, exc.message) from None
            receipt = CorrectionReceipt.model_validate(  # status: the stored text, checked
                {"id": c.id, "status": c.status, "work_date": c.work_date, "server_time": now})
            return Response(receipt.model_dump_json(), media_type="application/json")

        response: Response = await signed(request, handle)
        return response

    @app.post(f"{API_PREFIX}/heartbeat", response_model=HeartbeatAnswer, responses=_ERRORS,
              tags=["terminal"], openapi_extra=_body("Heartbeat"))
    async def heartbeat(request: Request) -> Response:
        """Terminal status for the overview (and replaced outboxes, recorded once each);
        answers with server time and, to a v2 heartbeat, the highest seq stored."""

        def handle(call: SignedCall) -> Response:
            hb = _parse(Heartbeat, call.body)
            now = clock.now()
            top = service.record_heartbeat(engine, call.terminal.terminal_id, hb, now)
            answer: TimeResponse | HeartbeatAnswer = TimeResponse(server_time=now)
            if hb.v >= 2:  # it reads the highest seq stored (older kiosks refuse the field)
                answer = HeartbeatAnswer(server_time=now, last_seq_stored=top)
            return Response(answer.model_dump_json(), media_type="application/json")

        response: Response = await signed(request, handle)
        return response

    from .push import routes as push_routes
    from .push.hub import Hub

    push_routes.install(app, engine, clock, signed, heartbeat_s=push_heartbeat_s,
                        hub=Hub(engine, poll_s=push_poll_s))

    @app.get(f"{API_PREFIX}/terminals/{{terminal_id}}/diagnostics", tags=["admin"],
             responses={**_ERRORS, 404: {"model": ErrorBody}},
             dependencies=[Depends(admin_only)])
    def terminal_diagnostics(terminal_id: str) -> Response:
        """The newest diagnostics bundle the terminal uploaded (admin)."""
        from .push import diagnostics

        found = diagnostics.latest(engine, terminal_id)
        if found is None:
            raise errors.ApiError(404, "not_found", "This terminal has sent no diagnostics.")
        return Response(found.data, media_type="application/zip", headers={
            "Content-Disposition": f'attachment; filename="{found.filename}"'})

    @app.get(f"{API_PREFIX}/reports/attendance", responses=_ERRORS, tags=["admin"],
             dependencies=[Depends(admin_only)])
    def attendance(
        date_from: date, date_to: date, site: str | None = Query(None, max_length=32),
        employee: str | None = Query(None, max_length=32),
        format: Literal["json", "csv", "xlsx"] = "json", summary: bool = False,
    ) -> Any:
        """Attendance per work day and employee, or (``summary``) per employee (admin).
        ``xlsx``: a workbook with both, a Summary and a Days sheet."""
        problem = reports.check_range(date_from, date_to)
        if problem:
            raise errors.ApiError(422, "invalid_request", problem)
        # in a worker process (server_stub/report_jobs.py), off the threads taking uploads
        reply = report_jobs.run(engine, Path(data_dir), "attendance", clock.now(),
                                date_from=date_from, date_to=date_to, site=site,
                                employee=employee, fmt=format, summary=summary)
        return Response(reply.body, media_type=reply.media_type, headers=reply.headers)

    @app.get(f"{API_PREFIX}/completeness", responses=_ERRORS, tags=["admin"],
             dependencies=[Depends(admin_only)])
    def completeness_now() -> Any:
        """Up to when the server holds every punch: per terminal, site and company (admin)."""
        with db.read_txn(engine) as conn:
            return completeness.completeness(conn, clock.now())

    @app.get(f"{API_PREFIX}/export", responses=_ERRORS, tags=["admin"],
             dependencies=[Depends(admin_only)])
    def export_punches(format: Literal["jsonl", "csv"] = "jsonl") -> StreamingResponse:
        """Every stored punch, streamed from a server-side cursor as JSON lines or CSV (admin);
        the same file as ``kiosk-server export``."""
        return StreamingResponse(export.chunks(engine, format), media_type=export.MEDIA_TYPES[format],
                                 headers={"Content-Disposition":
                                          f'attachment; filename="punches.{format}"'})

    @app.get(f"{API_PREFIX}/terminals", responses=_ERRORS, tags=["admin"],
             dependencies=[Depends(admin_only)])
    def terminals() -> Any:
        """Every terminal's health and sequence gaps (admin)."""
        with db.read_txn(engine) as conn:
            return {"server_time": clock.now().isoformat(),
                    "terminals": terminal_overview(conn, clock.now())}

    @app.get(f"{API_PREFIX}/terminals.html", response_class=HTMLResponse, responses=_ERRORS,
             tags=["admin"], dependencies=[Depends(admin_only)])
    def terminals_html() -> HTMLResponse:
        """The same overview as a page for a browser (admin)."""
        now = clock.now()
        with db.read_txn(engine) as conn:
            rows = terminal_overview(conn, now)
            comp = completeness.completeness(conn, now)
        return HTMLResponse(overview_html(rows, now, comp))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            comps = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in (PunchBatch, Heartbeat, CorrectionRequest):
                js = model.model_json_schema(ref_template="#/components/schemas/{model}")
                comps.update(js.pop("$defs", {}))
                comps[model.__name__] = js
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    _mount_console(app, engine, clock, Path(data_dir), console_idle_timeout_s)
    return app


# Authentication failures that come after the signature was found good: answered with a
# receipt (the 401 teaches the server's time; a forger never gets one).
SIGNATURE_GOOD = frozenset({AuthErrorReason.STALE_TIMESTAMP, AuthErrorReason.NONCE_REUSED})


def _receipted(resp: Response, secret: str, nonce: str) -> Response:
    """``resp`` with its receipt: over the request's nonce, the status and the body bytes."""
    resp.headers[H_RECEIPT] = sign_receipt(secret, nonce, resp.status_code, bytes(resp.body))
    return resp


def too_many(wait: int) -> errors.ApiError:
    return errors.ApiError(429, "too_many_requests",
                           f"Too many failed attempts from this address; try again in {wait} s.",
                           headers={"Retry-After": str(wait)})


def app_from_env() -> FastAPI:
    """ASGI factory for uvicorn/gunicorn workers: the data folder from ``$KIOSK_SERVER_DATA``.

        KIOSK_SERVER_DATA=/srv/kiosk uvicorn --factory server_stub.app:app_from_env --workers 4
    """
    data = os.environ.get(DATA_ENV)
    if not data:
        raise RuntimeError(f"set {DATA_ENV} to the server data folder")
    proxies = [p for p in os.environ.get(TRUSTED_PROXIES_ENV, "").split(",") if p.strip()]
    return create_app(Path(data),
                      admin_open_on_loopback=os.environ.get(ADMIN_TOKEN_ALWAYS_ENV) != "1",
                      trusted_proxies=proxies)


def _mount_console(app: FastAPI, engine: Any, clock: Clock, data_dir: Path,
                   idle_timeout_s: float | None) -> None:
    """The web console under /console (its own package; it always requires a login)."""
    from .console import create_console

    options = {} if idle_timeout_s is None else {"idle_timeout_s": idle_timeout_s}
    app.mount("/console", create_console(engine, clock, data_dir, **options))


def _body(model: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}}}}


def _parse(model: Any, body: bytes) -> Any:
    errors.refuse_nul(body)
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise errors.validation_error(exc) from None


