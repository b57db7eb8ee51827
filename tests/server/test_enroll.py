"""Enrolment: a one-time code gives an identity once, also under concurrent attempts."""

from __future__ import annotations

import threading

import requests

from kiosk.core.protocol import API_PREFIX, EnrollResponse

N_RACERS = 12


def _enroll(url: str, code: str) -> requests.Response:
    return requests.post(url + API_PREFIX + "/enroll", json={"code": code}, timeout=30)


def test_code_works_once_and_is_dead_afterwards(world):
    code = world.srv.admin.add_terminal("Door", "HQ")
    first = _enroll(world.url, code)
    assert first.status_code == 200
    body = EnrollResponse.model_validate(first.json())
    assert (body.name, body.site) == ("Door", "HQ")
    assert body.server_time == world.clock.now()
    again = _enroll(world.url, code)
    assert again.status_code == 403 and again.json()["error"] == "invalid_code"


def test_code_is_forgiving_about_case_and_dashes(world):
    code = world.srv.admin.add_terminal("Door", "HQ")
    assert _enroll(world.url, code.lower().replace("-", " ")).status_code == 200


def test_enrolment_race_exactly_one_wins(world):
    code = world.srv.admin.add_terminal("Door", "HQ")
    barrier = threading.Barrier(N_RACERS)
    results: list[requests.Response] = []
    lock = threading.Lock()

    def racer() -> None:
        barrier.wait(timeout=10)
        r = _enroll(world.url, code)
        with lock:
            results.append(r)

    threads = [threading.Thread(target=racer) for _ in range(N_RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [403] * (N_RACERS - 1)
    assert len(world.srv.admin.terminals()) == 1
    assert world.srv.admin.terminals()[0]["state"] == "active"


def test_expired_and_revoked_codes_refused(world):
    admin = world.srv.admin
    expired = admin.add_terminal("Old", "HQ", valid_days=1)
    world.clock.advance(86400 + 1)
    assert _enroll(world.url, expired).status_code == 403
    code = admin.add_terminal("Stolen", "HQ")
    tid = next(t["terminal_id"] for t in admin.terminals() if t["name"] == "Stolen")
    admin.revoke_terminal(tid)
    assert _enroll(world.url, code).status_code == 403


def test_unknown_code_and_bad_bodies(world):
    assert _enroll(world.url, "NOPE-NOPE").status_code == 403
    r = requests.post(world.url + API_PREFIX + "/enroll", data=b"{not json",
                      headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 400 and r.json()["error"] == "bad_json"
    r = requests.post(world.url + API_PREFIX + "/enroll", json={"code": "x"}, timeout=30)
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    r = requests.post(world.url + API_PREFIX + "/enroll", json={"code": "ABCDEFG", "extra": 1},
                      timeout=30)
    assert r.status_code == 422
