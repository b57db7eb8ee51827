"""A NUL character in request text is a clear 422 on every database (PostgreSQL cannot store
one: it used to be a 500 there), and nothing is stored."""

from __future__ import annotations

import requests
from sqlalchemy import func, select

from kiosk.core.protocol import API_PREFIX
from server_stub import db


def test_enrolment_with_a_nul_is_refused(world):
    code = world.srv.admin.add_terminal("Door", "HQ")
    r = requests.post(world.url + API_PREFIX + "/enroll",
                      json={"code": code, "app_version": "v\x00"}, timeout=30)
    assert r.status_code == 422 and "NUL" in r.json()["message"]
    r = requests.post(world.url + API_PREFIX + "/enroll", json={"code": code}, timeout=30)
    assert r.status_code == 200  # the code was not spent


def test_a_punch_with_a_nul_is_refused_and_not_stored(world, term):
    p = term.punch(world.tokens["E1"])
    p["app_version"] = "x\x00"
    r = term.send([p])
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    with world.srv.admin.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.punches)).scalar() == 0
    p["app_version"] = "x"
    assert term.verdicts([p])[0]["status"] == "accepted"
