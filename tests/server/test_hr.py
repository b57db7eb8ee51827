"""Holidays, leave and make-up punch requests: stored, audited, and counted in reports."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import func, select

from kiosk.core.protocol import API_PREFIX
from server_stub import audit, corrections, daysoff, db
from server_stub.problems import Refused

from .conftest import T0


def _rows(world, d_from="2026-11-02", d_to="2026-11-06", **params) -> dict:
    r = requests.get(world.url + API_PREFIX + "/reports/attendance", timeout=30,
                     params={"date_from": d_from, "date_to": d_to, **params})
    assert r.status_code == 200, r.text
    return {(x["date"], x["employee_id"]): x for x in r.json()["rows"]}


def _actions(world) -> list[str]:
    return [e.action for e in reversed(audit.entries(world.srv.admin.engine))]


def test_holidays_and_leave_are_never_absent(world, tmp_path):
    eng, now = world.srv.admin.engine, world.clock.now()
    daysoff.add_holiday(eng, "HQ", date(2026, 11, 3), "Founders' day", actor="cli:hr", now=now)
    with pytest.raises(Refused) as exc:
        daysoff.add_holiday(eng, "HQ", date(2026, 11, 3), "Again", actor="cli", now=now)
    assert exc.value.code == "holiday_exists"
    daysoff.add_leave(eng, "E1", date(2026, 11, 4), date(2026, 11, 5), "sick", "flu",
                      actor="cli:hr", now=now)
    for bad, code in [(("E1", date(2026, 11, 5), date(2026, 11, 9), "annual"), "leave_overlaps"),
                      (("E1", date(2026, 11, 9), date(2026, 11, 9), "beach"), "bad_kind"),
                      (("E1", date(2026, 11, 9), date(2026, 11, 8), "annual"), "bad_range"),
                      (("NOPE", date(2026, 11, 9), date(2026, 11, 9), "annual"), "unknown_employee")]:
        with pytest.raises(Refused) as exc:
            daysoff.add_leave(eng, *bad, actor="cli", now=now)
        assert exc.value.code == code
    world.clock.advance(7 * 86400)  # the following Monday
    rows = _rows(world)
    assert {d: rows[(d, "E1")]["status"] for d in
            ("2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06")} == {
        "2026-11-02": "absent", "2026-11-03": "holiday", "2026-11-04": "leave",
        "2026-11-05": "leave", "2026-11-06": "absent"}
    assert rows[("2026-11-03", "E1")]["day_off"] == "Founders' day"
    assert rows[("2026-11-04", "E1")]["day_off"] == "sick: flu"
    assert rows[("2026-11-03", "E3")]["status"] == "absent"  # another site's calendar
    assert rows[("2026-11-03", "E2")]["status"] == "holiday"  # the night shift too
    assert _actions(world) == ["holiday_added", "leave_added"]


def test_holiday_csv_import_is_all_or_nothing(world, tmp_path):
    eng, now = world.srv.admin.engine, world.clock.now()
    good = tmp_path / "h.csv"
    good.write_text("date,name,site\n2026-12-25,Christmas,HQ\n2026-12-26,Boxing day,\n",
                    encoding="utf-8")
    assert daysoff.import_holidays_csv(eng, good, "LAB", actor="cli", now=now) == 2
    assert [(h["site"], h["date"]) for h in daysoff.holidays(eng)] == [
        ("HQ", "2026-12-25"), ("LAB", "2026-12-26")]
    bad = tmp_path / "bad.csv"
    bad.write_text("date,name\n2027-01-01,New year\n2027-13-01,Nope\n", encoding="utf-8")
    with pytest.raises(Refused) as exc:
        daysoff.import_holidays_csv(eng, bad, "HQ", actor="cli", now=now)
    assert "line 3" in str(exc.value) and exc.value.code == "bad_date"
    assert len(daysoff.holidays(eng)) == 2


def test_make_up_punch_is_counted_once_approved(world, term):
    """E1 checks in Monday 09:00 and forgets to check out. A make-up check-out at 17:00 waits
    for HR; once approved the day is present, marked with who approved it; the stored
    punches never change; every step is audited."""
    eng = world.srv.admin.engine
    term.verdicts([term.punch(world.tokens["E1"], T0)])
    world.clock.advance(86400)  # Tuesday 09:00
    c = corrections.request(eng, "E1", T0 + timedelta(hours=8), "check_out",
                            "I forgot to check out yesterday", requested_by="terminal:T1",
                            now=world.clock.now())
    assert (c.status, c.work_date, c.local_time) == ("pending", "2026-11-02",
                                                     "2026-11-02T17:00+01:00")
    mon = ("2026-11-02", "E1")
    assert _rows(world, d_to="2026-11-02")[mon]["status"] == "missing_check_out"
    world.clock.advance(3600)
    done = corrections.decide(eng, c.id, True, actor="admin:hr", now=world.clock.now())
    assert (done.status, done.decided_by) == ("approved", "admin:hr")
    row = _rows(world, d_to="2026-11-02")[mon]
    assert (row["status"], row["worked_min"], row["punches"]) == ("present", 480, 1)
    assert row["check_out"] == "2026-11-02T17:00:00+01:00"
    assert row["corrections"] == "check_out 17:00 approved by admin:hr 2026-11-03 10:00"
    with pytest.raises(Refused) as exc:
        corrections.decide(eng, c.id, False, actor="admin:hr", now=world.clock.now())
    assert exc.value.code == "already_decided"
    with eng.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.punches)).scalar_one() == 1
    assert _actions(world) == ["correction_requested", "correction_approved"]
    assert [x.id for x in corrections.listing(eng, status="approved")] == [c.id]
    assert corrections.listing(eng, status="pending") == []


def test_rejected_requests_do_not_count_and_the_quota_holds(world):
    eng, now = world.srv.admin.engine, world.clock.now() + timedelta(days=1)
    world.srv.admin.engine.dispose()
    with db.write_txn(eng) as conn:
        conn.execute(db.sites.update().where(db.sites.c.code == "HQ").values(correction_quota=1))
    first = corrections.request(eng, "E1", T0, "check_in", "badge at home", requested_by="cli",
                                now=now)
    corrections.decide(eng, first.id, False, actor="cli", now=now, note="you were not here")
    assert "E1" not in {k[1] for k, r in _rows(world, d_to="2026-11-02").items()
                        if r["status"] == "present"}
    corrections.request(eng, "E1", T0 + timedelta(minutes=1), "check_in", "badge at home",
                        requested_by="cli", now=now)  # the rejected one used no quota
    for args, code in [
        (("E1", T0 + timedelta(days=1), "check_in", "again"), "quota_exceeded"),
        (("E2", T0 + timedelta(minutes=1), "check_in", "x"), None),
        (("E2", T0 + timedelta(minutes=1), "check_in", "x"), "duplicate"),
        (("E3", now + timedelta(hours=1), "check_in", "x"), "in_future"),
        (("E3", now - timedelta(days=61), "check_in", "x"), "too_old"),
        (("E3", T0, "sideways", "x"), "bad_direction"),
        (("E3", T0, "check_in", "  "), "bad_reason"),
        (("NOPE", T0, "check_in", "x"), "unknown_employee"),
    ]:
        if code is None:
            corrections.request(eng, *args, requested_by="cli", now=now)
            continue
        with pytest.raises(Refused) as exc:
            corrections.request(eng, *args, requested_by="cli", now=now)
        assert exc.value.code == code, args
    again = corrections.request(eng, "E3", T0, "check_in", "x", requested_by="terminal:T",
                                now=now, request_key="k-1")
    assert corrections.request(eng, "E3", T0, "check_in", "x", requested_by="terminal:T",
                               now=now, request_key="k-1") == again  # a retried upload
