"""Corrections (make-up punches) and the XLSX download through the console."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from server_stub import audit, corrections

from .conftest import T0


def _status(admins, day: str = "2026-11-02") -> str:
    rows = admins.srv.admin.attendance(day, day, "HQ", "E1")
    return rows[0]["status"] if rows else "none"


def test_approve_a_request_and_the_report_changes(client_for, admins, term) -> None:
    term.verdicts([term.punch(admins.tokens["E1"])])  # 09:00 in, never out
    admins.clock.advance(10 * 3600)  # 19:00: the day is over
    assert _status(admins) == "missing_check_out"
    c = corrections.request(admins.srv.admin.engine, "E1", T0 + timedelta(hours=8), "check_out",
                            "forgot to scan", requested_by="terminal:T1", now=admins.clock.now())
    hr = client_for("hr1")
    page = hr.get("/corrections").text
    assert f'data-correction="{c.id}"' in page and "forgot to scan" in page
    r = hr.post(f"/corrections/{c.id}", {"decision": "approve", "note": "ok by manager"})
    assert r.status_code == 200 and f'data-correction="{c.id}"' not in r.text  # queue empty
    assert _status(admins) == "present"
    csv_text = hr.get("/attendance.csv", params={"from": "2026-11-02", "to": "2026-11-02",
                                                 "employee": "E1"}).text
    assert "approved by admin:hr1" in csv_text
    again = hr.post(f"/corrections/{c.id}", {"decision": "reject"})
    assert again.status_code == 409 and "approved" in again.text
    assert hr.post("/corrections/999", {"decision": "approve"}).status_code == 404
    assert hr.post(f"/corrections/{c.id}", {"decision": "maybe"}).status_code == 400
    entry = audit.entries(admins.srv.admin.engine, action="correction_approved")[0]
    assert (entry.actor, entry.target, entry.client) == ("admin:hr1", "E1", "127.0.0.1")


def test_reject_with_a_note_and_hr_files_one_directly(client_for, admins) -> None:
    admins.clock.advance(10 * 3600)
    c = corrections.request(admins.srv.admin.engine, "E1", T0, "check_in", "badge at home",
                            requested_by="cli", now=admins.clock.now())
    hr = client_for("hr1")
    hr.post(f"/corrections/{c.id}", {"decision": "reject", "note": "no proof"})
    assert corrections.get(admins.srv.admin.engine, c.id).decision_note == "no proof"
    assert "no proof" in hr.get("/corrections", params={"status": "rejected"}).text
    r = hr.post("/employees/E1/corrections", {"date": "2026-11-02", "time": "09:00",
                                              "direction": "check_in", "reason": "HR saw them",
                                              "approve": "1"})
    assert r.status_code == 200 and "HR saw them" in r.text
    assert _status(admins) == "missing_check_out"  # the approved check-in counts
    bad = hr.post("/employees/E1/corrections", {"date": "2026-11-02", "time": "9h",
                                                "direction": "check_in", "reason": "x"})
    assert bad.status_code == 400
    assert hr.post("/employees/E1/corrections", {"date": "nope"}).status_code == 400
    assert client_for("view1").get("/corrections").status_code == 403


def test_xlsx_download_is_the_cli_workbook(client_for, admins, term) -> None:
    admins.clock.advance(20 * 60)
    term.verdicts([term.punch(admins.tokens["E1"])])
    hr = client_for("hr1")
    q = {"from": "2026-11-02", "to": "2026-11-02", "site": "HQ"}
    r = hr.get("/attendance.xlsx", params=q)
    assert r.status_code == 200 and "attendance_2026-11-02_2026-11-02.xlsx" in r.headers[
        "content-disposition"]
    book = load_workbook(io.BytesIO(r.content), read_only=True)
    assert book.sheetnames == ["Summary 汇总", "Days 明细", "Completeness 完整性"]
    days = list(book["Days 明细"].iter_rows(values_only=True))
    assert any("E1" in row for row in days)
    cli = admins.srv.admin.attendance_xlsx("2026-11-02", "2026-11-02", "HQ")
    cli_days = list(load_workbook(io.BytesIO(cli), read_only=True)["Days 明细"].iter_rows(
        values_only=True))
    assert days == cli_days
