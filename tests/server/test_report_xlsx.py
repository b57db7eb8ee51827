"""The Excel report: real date/time cells, frozen bilingual headers, summary per employee."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import requests
from openpyxl import load_workbook

from kiosk.core.protocol import API_PREFIX
from server_stub import daysoff, report_xlsx
from server_stub.cli import main as cli_main

from .conftest import T0


def _week(world, term) -> None:
    """E1: Mon 09:07-16:40, Tue holiday; E2 night Mon 22:20 - Tue 05:50."""
    t1, t2 = world.tokens["E1"], world.tokens["E2"]
    world.srv.admin.add_employee("E5", "=1+2", "HQ", "day")
    daysoff.add_holiday(world.srv.admin.engine, "HQ", datetime(2026, 11, 3).date(), "Feiertag",
                        actor="cli", now=world.clock.now())
    world.clock.advance(2 * 86400 + 4 * 3600)  # uploaded Wed 13:00 Berlin
    verdicts = term.verdicts([term.punch(t1, T0 + timedelta(minutes=7)),
                              term.punch(t1, T0 + timedelta(hours=7, minutes=40)),
                              term.punch(t2, T0 + timedelta(hours=13, minutes=20)),
                              term.punch(t2, T0 + timedelta(hours=20, minutes=50))])
    assert all(v["status"] == "accepted" for v in verdicts)


def _check(book: bytes) -> None:
    wb = load_workbook(io.BytesIO(book))
    assert wb.sheetnames == ["Summary 汇总", "Days 明细", "Completeness 完整性"]
    summary, days = wb["Summary 汇总"], wb["Days 明细"]
    assert summary.freeze_panes == "A2" and days.freeze_panes == "A2"
    assert days["A1"].value == "Date / 日期" and days["E1"].value == "Check-in / 签到"
    assert [h for _, h, _ in report_xlsx.SUMMARY_HEADINGS] == [c.value for c in summary[1]]
    rows = {(r[1], r[0].date().isoformat()): r for r in days.iter_rows(min_row=2, values_only=True)}
    mon = rows[("E1", "2026-11-02")]
    assert mon[3:11] == ("present", datetime(2026, 11, 2, 9, 7), datetime(2026, 11, 2, 16, 40),
                         7, 20, 453, None, None)  # zero minutes are blank
    assert days["A2"].is_date and days["A2"].number_format == "yyyy-mm-dd"
    assert rows[("E1", "2026-11-03")][3] == "holiday" and rows[("E1", "2026-11-03")][11] == "Feiertag"
    night = rows[("E2", "2026-11-02")]
    assert night[5] == datetime(2026, 11, 3, 5, 50)  # the check-out's own date
    totals = {r[0]: dict(zip([k for k, _, _ in report_xlsx.SUMMARY_HEADINGS], r))
              for r in summary.iter_rows(min_row=2, values_only=True)}
    e1 = totals["E1"]
    assert (e1["days_present"], e1["late_count"], e1["late_min"], e1["early_leave_count"],
            e1["early_leave_min"], e1["holiday_days"], e1["absent_days"]) == (1, 1, 7, 1, 20, 1, 0)
    assert set(totals) == {"E1", "E2", "E4", "E5"}  # HQ only
    (cell,) = [c for c in summary["B"] if c.value == "=1+2"]
    assert cell.data_type == "s"  # a name is text, never a formula


def test_xlsx_from_the_api_and_the_cli(world, term, tmp_path, capsys):
    _week(world, term)
    r = requests.get(world.url + API_PREFIX + "/reports/attendance", timeout=30, params={
        "date_from": "2026-11-02", "date_to": "2026-11-03", "site": "HQ", "format": "xlsx"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == report_xlsx.MEDIA_TYPE
    assert 'filename="attendance_2026-11-02_2026-11-03.xlsx"' in r.headers["content-disposition"]
    _check(r.content)
    out = tmp_path / "month.xlsx"
    world.srv.admin.engine.dispose()
    assert cli_main(["report", "--data", str(world.srv.data_dir), "--from", "2026-11-02",
                     "--to", "2026-11-03", "--site", "HQ", "--format", "xlsx",
                     "--out", str(out)]) == 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["Summary 汇总", "Days 明细", "Completeness 完整性"]  # the CLI runs on the real clock
    assert wb["Days 明细"]["B2"].value == "E1" and wb["Days 明细"]["A2"].is_date


def test_fast_rows_write_the_same_workbook_as_xlsxwriters_cell_calls(world, term):
    """The Summary and Days rows go out as one XML string per row (fast=True); the cells
    openpyxl reads back are the ones XlsxWriter's own write_string/write_number give,
    escapes included (markup, a control character, a literal _x0041_)."""
    from server_stub import db, reports

    _week(world, term)
    a = world.srv.admin
    a.add_employee("E6", "<b>&amp; \x07 _x0041_", "HQ", "day")
    now = world.clock.now()
    books = []
    for fast in (True, False):
        with db.read_txn(a.engine) as conn:
            days = reports.employee_days(conn, T0.date(), T0.date() + timedelta(days=2), None,
                                         None, now)
            books.append(report_xlsx.workbook(days, T0.date(), T0.date(), ["line"], fast=fast))
    fast_book, slow_book = (load_workbook(io.BytesIO(b)) for b in books)
    for name in slow_book.sheetnames:
        want = [[(c.value, c.number_format, c.data_type) for c in r] for r in slow_book[name].rows]
        got = [[(c.value, c.number_format, c.data_type) for c in r] for r in fast_book[name].rows]
        assert got == want and len(want) > 1, name
        assert fast_book[name].freeze_panes == slow_book[name].freeze_panes
        assert fast_book[name].dimensions == slow_book[name].dimensions
    names = [c.value for c in fast_book["Summary 汇总"]["B"]]
    assert "<b>&amp; _x0007_ _x005F_x0041_" in names  # as Excel escapes, as openpyxl reads
