"""Every signature failure is 401 (with server_time), stores nothing, and changes nothing."""

from __future__ import annotations

import json

import pytest

from kiosk.core.protocol import H_RECEIPT, Punch, new_secret, receipt_valid
from kiosk.core.protocol.signing import H_SIGNATURE
from server_stub.ingest import Ingestor, NonceReused, TerminalInfo
from server_stub.store.engine import open_engine


def _nothing_stored(world) -> None:
    assert world.srv.admin.export_punches() == []
    t = world.srv.admin.terminals()[0]
    assert t["last_heartbeat_at"] is None and t["last_sync_at"] is None


def _body(term, world) -> bytes:
    return json.dumps({"punches": [term.punch(world.tokens["E1"])]}).encode()


@pytest.mark.parametrize(
    ("case", "kwargs", "error"),
    [
        ("bad signature", {"secret": new_secret()}, "bad_signature"),
        ("stale timestamp, past", {"ts_delta": -301}, "stale_timestamp"),
        ("stale timestamp, future", {"ts_delta": +301}, "stale_timestamp"),
        ("missing headers", {"sign": False}, "missing_headers"),
        ("unknown terminal", {"terminal_id": "tnobody"}, "unknown_terminal"),
        ("garbled signature header", {"headers": {H_SIGNATURE: "zz"}}, "missing_headers"),
    ],
)
@pytest.mark.parametrize("path", ["/punches", "/heartbeat", "/roster"])
def test_auth_failures_store_nothing(world, term, case, kwargs, error, path):
    kwargs = dict(kwargs)
    if "ts_delta" in kwargs:
        kwargs["ts"] = int(world.clock.now().timestamp()) + kwargs.pop("ts_delta")
    if path == "/roster":
        r = term.request("GET", path, **kwargs)
    elif path == "/heartbeat":
        r = term.request("POST", path, json.dumps({"app_version": "x", "pending": 3}).encode(),
                         **kwargs)
    else:
        r = term.request("POST", path, _body(term, world), **kwargs)
    assert r.status_code == 401, case
    body = r.json()
    assert body["error"] == error
    assert body["server_time"].startswith("2026-11-02T08:00:00")
    _nothing_stored(world)


def test_skew_edge_accepted(world, term):
    ts = int(world.clock.now().timestamp()) + 300
    assert term.send([term.punch(world.tokens["E1"])], ts=ts).status_code == 200


def test_reused_nonce_refused_and_stores_nothing(world, term):
    nonce = "n" * 24
    first = term.request("POST", "/heartbeat", json.dumps({"app_version": "a", "pending": 1}).encode(),
                         nonce=nonce)
    assert first.status_code == 200
    replay = term.send([term.punch(world.tokens["E1"])], nonce=nonce)
    assert replay.status_code == 401 and replay.json()["error"] == "nonce_reused"
    assert world.srv.admin.export_punches() == []


def test_a_replayed_upload_is_refused_with_a_receipt_and_stored_once(world, term):
    """The upload claims its nonce in the transaction that stores its punches."""
    nonce = "r" * 24
    body = _body(term, world)
    first = term.request("POST", "/punches", body, nonce=nonce)
    assert first.status_code == 200 and not first.json()["results"][0]["duplicate"]
    replay = term.request("POST", "/punches", body, nonce=nonce)
    assert replay.status_code == 401 and replay.json()["error"] == "nonce_reused"
    assert receipt_valid(term.secret, nonce, 401, replay.content, replay.headers.get(H_RECEIPT))
    assert len(world.srv.admin.export_punches()) == 1
    # ... and the nonce is spent for every endpoint, not only for uploads
    hb = term.request("POST", "/heartbeat", json.dumps({"app_version": "a", "pending": 0}).encode(),
                      nonce=nonce)
    assert hb.status_code == 401 and hb.json()["error"] == "nonce_reused"


def test_one_nonce_twice_in_one_group_stores_nothing_for_the_second(world, term):
    """Two uploads with one nonce decided in the same transaction: the second is a replay."""
    engine = open_engine(world.srv.data_dir)
    try:
        info = TerminalInfo(term.terminal_id, "Door", "HQ", term.secret, False)
        ingestor = Ingestor(engine, world.clock)
        jobs = [(info, [Punch.model_validate(term.punch(world.tokens["E1"]))], "g" * 20),
                (info, [Punch.model_validate(term.punch(world.tokens["E2"]))], "g" * 20)]
        out = ingestor._run_group_once(jobs)
        assert isinstance(out[0], list) and out[0][0].status.value == "accepted"
        assert isinstance(out[1], NonceReused)
    finally:
        engine.dispose()
    assert [p["employee_id"] for p in world.srv.admin.export_punches()] == ["E1"]


def test_signature_covers_query_string(world, term):
    """Signing /roster but sending /roster?x=1 must fail: the query is part of the path."""
    from kiosk.core.protocol import API_PREFIX, sign_request

    h = sign_request(term.terminal_id, term.secret, "GET", API_PREFIX + "/roster", b"",
                     int(world.clock.now().timestamp()))
    r = term.session.get(world.url + API_PREFIX + "/roster?x=1", headers=h, timeout=30)
    assert r.status_code == 401 and r.json()["error"] == "bad_signature"
    ok = term.request("GET", "/roster?x=1")
    assert ok.status_code == 200


def test_revoked_terminal_gets_403_and_nothing_stored(world, term):
    world.srv.admin.revoke_terminal(term.terminal_id)
    r = term.send([term.punch(world.tokens["E1"])])
    assert r.status_code == 403
    assert r.json()["error"] == "terminal_revoked"
    assert term.request("GET", "/roster").status_code == 403
    assert world.srv.admin.export_punches() == []


def test_revocation_applies_at_once_to_an_active_terminal(world, term):
    """The server keeps an enrolled terminal's secret in memory; revocation must still
    stop the very next upload (it is checked in the storing transaction)."""
    assert term.send([term.punch(world.tokens["E1"])]).status_code == 200
    world.srv.admin.revoke_terminal(term.terminal_id)
    r = term.send([term.punch(world.tokens["E4"])])
    assert r.status_code == 403 and r.json()["error"] == "terminal_revoked"
    assert r.json()["server_time"] is not None
    assert term.request("POST", "/heartbeat", b'{"app_version": "x", "pending": 0}').status_code == 403
    assert len(world.srv.admin.export_punches()) == 1


def test_the_api_answers_are_error_classes():
    """ApiError401 was a function that read like a class: ``isinstance`` and ``except``
    could not use it. Both refusals of a terminal are ApiError classes now."""
    from datetime import datetime, timezone

    from server_stub import errors

    now = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
    err = errors.ApiError401("bad_signature", now)
    assert isinstance(err, errors.ApiError401) and isinstance(err, errors.ApiError)
    assert (err.status, err.error, err.message, err.server_time) == (
        401, "bad_signature", "The request signature does not match.", now)
    assert errors.ApiError401("frobnicated", now).message == "Not authenticated."
    revoked = errors.ApiError403Revoked(now)
    assert isinstance(revoked, errors.ApiError)
    assert (revoked.status, revoked.error) == (403, "terminal_revoked")
