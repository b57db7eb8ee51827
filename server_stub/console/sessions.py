"""Console sessions in the database, CSRF tokens, and the failed sign-in limit.

Sessions live in a table rather than in a signed cookie (Starlette's SessionMiddleware):
logout, an idle timeout, a removed account or a new password end a session at once and on
every server process. The cookie carries a random token; the table keeps only its SHA-256.
The CSRF token is an HMAC of the session token, so it is never stored anywhere.

Failed sign-ins are counted from the audit trail itself (``login_failed`` entries in the
last window), per username and per client address: the limit holds across processes and
needs no table of its own. (The shared limiter of ``server_stub/limits.py`` can replace
:func:`login_blocked` once it is on main.)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from .. import audit, db
from .accounts import Account, get_account

IDLE_TIMEOUT_S = 30 * 60
MAX_AGE_S = 12 * 3600
LOGIN_WINDOW_S = 15 * 60
MAX_FAILS_PER_USER = 5
MAX_FAILS_PER_CLIENT = 20


@dataclass(frozen=True)
class Session:
    """A signed-in browser: who, and the token its forms must carry."""

    account: Account
    token_hash: str
    csrf: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_for(token: str) -> str:
    return hmac.new(token.encode(), b"console-csrf", hashlib.sha256).hexdigest()


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def create(conn: Connection, username: str, now: float, client: str | None) -> str:
    """A new session; returns the cookie's token (shown to nobody else, stored hashed)."""
    token = secrets.token_urlsafe(32)
    conn.execute(insert(db.console_sessions).values(
        token_hash=_hash(token), username=username, created_at=now, last_seen_at=now,
        client=client))
    # Sessions that timed out are dead weight: drop them while we are writing anyway.
    s = db.console_sessions.c
    conn.execute(delete(db.console_sessions).where(
        (s.last_seen_at < now - IDLE_TIMEOUT_S) | (s.created_at < now - MAX_AGE_S)))
    return token


def load(engine: Engine, token: str | None, now: float, *, idle_s: float = IDLE_TIMEOUT_S,
         touch: bool = True) -> Session | None:
    """The live session for a cookie token; None if unknown or timed out.

    ``touch`` counts the request as activity; the live view's polls do not, so a page left
    open still times out.
    """
    if not token or len(token) > 100:
        return None
    h = _hash(token)
    s = db.console_sessions.c
    with engine.connect() as conn:  # reads take no write lock (the live view polls)
        row = conn.execute(select(s.username, s.created_at, s.last_seen_at)
                           .where(s.token_hash == h)).first()
        account = None if row is None else get_account(conn, row.username)
    if row is None or account is None:
        return None
    expired = row.last_seen_at < now - idle_s or row.created_at < now - MAX_AGE_S
    if expired or (touch and now - row.last_seen_at > 5):  # at most a write per 5 s
        with db.write_txn(engine) as conn:
            if expired:
                conn.execute(delete(db.console_sessions).where(s.token_hash == h))
            else:
                conn.execute(update(db.console_sessions).where(s.token_hash == h)
                             .values(last_seen_at=now))
    if expired:
        return None
    return Session(account, h, csrf_for(token))


def destroy(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(db.console_sessions).where(db.console_sessions.c.token_hash == token_hash))


def login_blocked(conn: Connection, username: str, client: str | None, now: float) -> bool:
    """True when this username or address failed too often in the last window."""
    a = db.audit_log.c
    recent = select(func.count()).select_from(db.audit_log).where(
        a.action == "login_failed", a.at >= now - LOGIN_WINDOW_S)
    if conn.execute(recent.where(a.target == username)).scalar_one() >= MAX_FAILS_PER_USER:
        return True
    return client is not None and conn.execute(
        recent.where(a.client == client)).scalar_one() >= MAX_FAILS_PER_CLIENT


def record_failure(conn: Connection, username: str, client: str | None, now: float,
                   reason: str) -> None:
    audit.record(conn, at=now, actor="anonymous", action="login_failed", target=username[:64],
                 client=client, detail={"reason": reason})
