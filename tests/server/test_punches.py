"""Punch upload: verdicts, validation reasons, and exactly-once storage by event id."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from kiosk.core.protocol import MAX_BATCH, BatchResult, parse_badge
from server_stub import db
from tests.helpers.badges import make_signer, make_token

from .conftest import T0


def test_check_in_then_check_out_with_attendance_meaning(world, term):
    t = world.tokens["E1"]
    late = T0 + timedelta(minutes=7)  # 09:07 Berlin, grace 5
    world.clock.advance(8 * 3600)  # uploaded at 17:00, after both punches
    v_in, v_out = term.verdicts([term.punch(t, late), term.punch(t, T0 + timedelta(hours=7, minutes=45))])
    assert v_in["status"] == "accepted" and v_in["direction"] == "check_in"
    assert (v_in["late_min"], v_in["shift_start"], v_in["shift_end"], v_in["grace_min"]) == (
        7, "09:00", "17:00", 5)
    assert "late 7 min" in v_in["message"] and v_in["employee_id"] == "E1"
    assert v_out["direction"] == "check_out" and v_out["early_leave_min"] == 15
    # A later upload on the same work day is a check-out too.
    (v_last,) = term.verdicts([term.punch(t, T0 + timedelta(hours=8, minutes=1))])
    assert v_last["direction"] == "check_out" and v_last["early_leave_min"] == 0


def test_second_scan_is_a_repeat_and_early_leave_reads_in_hours(world, term):
    """The issue's demo: 08:57:35 then 09:04:16 is 'Already checked in at 08:57', not an
    early leave of 475 min; a check-out at 12:55 left '4 h 05 min' early."""
    t = world.tokens["E1"]
    world.clock.advance(5 * 3600)
    v_in, v_rep, v_out = term.verdicts([
        term.punch(t, T0 - timedelta(minutes=2, seconds=25)),
        term.punch(t, T0 + timedelta(minutes=4, seconds=16)),
        term.punch(t, T0 + timedelta(hours=3, minutes=55))])
    assert (v_in["direction"], v_in["local_time"]) == ("check_in", "08:57")
    assert (v_rep["direction"], v_rep["early_leave_min"], v_rep["checked_in_at"]) == (
        "repeat", 0, "08:57")
    assert v_rep["message"] == "Already checked in at 08:57."
    assert (v_out["direction"], v_out["early_leave_min"], v_out["local_time"]) == (
        "check_out", 245, "12:55")
    assert "left 4 h 05 min early (shift ends 17:00)" in v_out["message"]


def test_on_time_inside_grace(world, term):
    world.clock.advance(3600)
    (v,) = term.verdicts([term.punch(world.tokens["E1"], T0 + timedelta(minutes=5, seconds=59))])
    assert (v["direction"], v["late_min"]) == ("check_in", 0)
    assert "on time" in v["message"]


def test_clock_offset_is_applied(world, term):
    """Wall time 3 h behind, offset +3 h: the punch happened at server time 09:20."""
    when = T0 + timedelta(minutes=20)
    world.clock.advance(3600)
    (v,) = term.verdicts([term.punch(world.tokens["E1"], when - timedelta(hours=3), offset=3 * 3600)])
    assert (v["status"], v["late_min"]) == ("accepted", 20)


def _reason(term, punch) -> str | None:
    (v,) = term.verdicts([punch])
    assert v["status"] == ("accepted" if v["reason"] is None else "rejected")
    return v["reason"]


def test_rejection_reasons(world, term):
    admin = world.srv.admin
    other_signer = make_signer("k1")
    forged = make_token(other_signer, employee_id="E1")
    assert _reason(term, term.punch(forged)) == "badge_bad_signature"
    assert _reason(term, term.punch("hello")) == "badge_malformed"
    assert _reason(term, term.punch(make_token(make_signer("kx"), "E1"))) == "badge_unknown_key"
    assert _reason(term, term.punch(world.tokens["E3"])) == "wrong_site"
    admin.add_employee("E9", "Gone Person", "HQ", "day")
    gone = admin.issue_badge("E9").token
    admin.set_employee_active("E9", False)
    assert _reason(term, term.punch(gone)) == "employee_inactive"
    p = term.punch(world.tokens["E1"], terminal_id="tsomeoneelse")
    assert _reason(term, p) == "terminal_mismatch"
    future = term.punch(world.tokens["E1"], T0 + timedelta(seconds=301))
    assert _reason(term, future) == "time_implausible"
    assert _reason(term, term.punch(world.tokens["E1"], T0 + timedelta(seconds=299))) is None
    ancient = term.punch(world.tokens["E1"], T0 - timedelta(days=61))
    assert _reason(term, ancient) == "time_implausible"
    reasons = {p["reason"] for p in admin.export_punches() if p["status"] == "rejected"}
    assert "terminal_mismatch" not in reasons  # never stored under someone else's id
    assert "wrong_site" in reasons and "badge_bad_signature" in reasons


def test_badge_validity_is_judged_at_punch_time(world, term):
    """Punched offline before expiry, uploaded after: fine. Punched after expiry: refused."""
    admin = world.srv.admin
    short = admin.issue_badge("E4", days=1).token  # expires T0 + 1 day
    before = term.punch(short, T0 + timedelta(hours=23))
    after = term.punch(short, T0 + timedelta(days=1, minutes=1))
    world.clock.advance(2 * 86400)
    verdicts = term.verdicts([before, after])
    assert [v["status"] for v in verdicts] == ["accepted", "rejected"]
    assert verdicts[1]["reason"] == "badge_expired"


def test_revocation_counts_from_its_time(world, term):
    admin = world.srv.admin
    offline = term.punch(world.tokens["E1"], T0)
    world.clock.advance(3600)
    admin.revoke_badge(world.badge_ids["E1"])
    world.clock.advance(60)
    after = term.punch(world.tokens["E1"])
    v_offline, v_after = term.verdicts([offline, after])
    assert v_offline["status"] == "accepted"
    assert v_after["reason"] == "badge_revoked"


def test_late_upload_counts_on_the_day_it_happened(world, term):
    """A Monday punch uploaded on Thursday is Monday's check-in, and Thursday's first punch
    is Thursday's check-in."""
    t = world.tokens["E1"]
    monday = term.punch(t, T0 + timedelta(minutes=12))
    world.clock.advance(3 * 86400)  # Thursday 09:00
    (v_thu,) = term.verdicts([term.punch(t)])
    (v_mon,) = term.verdicts([monday])
    assert (v_thu["direction"], v_thu["late_min"]) == ("check_in", 0)
    assert (v_mon["direction"], v_mon["late_min"]) == ("check_in", 12)
    days = {p["work_date"] for p in world.srv.admin.export_punches()}
    assert days == {"2026-11-02", "2026-11-05"}


