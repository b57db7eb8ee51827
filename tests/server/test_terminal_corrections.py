"""A make-up punch filed by a terminal: signed, the badge verified, idempotent, audited."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from server_stub import audit, corrections

from .conftest import T0


def _file(term, token, at, direction="check_out", reason="I forgot to check out yesterday",
          request_id=None, **kw):
    body = {"request_id": request_id or str(uuid.uuid4()), "badge": token,
            "at": at.isoformat(), "direction": direction, "reason": reason}
    return term.request("POST", "/corrections", json.dumps(body).encode(), **kw)


def test_terminal_files_a_make_up_punch_for_the_badge_just_scanned(world, term):
    world.clock.advance(86400)  # Tuesday 09:00: yesterday's check-out is missing
    rid = str(uuid.uuid4())
    r = _file(term, world.tokens["E1"], T0 + timedelta(hours=8), request_id=rid)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["work_date"]) == ("pending", "2026-11-02")
    again = _file(term, world.tokens["E1"], T0 + timedelta(hours=8), request_id=rid)
    assert again.json()["id"] == body["id"]  # a retried upload files nothing new
    (c,) = corrections.listing(world.srv.admin.engine, status="pending")
    assert (c.employee_id, c.requested_by) == ("E1", f"terminal:{term.terminal_id}")
    (entry,) = audit.entries(world.srv.admin.engine, action="correction_requested")
    assert entry.actor == f"terminal:{term.terminal_id}"
    assert world.tokens["E1"] not in json.dumps(entry.detail)  # no badge text in the audit


def test_bad_requests_are_refused_with_codes(world, term):
    world.clock.advance(86400)
    at = T0 + timedelta(hours=8)
    cases = [
        (_file(term, world.tokens["E3"], at), 422, "wrong_site"),  # E3 works at LAB
        (_file(term, "KB1.not-a-badge", at), 422, "badge_malformed"),
        (_file(term, world.tokens["E1"], at + timedelta(days=3)), 422, "in_future"),
        (_file(term, world.tokens["E1"], at, direction="sideways"), 422, "invalid_request"),
        (_file(term, world.tokens["E1"], at, secret="A" * 43), 401, None),
    ]
    for r, status, code in cases:
        assert r.status_code == status, r.text
        if code:
            assert r.json()["error"] == code, r.text
    assert _file(term, world.tokens["E1"], at).status_code == 200
    dup = _file(term, world.tokens["E1"], at)
    assert (dup.status_code, dup.json()["error"]) == (409, "duplicate")


def test_the_kiosk_sync_client_files_and_a_retry_is_safe(world, term):
    """The kiosk's own client (signed like every request): the same request id twice gives
    one request; a refusal arrives as a Refused with the server's code."""
    import pytest

    from kiosk.core.protocol import CorrectionRequest
    from kiosk.sync.client import Refused, SyncClient
    from kiosk.sync.clock_offset import ClockOffset

    world.clock.advance(86400)
    client = SyncClient([world.url], term.terminal_id, term.secret, world.clock,
                        ClockOffset(world.clock))
    req = CorrectionRequest(request_id=uuid.uuid4(), badge=world.tokens["E1"],
                            at=T0 + timedelta(hours=8), direction="check_out",
                            reason="I forgot to check out yesterday")
    try:
        first = client.file_correction(req)
        assert client.file_correction(req) == first.model_copy(
            update={"server_time": world.clock.now()})
        assert first.status == "pending"
        with pytest.raises(Refused) as exc:
            client.file_correction(req.model_copy(update={"request_id": uuid.uuid4()}))
        assert (exc.value.status, exc.value.error) == (409, "duplicate")
    finally:
        client.session.close()
    assert len(corrections.listing(world.srv.admin.engine)) == 1
