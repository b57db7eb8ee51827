"""Roster (signed, ETag), heartbeat, terminal overview with sequence gaps, Date header."""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime

import requests

from kiosk.core.protocol import API_PREFIX, BadgeVerifier, Roster, parse_badge

from .conftest import T0


def test_roster_has_what_a_terminal_needs_offline(world, term):
    r = term.request("GET", "/roster")
    assert r.status_code == 200
    roster = Roster.model_validate(r.json())
    assert (roster.terminal_id, roster.terminal_name, roster.site) == (term.terminal_id, "Door", "HQ")
    assert roster.timezone == "Europe/Berlin" and roster.cooldown_s == 60
    assert set(roster.employees) == {"E1", "E2", "E4"}  # not E3 (other site)
    assert roster.employees["E2"].name == "王芳"
    assert (roster.employees["E2"].shift.start, roster.employees["E2"].shift.end) == ("22:00", "06:00")
    assert roster.employees["E4"].shift is None
    verifier = BadgeVerifier(roster.keys, roster.revoked)
    assert verifier.verify(world.tokens["E1"], T0).employee_id == "E1"
    assert r.headers["ETag"] == f'"{roster.version}"'


def test_roster_etag_and_changes(world, term):
    first = term.request("GET", "/roster")
    etag = first.headers["ETag"]
    same = term.request("GET", "/roster", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b"" and same.headers["ETag"] == etag
    world.srv.admin.revoke_badge(world.badge_ids["E1"])
    changed = term.request("GET", "/roster", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert world.badge_ids["E1"] in changed.json()["revoked"]


def test_key_rotation_roster_lists_both_keys_until_retired(world, term):
    admin = world.srv.admin
    kid2 = admin.add_key()
    new_token = admin.issue_badge("E1").token
    assert parse_badge(new_token).kid == kid2
    keys = term.request("GET", "/roster").json()["keys"]
    assert set(keys) == {"k1", kid2}
    v_old, v_new = term.verdicts([term.punch(world.tokens["E1"]), term.punch(new_token)])
    assert v_old["status"] == v_new["status"] == "accepted"
    admin.retire_key("k1")
    assert set(term.request("GET", "/roster").json()["keys"]) == {kid2}
    (v,) = term.verdicts([term.punch(world.tokens["E4"])])
    assert v["reason"] == "badge_unknown_key"


def test_overview_shows_heartbeat_and_sequence_gaps(world, term):
    t = world.tokens["E4"]
    term.verdicts([term.punch(t, seq=s) for s in (1, 2, 3, 6, 9)])
    hb = {"app_version": "1.2.3", "pending": 4, "oldest_pending_age_s": 30.5,
          "last_error": "timeout", "camera_state": "ok", "last_seq": 12}
    assert term.request("POST", "/heartbeat", json.dumps(hb).encode()).status_code == 200
    r = requests.get(world.url + API_PREFIX + "/terminals", timeout=30)
    assert r.status_code == 200
    (row,) = r.json()["terminals"]
    assert (row["app_version"], row["pending"], row["last_error"], row["camera_state"]) == (
        "1.2.3", 4, "timeout", "ok")
    assert row["seq_gaps"] == [[4, 5], [7, 8]] and row["missing_count"] == 4
    assert (row["max_seq"], row["terminal_last_seq"], row["punches_received"]) == (9, 12, 5)
    assert row["last_sync_at"].startswith("2026-11-02T08:00")
    page = requests.get(world.url + API_PREFIX + "/terminals.html", timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "4-5, 7-8" in page.text and "Door" in page.text


def test_heartbeat_validation(world, term):
    r = term.request("POST", "/heartbeat", json.dumps({"app_version": "x", "pending": -1}).encode())
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


def test_time_and_date_header_follow_server_clock(world):
    world.clock.advance(3600)
    r = requests.get(world.url + API_PREFIX + "/time", timeout=30)
    assert r.json()["server_time"].startswith("2026-11-02T09:00:00")
    assert parsedate_to_datetime(r.headers["Date"]) == world.clock.now()
    missing = requests.get(world.url + "/no/such/path", timeout=30)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert parsedate_to_datetime(missing.headers["Date"]) == world.clock.now()
    assert requests.delete(world.url + API_PREFIX + "/time", timeout=30).status_code == 405


def test_server_stops_and_starts_on_the_same_port(world, term):
    port = world.srv.port
    term.verdicts([term.punch(world.tokens["E1"])])
    world.srv.stop()
    try:
        requests.get(world.url + API_PREFIX + "/time", timeout=2)
        raise AssertionError("server still answering")
    except requests.ConnectionError:
        pass
    world.srv.start()
    assert world.srv.port == port
    term.session.close()  # pooled connections died with the server
    assert term.request("GET", "/roster").status_code == 200
    assert len(world.srv.admin.export_punches()) == 1