def test_night_shift_checkout_after_midnight(world, term):
    t = world.tokens["E2"]  # night 22:00-06:00 grace 10, Berlin
    world.clock.set(datetime(2026, 11, 2, 21, 20, tzinfo=timezone.utc))  # 22:20 Berlin
    (v_in,) = term.verdicts([term.punch(t)])
    world.clock.set(datetime(2026, 11, 3, 4, 50, tzinfo=timezone.utc))  # 05:50 Berlin
    (v_out,) = term.verdicts([term.punch(t)])
    assert (v_in["direction"], v_in["late_min"]) == ("check_in", 20)
    assert (v_out["direction"], v_out["early_leave_min"]) == ("check_out", 10)
    assert {p["work_date"] for p in world.srv.admin.export_punches()} == {"2026-11-02"}


def test_repeat_returns_first_verdict_and_conflict_is_refused(world, term):
    p = term.punch(world.tokens["E1"], T0 + timedelta(minutes=9))
    (first,) = term.verdicts([p])
    world.clock.advance(600)
    (again,) = term.verdicts([p])
    assert again == {**first, "duplicate": True}
    changed = dict(p, wall_time=(T0 + timedelta(minutes=30)).isoformat())
    (conflict,) = term.verdicts([changed])
    assert (conflict["status"], conflict["reason"]) == ("rejected", "conflict")
    stored = world.srv.admin.export_punches()
    assert len(stored) == 1 and stored[0]["verdict"] == first


def test_repeat_inside_one_batch(world, term):
    p = term.punch(world.tokens["E1"])
    v1, v2, v3 = term.verdicts([p, p, dict(p, seq=99)])
    assert v2 == {**v1, "duplicate": True}
    assert v3["reason"] == "conflict"
    assert len(world.srv.admin.export_punches()) == 1


