"""API fuzzing against the served OpenAPI: no input ever gets a 500, every error is an
ErrorBody. Requests to signed endpoints are correctly signed, so the fuzzer reaches the
body parsing and the punch validation behind authentication (bounded: examples per op)."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from kiosk.core.protocol import API_PREFIX, sign_request

EXAMPLES = 25


class SigningAuth(requests.auth.AuthBase):
    """Signs the final prepared request (exact body bytes, path with query)."""

    def __init__(self, term) -> None:
        self.term = term

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        ts = int(self.term.clock.now().timestamp())
        r.headers.update(sign_request(self.term.terminal_id, self.term.secret, r.method or "GET",
                                      r.path_url, body, ts))
        return r


def _operations(url: str) -> list[tuple[str, str]]:
    spec = requests.get(url + API_PREFIX + "/openapi.json", timeout=30).json()
    return [(path, method.upper()) for path, ops in spec["paths"].items() for method in ops]


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_input_gets_a_500(world, term, mode):
    spec = requests.get(world.url + API_PREFIX + "/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(spec)
    ops = _operations(world.url)
    assert {"/api/v1/punches", "/api/v1/enroll", "/api/v1/roster", "/api/v1/heartbeat"} <= {
        p for p, _ in ops}
    auth = SigningAuth(term)
    session = requests.Session()
    seen: dict[int, int] = {}
    try:
        for path, method in ops:
            strategy = schema[path][method].as_strategy(generation_mode=mode)

            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def check(case) -> None:
                kwargs = case.as_transport_kwargs(base_url=world.url)
                kwargs.pop("auth", None)
                # An event stream (GET /events) never ends by itself: take its status and
                # headers, then hang up; an answer that is not a stream is read whole.
                with session.request(**kwargs, auth=auth, timeout=30, stream=True) as r:
                    if r.headers.get("content-type", "").startswith("text/event-stream"):
                        assert r.status_code == 200, (method, path, r.status_code)
                        seen[r.status_code] = seen.get(r.status_code, 0) + 1
                        return
                    r.content  # noqa: B018 - read the body before the connection is closed
                seen[r.status_code] = seen.get(r.status_code, 0) + 1
                assert r.status_code < 500, (method, path, r.status_code, r.text[:300])
                if r.status_code >= 400:
                    body = r.json()
                    assert isinstance(body.get("error"), str) and body["error"], r.text
                    assert isinstance(body.get("message"), str), r.text

            try:
                check()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # nothing invalid to send (GET /time)
    finally:
        session.close()
    assert sum(seen.values()) >= EXAMPLES  # the fuzzer really ran


def test_raw_garbage_gets_4xx(world, term):
    """Hand-picked nasties the schema-driven fuzzer is unlikely to produce."""
    s = requests.Session()
    base = world.url + API_PREFIX
    cases = [
        ("POST", "/punches", b"\xff\xfe\x00garbage", {"Content-Type": "application/json"}),
        ("POST", "/enroll", b'{"code": "\\ud800\\ud800"}', {"Content-Type": "application/json"}),
        ("POST", "/enroll", b"1e999999", {"Content-Type": "application/json"}),
        ("POST", "/enroll", b"[" * 10000, {"Content-Type": "application/json"}),
        ("POST", "/enroll", b"x", {"Content-Type": "application/json", "Content-Length": "abc"}),
        ("GET", "/reports/attendance?date_from=9999-99-99&date_to=0", b"", {}),
        ("GET", "/roster", b"", {"X-Kiosk-Terminal": "x", "X-Kiosk-Timestamp": "99999999999999999999",
                                 "X-Kiosk-Nonce": "n" * 20, "X-Kiosk-Signature": "0" * 64}),
    ]
    for method, path, body, headers in cases:
        try:
            r = s.request(method, base + path, data=body, headers=headers, timeout=30)
        except requests.RequestException:
            continue  # the server (h11) may refuse a malformed request outright
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:200])
        assert r.json()["error"]
    signed_bad = term.request("POST", "/punches", b'{"punches": [{"v": 2}]}')
    assert signed_bad.status_code == 422
    s.close()
