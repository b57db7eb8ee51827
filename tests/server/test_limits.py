"""Failed attempts are limited per client address (shared by every process) and audited."""

from __future__ import annotations

import json

import requests

from kiosk.core.protocol import API_PREFIX, new_secret
from server_stub import limits
from server_stub.audit import entries
from server_stub.cli import main as cli_main
from server_stub.runner import EmbeddedServer


def _enroll(url: str, code: str, **headers: str) -> requests.Response:
    return requests.post(url + API_PREFIX + "/enroll", json={"code": code}, headers=headers,
                         timeout=30)


def test_wrong_enrolment_codes_get_429_and_are_audited(world, capsys):
    statuses = [_enroll(world.url, f"WRONG-{i:04d}-XXXX").status_code for i in range(15)]
    n = limits.ENROLL.limit
    assert statuses == [403] * n + [429] * (15 - n)
    r = _enroll(world.url, "WRONG-9999-XXXX")
    assert r.json()["error"] == "too_many_requests" and 1 <= int(r.headers["Retry-After"]) <= 60
    # While blocked even the right code is refused, and not spent.
    code = world.srv.admin.add_terminal("Gate", "HQ")
    assert _enroll(world.url, code).status_code == 429
    failed = entries(world.srv.admin.engine, action="enroll_failed")
    assert len(failed) == n and {e.client for e in failed} == {"127.0.0.1"}
    assert all("WRONG" not in json.dumps(e.detail) for e in failed)  # no code in the trail
    assert cli_main(["audit", "--data", str(world.srv.data_dir), "--action",
                     "enroll_failed"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == n and all("enroll_failed" in line and "127.0.0.1" in line for line in out)
    world.clock.advance(61)  # the window is over
    assert _enroll(world.url, code).status_code == 200


def test_the_limit_is_shared_by_every_server_process(world):
    """A second server on the same database (another worker, another replica)."""
    other = EmbeddedServer(world.srv.data_dir, clock=world.clock)
    other.start()
    try:
        for i in range(limits.ENROLL.limit):
            url = world.url if i % 2 else other.url
            assert _enroll(url, f"WRONG-{i:04d}-XXXX").status_code == 403
        assert _enroll(world.url, "WRONG-AAAA-XXXX").status_code == 429
        assert _enroll(other.url, "WRONG-BBBB-XXXX").status_code == 429
    finally:
        other.stop()


def test_failed_signatures_get_429_and_are_audited(world, term):
    statuses = [term.request("GET", "/roster", secret=new_secret()).status_code
                for _ in range(limits.SIGNATURE.limit + 3)]
    assert statuses == [401] * limits.SIGNATURE.limit + [429] * 3
    failed = entries(world.srv.admin.engine, action="signature_failed")
    assert len(failed) == limits.SIGNATURE.limit + 3
    assert {e.target for e in failed} == {term.terminal_id}
    assert {e.detail["reason"] for e in failed} == {"bad_signature"}
    world.clock.advance(61)
    assert term.request("GET", "/roster").status_code == 200


def test_forwarded_for_counts_only_from_a_trusted_proxy(world, tmp_path):
    # Not trusted: rotating X-Forwarded-For does not dodge the limit.
    for i in range(limits.ENROLL.limit):
        _enroll(world.url, f"WRONG-{i:04d}-XXXX", **{"X-Forwarded-For": f"203.0.113.{i}"})
    assert _enroll(world.url, "WRONG-AAAA-XXXX",
                   **{"X-Forwarded-For": "203.0.113.200"}).status_code == 429
    assert {e.client for e in entries(world.srv.admin.engine)} == {"127.0.0.1"}
    proxied = EmbeddedServer(world.srv.data_dir, clock=world.clock,
                             trusted_proxies=["127.0.0.1"])
    proxied.start()
    try:
        # Behind the trusted proxy each client has its own count...
        r = _enroll(proxied.url, "WRONG-BBBB-XXXX", **{"X-Forwarded-For": "1.2.3.4, 198.51.100.9"})
        assert r.status_code == 403
        assert entries(world.srv.admin.engine, limit=1)[0].client == "198.51.100.9"
        # ...and the admin endpoints want the token although the proxy is on loopback.
        report = proxied.url + API_PREFIX + "/terminals"
        assert requests.get(report, timeout=30).status_code == 401
        token = (world.srv.data_dir / "admin_token").read_text().strip()
        assert requests.get(report, headers={"Authorization": f"Bearer {token}"},
                            timeout=30).status_code == 200
        assert requests.get(world.url + API_PREFIX + "/terminals", timeout=30).status_code == 200
        assert entries(world.srv.admin.engine, action="admin_token_failed")
    finally:
        proxied.stop()
