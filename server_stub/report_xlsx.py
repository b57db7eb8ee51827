"""The attendance report as an Excel workbook (XlsxWriter): a monthly summary and the days.

Sheet "Summary 汇总": one row per employee with the totals HR signs off. Sheet
"Days / 明细": one row per employee and work day, ordered by employee then date. Dates
and times are real Excel date/time cells in the site's local time (a night shift's
check-out shows its own date), minutes are numbers, the header row is frozen, and the
headings are in English and Chinese. Rows are written as each employee's days are
computed (XlsxWriter's constant-memory mode), so a month for thousands of employees never
sits in memory twice.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter

from . import rules
from .reports import EmployeeDays, correction_note

_EPOCH = datetime(1899, 12, 30)

SUMMARY_HEADINGS = (
    ("employee_id", "Employee / 工号", 12), ("name", "Name / 姓名", 22),
    ("site", "Site / 地点", 8), ("shift", "Shift / 班次", 10),
    ("days_present", "Days present / 出勤天数", 12), ("late_count", "Late (times) / 迟到次数", 12),
    ("late_min", "Late (min) / 迟到分钟", 12),
    ("early_leave_count", "Early leave (times) / 早退次数", 14),
    ("early_leave_min", "Early leave (min) / 早退分钟", 14),
    ("absent_days", "Absent (days) / 缺勤天数", 12),
    ("missing_check_out", "Missing check-out / 缺卡次数", 14),
    ("auto_closed", "Auto-closed / 自动签退", 12), ("worked_min", "Worked (min) / 工作分钟", 12),
    ("break_min", "Breaks (min) / 休息分钟", 12), ("overtime_min", "Overtime (min) / 加班分钟", 12),
    ("leave_days", "Leave (days) / 请假天数", 12), ("holiday_days", "Holidays (days) / 节假日", 12),
    ("corrections", "Make-up punches / 补卡次数", 14), ("unpaired", "Unpaired punches / 未配对打卡", 14),
)
DAY_HEADINGS = (
    ("Date / 日期", 11), ("Employee / 工号", 12), ("Name / 姓名", 22), ("Status / 状态", 17),
    ("Check-in / 签到", 17), ("Check-out / 签退", 17), ("Late (min) / 迟到分钟", 10),
    ("Early leave (min) / 早退分钟", 12), ("Worked (min) / 工作分钟", 10),
    ("Breaks (min) / 休息分钟", 10), ("Overtime (min) / 加班分钟", 10),
    ("Day off / 假期", 18), ("Make-up punches / 补卡", 40), ("Notes / 备注", 18),
)
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _serial(when: datetime | date) -> float:
    """An Excel date/time serial (days since 1899-12-30) for a naive local date or time."""
    if not isinstance(when, datetime):
        return float((when - _EPOCH.date()).days)
    return (when - _EPOCH).total_seconds() / 86400


def _local(when: datetime, tz: ZoneInfo) -> float:
    return _serial(when.astimezone(tz).replace(tzinfo=None))


def workbook(employees: Iterable[EmployeeDays], date_from: date, date_to: date,
             completeness: Iterable[str] = ()) -> bytes:
    """The .xlsx file for these employees' days (one pass over ``employees``); the lines of
    ``completeness`` (server_stub.completeness.summary_lines) go on a sheet of their own."""
    buf = io.BytesIO()
    # No text cell is ever a formula or a link (an employee named "=cmd|..." stays text).
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False})
    wb.set_properties({"title": f"Attendance {date_from} – {date_to}", "subject": "attendance"})
    head = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8EEF4"})
    day_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    time_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    summary, days = wb.add_worksheet("Summary 汇总"), wb.add_worksheet("Days 明细")
    for sheet, titles in ((summary, [(t, w) for _, t, w in SUMMARY_HEADINGS]),
                          (days, list(DAY_HEADINGS))):
        for col, (title, width) in enumerate(titles):
            sheet.set_column(col, col, width)
            sheet.write_string(0, col, title, head)
        sheet.set_row(0, 32)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, 0, len(titles) - 1)
    srow = drow = 0
    num, text = days.write_number, days.write_string
    for ed in employees:
        srow += 1
        totals: dict[str, Any] = {"employee_id": ed.employee_id, "name": ed.name, "site": ed.site,
                                  "shift": ed.shift.name if ed.shift else "",
                                  **vars(rules.summarize(ed.days))}
        for col, (key, _, _) in enumerate(SUMMARY_HEADINGS):
            value = totals[key]
            if isinstance(value, str):
                summary.write_string(srow, col, value)
            else:
                summary.write_number(srow, col, value)
        for d in ed.days:
            drow += 1
            num(drow, 0, _serial(d.work_date), day_fmt)
            text(drow, 1, ed.employee_id)
            text(drow, 2, ed.name)
            text(drow, 3, d.status.value)
            if d.check_in is not None:
                num(drow, 4, _local(d.check_in, ed.tz), time_fmt)
            if d.check_out is not None:
                num(drow, 5, _local(d.check_out, ed.tz), time_fmt)
            for col, value in enumerate((d.late_min, d.early_leave_min, d.worked_min,
                                         d.break_min, d.overtime_min), start=6):
                if value:  # zero minutes stay blank: the late column shows only the late
                    num(drow, col, value)
            if d.day_off is not None:
                text(drow, 11, d.day_off.label)
            if d.corrections:
                text(drow, 12, correction_note(d, ed.tz) or "")
            notes = _notes(d)
            if notes:
                text(drow, 13, notes)
    marks = wb.add_worksheet("Completeness 完整性")
    marks.set_column(0, 0, 100)
    marks.write_string(0, 0, "Completeness 完整性", head)
    for row, line in enumerate(completeness, start=1):
        marks.write_string(row, 0, line)
    wb.close()
    return buf.getvalue()


def _notes(d: rules.DayRecord) -> str:
    parts = []
    if d.repeats:
        parts.append(f"repeats {d.repeats}")
    if d.unpaired:
        parts.append(f"unpaired {d.unpaired}")
    return ", ".join(parts)
