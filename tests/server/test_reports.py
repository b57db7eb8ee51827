"""Report contents (JSON and CSV over HTTP, and the admin API), and admin protection."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
import requests

from kiosk.core.protocol import API_PREFIX
from server_stub import completeness, corrections, daysoff, db, reports
from server_stub.runner import EmbeddedServer

from .conftest import T0


def _week(world, term) -> None:
    """Mon: E1 late 7, leaves 16:40; E2 night in 22:20 out 05:50; Tue: E1 only checks in.
    E4 (no shift) present Mon. Uploaded Wednesday, out of order."""
    t1, t2, t4 = world.tokens["E1"], world.tokens["E2"], world.tokens["E4"]
    punches = [
        term.punch(t1, T0 + timedelta(days=1, minutes=-2)),  # Tue 08:58
        term.punch(t1, T0 + timedelta(hours=7, minutes=40)),  # Mon 16:40
        term.punch(t1, T0 + timedelta(minutes=7)),  # Mon 09:07
        term.punch(t2, T0 + timedelta(hours=13, minutes=20)),  # Mon 22:20
        term.punch(t2, T0 + timedelta(hours=20, minutes=50)),  # Tue 05:50
        term.punch(t4, T0 + timedelta(hours=1)),
        term.punch(t4, T0 + timedelta(hours=2)),
    ]
    world.clock.advance(2 * 86400 + 4 * 3600)  # Wed 13:00 Berlin
    assert all(v["status"] == "accepted" for v in term.verdicts(punches))


def _rows(world, **params) -> list[dict]:
    q = {"date_from": "2026-11-02", "date_to": "2026-11-03", **params}
    r = requests.get(world.url + API_PREFIX + "/reports/attendance", params=q, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["rows"]


def test_report_json(world, term):
    _week(world, term)
    rows = {(r["date"], r["employee_id"]): r for r in _rows(world, site="HQ")}
    assert set(rows) == {("2026-11-02", "E1"), ("2026-11-02", "E2"), ("2026-11-02", "E4"),
                         ("2026-11-03", "E1"), ("2026-11-03", "E2")}
    mon = rows[("2026-11-02", "E1")]
    assert (mon["status"], mon["late_min"], mon["early_leave_min"], mon["punches"]) == (
        "present", 7, 20, 2)
    assert mon["check_in"] == "2026-11-02T09:07:00+01:00"
    assert mon["check_out"] == "2026-11-02T16:40:00+01:00"
    night = rows[("2026-11-02", "E2")]
    assert (night["status"], night["late_min"], night["early_leave_min"]) == ("present", 20, 10)
    assert night["check_out"] == "2026-11-03T05:50:00+01:00"
    tue = rows[("2026-11-03", "E1")]
    assert (tue["status"], tue["check_out"]) == ("missing_check_out", None)
    assert rows[("2026-11-03", "E2")]["status"] == "absent"
    assert rows[("2026-11-02", "E4")]["status"] == "present"
    only = _rows(world, employee="E1")
    assert {r["employee_id"] for r in only} == {"E1"}
    assert world.srv.admin.attendance("2026-11-02", "2026-11-03", site="HQ") == _rows(world, site="HQ")


def test_report_csv(world, term):
    _week(world, term)
    r = requests.get(world.url + API_PREFIX + "/reports/attendance", timeout=30, params={
        "date_from": "2026-11-02", "date_to": "2026-11-02", "format": "csv", "employee": "E2"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    (row,) = list(csv.DictReader(io.StringIO(r.text)))
    assert row["name"] == "王芳" and row["status"] == "present"
    assert (row["late_min"], row["early_leave_min"], row["shift"]) == ("20", "10", "night")


def test_report_bad_params(world):
    base = world.url + API_PREFIX + "/reports/attendance"
    for params in ({"date_from": "x", "date_to": "2026-11-02"},
                   {"date_from": "2026-11-05", "date_to": "2026-11-02"},
                   {"date_from": "2026-11-02"},
                   {"date_from": "2026-11-02", "date_to": "2026-11-02", "format": "xml"}):
        r = requests.get(base, params=params, timeout=30)
        assert r.status_code == 422, params
        assert r.json()["error"] == "invalid_request"


def test_admin_endpoints_need_token_when_not_open_on_loopback(world):
    token = (world.srv.data_dir / "admin_token").read_text().strip()
    server = EmbeddedServer(world.srv.data_dir, clock=world.clock, admin_open_on_loopback=False)
    server.start()
    try:
        url = server.url + API_PREFIX + "/terminals"
        r = requests.get(url, timeout=30)
        assert r.status_code == 401 and r.json()["error"] == "admin_token_required"
        assert requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=30).status_code == 401
        ok = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert ok.status_code == 200
    finally:
        server.stop()


def test_report_day_status_breaks_and_overtime(world, term):
    """At 09:04 (grace 5) nobody without a punch is absent; E1 worked 09:00-18:30 with a
    45 min lunch and a repeat scan; the columns say so."""
    world.clock.advance(4 * 60)  # Mon 09:04 Berlin
    rows = {r["employee_id"]: r for r in _rows(world, date_to="2026-11-02", site="HQ")}
    assert rows["E1"]["status"] == "expected" and "E4" not in rows  # E4 has no shift
    world.clock.advance(2 * 60)  # 09:06: past the grace
    assert {r["employee_id"]: r["status"] for r in _rows(world, date_to="2026-11-02")}["E1"] == "not_in"
    t = world.tokens["E1"]
    at = [T0 + timedelta(minutes=m) for m in (7, 9, 4 * 60, 4 * 60 + 45, 9 * 60 + 30)]
    world.clock.advance(10 * 3600)
    assert [v["direction"] for v in term.verdicts([term.punch(t, a) for a in at])] == [
        "check_in", "repeat", "check_out", "check_out", "check_out"]
    (mon,) = [r for r in _rows(world, date_to="2026-11-02") if r["employee_id"] == "E1"]
    assert (mon["status"], mon["late_min"], mon["worked_min"], mon["break_min"],
            mon["overtime_min"], mon["punches"], mon["repeats"], mon["unpaired"]) == (
        "present", 7, 518, 45, 38, 5, 1, 0)
    assert mon["check_out"] == "2026-11-02T18:30:00+01:00"


@pytest.mark.parametrize("with_orjson", [True, False])
def test_report_json_bytes_are_the_json_modules(world, term, monkeypatch, with_orjson):
    """reports.to_json (orjson for the rows when installed) writes exactly what
    json.dumps writes as Starlette renders it: names with control characters, quotes,
    backslashes, CJK and emoji, and numbers beyond 64 bits (the json module's way)."""
    if not with_orjson:
        monkeypatch.setattr(reports, "orjson", None)
    _week(world, term)
    rows = _rows(world)
    odd = "E\x00\x1f\x7f \"q\" \\ 王芳 \u2028 \U0001F600"
    rows[0] = {**rows[0], "name": odd, "worked_min": 2 ** 70}
    body = {"date_from": "2026-11-02", "completeness": {"summary": odd, "x": 1.5e-7}}

    def plain(v):
        return json.dumps(v, ensure_ascii=False, allow_nan=False, indent=None,
                          separators=(",", ":")).encode()

    assert reports.to_json(body, rows) == plain({**body, "rows": rows})
    assert reports.to_json(body, rows[1:]) == plain({**body, "rows": rows[1:]})
    assert reports.to_json({}, rows[1:]) == plain({"rows": rows[1:]})


def test_report_json_written_directly_is_the_rows_dumped(world, term):
    """reports.attendance_json (row texts straight from the day facts) writes exactly
    to_json over attendance_rows, with and without the completeness columns: two sites,
    a night shift, an employee without a shift, a holiday, leave, an approved make-up
    punch, an inactive employee, names that need escaping, one employee and one day."""
    admin, eng, now = world.srv.admin, world.srv.admin.engine, world.clock.now()
    admin.add_employee("E5", "=1+2 \"q\" \\ \x01 \u2028 \U0001F600 王", "HQ", "day")
    admin.add_employee("E6", "Gone", "LAB", "day")
    daysoff.add_holiday(eng, "HQ", date(2026, 11, 4), "Feiertag \"B\" ü", actor="cli", now=now)
    daysoff.add_leave(eng, "E3", date(2026, 11, 3), date(2026, 11, 4), "sick", actor="cli",
                      now=now)
    _week(world, term)
    fix = corrections.request(eng, "E1", T0 + timedelta(days=1, hours=8), "check_out", "forgot",
                              requested_by="E1", now=world.clock.now())
    corrections.decide(eng, fix.id, True, actor="admin:hr", now=world.clock.now())
    term.verdicts([term.punch(world.tokens["E3"], T0 + timedelta(hours=-7))])
    admin.set_employee_active("E6", False)
    now = world.clock.now()
    cases = [(date(2026, 11, 1), date(2026, 11, 8), None, None),
             (date(2026, 11, 2), date(2026, 11, 2), "HQ", None),
             (date(2026, 11, 1), date(2026, 11, 8), None, "E1"),
             (date(2026, 11, 20), date(2026, 11, 20), "LAB", "E9")]  # no rows
    with db.read_txn(eng) as conn:
        for d_from, d_to, site, emp in cases:
            rows = reports.attendance_rows(conn, d_from, d_to, site, emp, now)
            assert reports.attendance_json(conn, d_from, d_to, site, emp, now, {}) == \
                reports.to_json({}, rows)
            body = {"date_from": d_from.isoformat(), "date_to": d_to.isoformat()}
            marks = completeness.annotate_report(conn, now, rows, site)
            got = reports.attendance_json(conn, d_from, d_to, site, emp, now, body,
                                          completeness.ReportMarks(conn, now))
            assert got == reports.to_json({**body, "completeness": marks}, rows)
        full = json.loads(reports.attendance_json(conn, *cases[0][:2], None, None, now, {}))
    kinds = {(r["status"], r["day_off"], bool(r["corrections"])) for r in full["rows"]}
    assert {("holiday", 'Feiertag "B" ü', False), ("leave", "sick", False)} <= kinds
    assert any(fixed for _, _, fixed in kinds)  # the make-up punch's note
    assert {r["employee_id"] for r in full["rows"]} >= {"E1", "E2", "E3", "E4", "E5"}
