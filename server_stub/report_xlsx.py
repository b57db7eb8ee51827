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
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

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


_EPOCH_US = 25569 * 86400 * 1_000_000  # 1899-12-30 to 1970-01-01


def _local(us: int, zone: rules.Zone) -> float:
    """:func:`_serial` of the local wall time of the instant ``us`` (UTC microseconds),
    computed as ``_serial`` computes it (exact microseconds, then seconds, then days)."""
    return (us + zone.offset(us) + _EPOCH_US) / 1_000_000 / 86400


def workbook(employees: Iterable[EmployeeDays], date_from: date, date_to: date,
             completeness: Iterable[str] = (), *, fast: bool | None = None) -> bytes:
    """The .xlsx file for these employees' days (one pass over ``employees``); the lines of
    ``completeness`` (server_stub.completeness.summary_lines) go on a sheet of their own.

    ``fast`` (default: whenever this XlsxWriter supports it) writes the Summary and Days
    rows as one XML string per row instead of one XlsxWriter call per cell (6-10x faster:
    a month for 2,000 employees is ~400,000 cells); ``fast=False`` takes XlsxWriter's own
    cell calls, and the tests check both give the same workbook.
    """
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
    if fast is None:
        fast = _RawRows.supported(summary)
    srows: _Rows = _RawRows(summary) if fast else _Rows(summary)
    drows: _Rows = _RawRows(days) if fast else _Rows(days)
    srow = drow = 0
    serials: dict[date, float] = {}
    for ed in employees:
        srow += 1
        totals: dict[str, Any] = {"employee_id": ed.employee_id, "name": ed.name, "site": ed.site,
                                  "shift": ed.shift.name if ed.shift else "",
                                  **vars(rules.summarize(ed.facts))}
        srows.row(srow, [(col, totals[key], None) for col, (key, _, _) in
                         enumerate(SUMMARY_HEADINGS)])
        for d in ed.facts:
            drow += 1
            serial = serials.get(d.work_date)
            if serial is None:
                serial = serials[d.work_date] = _serial(d.work_date)
            drows.day(drow, serial, ed, d, day_fmt, time_fmt)
    srows.close(srow)
    drows.close(drow)
    marks = wb.add_worksheet("Completeness 完整性")
    marks.set_column(0, 0, 100)
    marks.write_string(0, 0, "Completeness 完整性", head)
    for row, line in enumerate(completeness, start=1):
        marks.write_string(row, 0, line)
    wb.close()
    return buf.getvalue()


Cell = tuple[int, Any, Any]  # (column, number or text, XlsxWriter Format or None)


class _Rows:
    """Rows through XlsxWriter's own cell calls (one call per cell)."""

    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet

    def row(self, r: int, cells: list[Cell]) -> None:
        for col, value, fmt in cells:
            if isinstance(value, str):
                self.sheet.write_string(r, col, value, fmt)
            else:
                self.sheet.write_number(r, col, value, fmt)

    def day(self, r: int, serial: float, ed: EmployeeDays, d: rules.DayFacts, day_fmt: Any,
            time_fmt: Any) -> None:
        """One row of the Days sheet."""
        cells: list[Cell] = [(0, serial, day_fmt), (1, ed.employee_id, None),
                             (2, ed.name, None), (3, d.status.value, None)]
        if d.check_in_us is not None:
            cells.append((4, _local(d.check_in_us, ed.zone), time_fmt))
        if d.check_out_us is not None:
            cells.append((5, _local(d.check_out_us, ed.zone), time_fmt))
        for col, value in enumerate((d.late_min, d.early_leave_min, d.worked_min,
                                     d.break_min, d.overtime_min), start=6):
            if value:  # zero minutes stay blank: the late column shows only the late
                cells.append((col, value, None))
        if d.day_off is not None:
            cells.append((11, d.day_off.label, None))
        if d.corrections:
            cells.append((12, correction_note(d, ed.tz) or "", None))
        notes = _notes(d)
        if notes:
            cells.append((13, notes, None))
        self.row(r, cells)

    def close(self, last_row: int) -> None:
        pass


_COLS = [xlsxwriter.utility.xl_col_to_name(c) for c in range(32)]
_XML_SPECIAL = re.compile(r"[&<>]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")


