"""Every answer to a signed request is signed back: a receipt over its nonce, status, body."""

from __future__ import annotations

import json

import pytest
import requests

from kiosk.core.protocol import API_PREFIX, H_RECEIPT, new_secret, receipt_valid
from kiosk.core.protocol.signing import H_NONCE


def _ok(term, r: requests.Response, nonce: str) -> bool:
    return receipt_valid(term.secret, nonce, r.status_code, r.content, r.headers.get(H_RECEIPT))


def _call(term, method: str, path: str, body: bytes = b"", **kw):
    nonce = kw.pop("nonce", None) or new_secret()[:32]
    return term.request(method, path, body, nonce=nonce, **kw), nonce


def test_every_signed_answer_carries_a_valid_receipt(world, term):
    punch = json.dumps({"punches": [term.punch(world.tokens["E1"])]}).encode()
    heartbeat = json.dumps({"app_version": "t", "pending": 0}).encode()
    answers = [
        _call(term, "POST", "/punches", punch),
        _call(term, "POST", "/punches", punch),  # a duplicate: the replayed verdict
        _call(term, "POST", "/heartbeat", heartbeat),
        _call(term, "GET", "/time"),
        _call(term, "POST", "/punches", b'{"punches": [{"v": 2}]}'),  # 422
        _call(term, "POST", "/punches", b"{nope"),  # 400
        _call(term, "POST", "/punches", punch,  # 401, but the signature was good
              ts=int(world.clock.now().timestamp()) - 400),
    ]
    roster, nonce = _call(term, "GET", "/roster")
    answers.append((roster, nonce))
    answers.append(_call(term, "GET", "/roster", headers={"If-None-Match": roster.headers["ETag"]}))
    assert [r.status_code for r, _ in answers] == [200, 200, 200, 200, 422, 400, 401, 200, 304]
    for r, nonce in answers:
        assert _ok(term, r, nonce), (r.status_code, r.text[:100])
        assert not _ok(term, r, nonce[::-1]), "the receipt is bound to the request's nonce"
    r, nonce = answers[0]
    assert not receipt_valid(term.secret, nonce, r.status_code, r.content + b" ",
                             r.headers[H_RECEIPT]), "and to the exact body"
    assert not receipt_valid(term.secret, nonce, 201, r.content, r.headers[H_RECEIPT])


def test_a_revoked_terminal_gets_a_signed_refusal(world, term):
    world.srv.admin.revoke_terminal(term.terminal_id)
    r, nonce = _call(term, "POST", "/punches",
                     json.dumps({"punches": [term.punch(world.tokens["E1"])]}).encode())
    assert r.status_code == 403 and r.json()["error"] == "terminal_revoked"
    assert _ok(term, r, nonce)


@pytest.mark.parametrize("kwargs", [{"secret": new_secret()}, {"terminal_id": "tnobody"},
                                    {"sign": False}])
def test_no_receipt_for_a_request_that_is_not_authenticated(world, term, kwargs):
    r = term.request("GET", "/roster", **kwargs)
    assert r.status_code == 401
    assert H_RECEIPT not in r.headers  # a forger learns nothing signed


def test_enrolment_answer_is_signed_with_the_new_secret(world):
    code = world.srv.admin.add_terminal("Gate", "HQ")
    nonce = "e" * 24
    r = requests.post(world.url + API_PREFIX + "/enroll", json={"code": code},
                      headers={H_NONCE: nonce}, timeout=30)
    assert r.status_code == 200
    secret = r.json()["secret"]
    assert receipt_valid(secret, nonce, 200, r.content, r.headers.get(H_RECEIPT))
    r = requests.get(world.url + API_PREFIX + "/time", timeout=30)  # unsigned still works
    assert r.status_code == 200 and H_RECEIPT not in r.headers