def test_concurrent_duplicate_batches_store_once(world, term):
    """Eight threads post the same 50-punch batch at once: 50 rows, identical verdicts."""
    punches = [term.punch(world.tokens[e], T0 + timedelta(seconds=i))
               for i, e in enumerate(["E1", "E2", "E4", "E3", "E1"] * 10)]
    body = json.dumps({"punches": punches}).encode()
    barrier = threading.Barrier(8)
    answers: list[list[dict]] = []
    lock = threading.Lock()

    def post() -> None:
        from .terminal_client import Term

        t = Term(term.url, term.terminal_id, term.secret, world.clock)
        barrier.wait(timeout=10)
        r = t.request("POST", "/punches", body)
        t.close()
        assert r.status_code == 200, r.text
        with lock:
            answers.append(BatchResult.model_validate(r.json()).model_dump(mode="json")["results"])

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(answers) == 8
    stored = world.srv.admin.export_punches()
    assert len(stored) == 50
    firsts = [a for a in answers if not any(v["duplicate"] for v in a)]
    assert len(firsts) == 1  # exactly one thread stored; the others got replays
    strip = [[{**v, "duplicate": False} for v in a] for a in answers]
    assert all(s == strip[0] for s in strip)
    assert [p["verdict"] for p in sorted(stored, key=lambda p: p["seq"])] == firsts[0]


def test_batch_limits(world, term):
    too_many = [term.punch(world.tokens["E1"]) for _ in range(MAX_BATCH + 1)]
    r = term.send(too_many)
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    assert term.request("POST", "/punches", b'{"punches": []}').status_code == 422
    assert term.request("POST", "/punches", b"[1,2").status_code == 400
    bad = term.punch(world.tokens["E1"])
    bad["wall_time"] = "2026-11-02T08:00:00"  # no UTC offset
    assert term.send([bad]).status_code == 422
    huge = b'{"punches": [' + b" " * (1024 * 1024 + 10) + b"]}"
    r = term.request("POST", "/punches", huge)
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"
    assert world.srv.admin.export_punches() == []


@pytest.mark.parametrize("n", [1, MAX_BATCH])
def test_full_batches_accepted(world, term, n):
    punches = [term.punch(world.tokens["E4"], T0 - timedelta(seconds=n - i)) for i in range(n)]
    verdicts = term.verdicts(punches)
    assert len(verdicts) == n and all(v["status"] == "accepted" for v in verdicts)
    assert [v["event_id"] for v in verdicts] == [p["event_id"] for p in punches]
    assert verdicts[0]["direction"] == "check_in"
    # 500 punches one second apart: all inside the 30 min minimum presence, so repeats.
    assert all(v["direction"] == "repeat" for v in verdicts[1:])


def test_a_terminal_cannot_replay_another_terminals_punch(world, term):
    """Terminal B posting A's punch verbatim gets terminal_mismatch, not A's verdict."""
    from .terminal_client import enroll

    other = enroll(world.url, world.srv.admin.add_terminal("Side door", "HQ"), world.clock)
    try:
        p = term.punch(world.tokens["E1"])
        (mine,) = term.verdicts([p])
        (theirs,) = other.verdicts([p])
        assert mine["status"] == "accepted"
        assert (theirs["reason"], theirs["duplicate"], theirs["employee_id"]) == (
            "terminal_mismatch", False, None)
        assert len(world.srv.admin.export_punches()) == 1
    finally:
        other.close()


def test_decisions_follow_edited_shifts_and_new_keys_at_once(world, term):
    """The ingest keeps keys, sites and shifts between uploads only while their digest is
    unchanged (PostgreSQL): an edit applies to the very next upload."""
    world.clock.advance(3600)
    t = world.tokens["E1"]
    (v,) = term.verdicts([term.punch(t, T0 + timedelta(minutes=7))])
    assert (v["direction"], v["late_min"], v["grace_min"]) == ("check_in", 7, 5)
    with world.srv.admin.engine.begin() as conn:
        conn.execute(update(db.shifts).where(db.shifts.c.name == "day").values(grace_min=10))
    world.clock.advance(86400)
    (v,) = term.verdicts([term.punch(t, T0 + timedelta(days=1, minutes=7))])
    assert (v["direction"], v["late_min"], v["grace_min"]) == ("check_in", 0, 10)
    kid = world.srv.admin.add_key()
    new = world.srv.admin.issue_badge("E3", issued_at=T0 - timedelta(days=1))
    assert parse_badge(new.token).kid == kid
    (v,) = term.verdicts([term.punch(new.token, T0 + timedelta(days=1, minutes=1))])
    assert v["reason"] == "wrong_site"  # verified with the new key (E3 works at LAB)