class _RawRows(_Rows):
    """Rows written straight into a constant-memory worksheet's row file as XML, the same
    XML XlsxWriter writes for those cells (inline strings, numbers with their style).

    XlsxWriter holds one pending row and writes it when a later row is touched; we flush
    that (the header) first, write ours, and leave its bookkeeping (previous row, the
    sheet's dimension) as if it had written them itself.
    """

    def __init__(self, sheet: Any) -> None:
        super().__init__(sheet)
        self.started = False
        self.texts: dict[str, str] = {}
        self.styles: dict[int, str] = {}

    @staticmethod
    def supported(sheet: Any) -> bool:
        return bool(getattr(sheet, "constant_memory", False)) and all(
            hasattr(sheet, name) for name in ("_write_single_row", "_check_dimensions",
                                               "previous_row", "fh"))

    def _text(self, value: str) -> str:
        got = self.texts.get(value)
        if got is None:
            text = value
            if _CONTROL.search(text):  # Excel's _xHHHH_ escapes, as XlsxWriter writes them
                text = re.sub(r"(_x[0-9a-fA-F]{4}_)", r"_x005F\1", text)
                text = re.sub(r"[\x00-\x08\x0b-\x1f]",
                              lambda m: f"_x{ord(m.group(0)):04X}_", text)
                text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
            if _XML_SPECIAL.search(text):
                text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
            got = f' t="inlineStr"><is><t{space}>{text}</t></is></c>'
            if len(self.texts) < 100_000:
                self.texts[value] = got
        return got

    def row(self, r: int, cells: list[Cell]) -> None:
        sheet = self.sheet
        if not self.started:
            sheet._write_single_row(r)  # the pending header row goes out first
            self.started = True
        n = r + 1
        out = [f'<row r="{n}">']
        for col, value, fmt in cells:
            ref = f'<c r="{_COLS[col]}{n}"'
            if isinstance(value, str):
                out.append(ref + self._text(value))
                continue
            num = str(value) if type(value) is int else f"{value:.16G}"
            if fmt is None:
                out.append(f"{ref}><v>{num}</v></c>")
            else:
                out.append(f"{ref}{self._style(fmt)}><v>{num}</v></c>")
        out.append("</row>")
        sheet.fh.write("".join(out))

    def _style(self, fmt: Any) -> str:
        style = self.styles.get(id(fmt))
        if style is None:  # XlsxWriter numbers a format's style on its first use
            style = self.styles[id(fmt)] = f' s="{fmt._get_xf_index()}"'
        return style

    def day(self, r: int, serial: float, ed: EmployeeDays, d: rules.DayFacts, day_fmt: Any,
            time_fmt: Any) -> None:
        """:meth:`_Rows.day`'s cells as one string (the XML :meth:`row` writes for them):
        ~40,000 rows for a month of 2,000 employees."""
        if not self.started:
            self.sheet._write_single_row(r)  # the pending header row goes out first
            self.started = True
        n = r + 1
        text = self._text
        out = [f'<row r="{n}"><c r="A{n}"{self._style(day_fmt)}><v>{serial:.16G}</v></c>'
               f'<c r="B{n}"{text(ed.employee_id)}<c r="C{n}"{text(ed.name)}'
               f'<c r="D{n}"{text(d.status.value)}']
        if d.check_in_us is not None:
            out.append(f'<c r="E{n}"{self._style(time_fmt)}>'
                       f'<v>{_local(d.check_in_us, ed.zone):.16G}</v></c>')
        if d.check_out_us is not None:
            out.append(f'<c r="F{n}"{self._style(time_fmt)}>'
                       f'<v>{_local(d.check_out_us, ed.zone):.16G}</v></c>')
        if d.late_min:
            out.append(f'<c r="G{n}"><v>{d.late_min}</v></c>')
        if d.early_leave_min:
            out.append(f'<c r="H{n}"><v>{d.early_leave_min}</v></c>')
        if d.worked_min:
            out.append(f'<c r="I{n}"><v>{d.worked_min}</v></c>')
        if d.break_min:
            out.append(f'<c r="J{n}"><v>{d.break_min}</v></c>')
        if d.overtime_min:
            out.append(f'<c r="K{n}"><v>{d.overtime_min}</v></c>')
        if d.day_off is not None:
            out.append(f'<c r="L{n}"{text(d.day_off.label)}')
        if d.corrections:
            out.append(f'<c r="M{n}"{text(correction_note(d, ed.tz) or "")}')
        if d.repeats or d.unpaired:
            out.append(f'<c r="N{n}"{text(_notes(d))}')
        out.append("</row>")
        self.sheet.fh.write("".join(out))

    def close(self, last_row: int) -> None:
        if self.started:
            self.sheet.previous_row = last_row
            self.sheet._check_dimensions(last_row, 0)


def _notes(d: rules.DayFacts) -> str:
    parts = []
    if d.repeats:
        parts.append(f"repeats {d.repeats}")
    if d.unpaired:
        parts.append(f"unpaired {d.unpaired}")
    return ", ".join(parts)
