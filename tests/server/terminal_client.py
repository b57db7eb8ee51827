"""A minimal signed terminal client for server tests (real HTTP, real signing)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

import requests

from kiosk.core.protocol import API_PREFIX, sign_request


class Term:
    """An enrolled terminal: signs with the server's (fake) clock so auth is in-window."""

    def __init__(self, url: str, terminal_id: str, secret: str, clock: Any) -> None:
        self.url = url
        self.terminal_id = terminal_id
        self.secret = secret
        self.clock = clock
        self.session = requests.Session()
        self.seq = 0

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        *,
        ts: int | None = None,
        nonce: str | None = None,
        secret: str | None = None,
        terminal_id: str | None = None,
        headers: dict[str, str] | None = None,
        sign: bool = True,
    ) -> requests.Response:
        full = API_PREFIX + path
        h: dict[str, str] = {}
        if sign:
            h = sign_request(terminal_id or self.terminal_id, secret or self.secret, method,
                             full, body, int(self.clock.now().timestamp()) if ts is None else ts,
                             nonce)
        if body:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        return self.session.request(method, self.url + full, data=body, headers=h, timeout=30)

    def punch(
        self,
        token: str,
        when: datetime | None = None,
        *,
        offset: float = 0.0,
        seq: int | None = None,
        event_id: str | None = None,
        terminal_id: str | None = None,
    ) -> dict[str, Any]:
        if seq is None:
            self.seq += 1
            seq = self.seq
        when = when or self.clock.now()
        return {
            "event_id": event_id or str(uuid.uuid4()),
            "terminal_id": terminal_id or self.terminal_id,
            "seq": seq,
            "badge": token,
            "wall_time": when.astimezone(timezone.utc).isoformat(),
            "clock_offset_s": offset,
            "source": "camera",
            "app_version": "test-1",
        }

    def send(self, punches: list[dict[str, Any]], **kw: Any) -> requests.Response:
        return self.request("POST", "/punches", json.dumps({"punches": punches}).encode(), **kw)

    def verdicts(self, punches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        r = self.send(punches)
        assert r.status_code == 200, r.text
        return r.json()["results"]


def enroll(url: str, code: str, clock: Any) -> Term:
    r = requests.post(url + API_PREFIX + "/enroll", json={"code": code, "app_version": "t"},
                      timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    return Term(url, body["terminal_id"], body["secret"], clock)
