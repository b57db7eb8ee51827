"""Attendance reports: per work day and employee, from the stored punches.

Reports recompute from the raw punch times (not the verdicts given at upload), so a punch
uploaded days late lands on the day it happened and the first/last punch are right even
when they arrived out of order. One streaming pass over the punches ordered by employee
feeds the pure rules (:mod:`server_stub.rules`) one employee at a time, together with the
site's holidays, the employee's leave and HR's approved make-up punches.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from itertools import count, groupby
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

import numpy
from sqlalchemy import Connection, Select, select

from . import completeness, db, rules

try:  # optional: the same bytes as the json module for report rows, ~4x faster
    import orjson
except ImportError:  # pragma: no cover - the json module writes them
    orjson = None  # type: ignore[assignment]

REPORT_FIELDS = (
    "date", "employee_id", "name", "site", "shift", "shift_start", "shift_end", "grace_min",
    "status", "check_in", "check_out", "late_min", "early_leave_min", "worked_min",
    "break_min", "overtime_min", "punches", "repeats", "unpaired", "day_off", "corrections",
)
SUMMARY_FIELDS = ("employee_id", "name", "site", "shift", *rules.SUMMARY_FIELDS)

MIN_DATE, MAX_DATE = date(2000, 1, 1), date(2100, 12, 31)


def check_range(date_from: date, date_to: date) -> str | None:
    """Why a report range is unacceptable, or None."""
    if not (MIN_DATE <= date_from <= MAX_DATE and MIN_DATE <= date_to <= MAX_DATE):
        return "dates must be between 2000-01-01 and 2100-12-31"
    if date_to < date_from or (date_to - date_from).days > 366:
        return "date range must be 1-367 days, from <= to"
    return None


def load_sites(conn: Connection) -> dict[str, ZoneInfo]:
    return {r.code: ZoneInfo(r.timezone) for r in conn.execute(select(db.sites))}


def load_shifts(conn: Connection) -> dict[str, rules.ShiftRule]:
    return {
        r.name: rules.ShiftRule(
            r.name, rules.parse_hhmm(r.start), rules.parse_hhmm(r.end), r.grace_min,
            rules.parse_weekdays(r.weekdays), r.min_presence_min, r.overtime_after_min,
            bool(r.auto_close),
        )
        for r in conn.execute(select(db.shifts))
    }


def load_holidays(conn: Connection, date_from: date, date_to: date) -> dict[str, dict[date, str]]:
    """{site: {date: holiday name}} within the range."""
    h = db.holidays.c
    out: dict[str, dict[date, str]] = {}
    for r in conn.execute(select(db.holidays).where(
            h.date >= date_from.isoformat(), h.date <= date_to.isoformat())):
        out.setdefault(r.site, {})[date.fromisoformat(r.date)] = r.name
    return out


def load_leaves(
    conn: Connection, date_from: date, date_to: date, employee: str | None = None
) -> dict[str, list[rules.Leave]]:
    """{employee: [leave overlapping the range]}."""
    lv = db.leaves.c
    q = select(db.leaves).where(lv.date_from <= date_to.isoformat(),
                                lv.date_to >= date_from.isoformat())
    if employee:
        q = q.where(lv.employee_id == employee)
    out: dict[str, list[rules.Leave]] = {}
    for r in conn.execute(q):
        out.setdefault(r.employee_id, []).append(rules.Leave(
            date.fromisoformat(r.date_from), date.fromisoformat(r.date_to), r.kind, r.note))
    return out


def load_makeups(
    conn: Connection, date_from: date, date_to: date, employee: str | None = None
) -> dict[str, list[rules.MakeUp]]:
    """{employee: [approved make-up punch in the range]}."""
    c = db.corrections.c
    q = select(db.corrections).where(c.status == "approved",
                                     c.work_date >= date_from.isoformat(),
                                     c.work_date <= date_to.isoformat())
    if employee:
        q = q.where(c.employee_id == employee)
    out: dict[str, list[rules.MakeUp]] = {}
    for r in conn.execute(q):
        out.setdefault(r.employee_id, []).append(rules.MakeUp(
            _utc(r.punch_time), date.fromisoformat(r.work_date), rules.PunchKind(r.direction),
            r.decided_by or "", _utc(r.decided_at or 0.0), r.id))
    return out


@dataclass(frozen=True)
class EmployeeDays:
    """One employee's days with what a report row needs around them: ``facts`` (UTC
    microseconds, what the reports read) and ``days`` (the same as DayRecords, on demand)."""

    employee_id: str
    name: str
    site: str
    tz: ZoneInfo
    shift: rules.ShiftRule | None
    facts: list[rules.DayFacts]
    zone: rules.Zone

    @cached_property
    def days(self) -> list[rules.DayRecord]:
        return [f.record() for f in self.facts]


def employee_days(
    conn: Connection, date_from: date, date_to: date, site: str | None, employee: str | None,
    now: datetime,
) -> Iterator[EmployeeDays]:
    """Each matching employee's days, in employee id order, from one ordered punch stream."""
    sites, shifts = load_sites(conn), load_shifts(conn)
    zones = {code: rules.Zone(tz) for code, tz in sites.items()}  # one offset cache per site
    e = db.employees.c
    q = select(db.employees)
    if site:
        q = q.where(e.site == site)
    if employee:
        q = q.where(e.employee_id == employee)
    staff = sorted(conn.execute(q), key=lambda r: r.employee_id)
    if not staff:
        return
    holidays = load_holidays(conn, date_from, date_to)
    leaves = load_leaves(conn, date_from, date_to, employee)
    makeups = load_makeups(conn, date_from, date_to, employee)
    now_us = rules.micros(now)
    stream = _punch_micros(conn, date_from, date_to, site, employee)
    pending = next(stream, None)
    for emp in staff:
        # Both sides are in byte order of the id (C collation on PostgreSQL): a merge join.
        while pending is not None and pending[0] < emp.employee_id:
            pending = next(stream, None)
        times: list[int] = []
        if pending is not None and pending[0] == emp.employee_id:
            times = pending[1]
            pending = next(stream, None)
        tz, zone = sites[emp.site], zones[emp.site]
        shift = shifts.get(emp.shift) if emp.shift else None
        hired = _utc(emp.created_at).astimezone(tz).date()
        off = rules.days_off(holidays.get(emp.site, {}), leaves.get(emp.employee_id, ()),
                             date_from, date_to)
        facts = rules.day_facts(times, zone, shift, date_from, date_to, now_us,
                                absent_from=hired, makeups=makeups.get(emp.employee_id, ()),
                                off=off)
        if not emp.active:
            facts = [d for d in facts if d.status not in rules.WITHOUT_PUNCH]
        yield EmployeeDays(emp.employee_id, emp.name, emp.site, tz, shift, facts, zone)


def _punch_stream(
    conn: Connection, date_from: date, date_to: date, site: str | None, employee: str | None
) -> Iterator[tuple[str, list[datetime]]]:
    """(employee id, punch times) per employee, ordered by id (the console's Today)."""
    at = rules.utc_from_micros
    for emp_id, times in _punch_micros(conn, date_from, date_to, site, employee):
        yield emp_id, [at(t) for t in times]


def _punch_micros(
    conn: Connection, date_from: date, date_to: date, site: str | None, employee: str | None
) -> Iterator[tuple[str, list[int]]]:
    """(employee id, punch times in UTC microseconds) per employee, ordered by id, fetched
    in chunks (in any order within an employee: the rules sort each day's)."""
    # The range plus two days each side covers any work-day attribution.
    lo = datetime.combine(date_from - timedelta(days=2), time(), tzinfo=timezone.utc)
    hi = datetime.combine(date_to + timedelta(days=3), time(), tzinfo=timezone.utc)
    p = db.punches.c
    order = p.employee_id.collate("C") if conn.dialect.name == "postgresql" else p.employee_id
    pq = (select(p.employee_id, p.punch_time)
          .where(p.status == "accepted", p.punch_time >= lo.timestamp(),
                 p.punch_time < hi.timestamp())
          .order_by(order, p.punch_time))
    if employee:
        pq = pq.where(p.employee_id == employee)
    if site:
        pq = pq.where(p.site == site)
    emp_id: str | None = None
    times: list[int] = []
    for ids, at in _chunks(conn, pq):
        # epoch seconds to microseconds as datetime.fromtimestamp rounds them (modf, then
        # the fraction half to even), for 5,000 punches at a time
        frac, whole = numpy.modf(numpy.asarray(at, dtype=numpy.float64))
        micros = (whole.astype(numpy.int64) * 1_000_000
                  + numpy.rint(frac * 1e6).astype(numpy.int64)).tolist()
        pos = 0
        for who, same in groupby(ids):
            n = len(list(same))
            if who != emp_id:
                if emp_id is not None:
                    yield emp_id, times
                emp_id, times = who, micros[pos:pos + n]
            else:
                times += micros[pos:pos + n]
            pos += n
    if emp_id is not None:
        yield emp_id, times


def _chunks(conn: Connection, query: Select[Any], size: int = 5000) -> Iterator[tuple[Any, ...]]:
    """The query's rows as columns (one list per column), ``size`` rows at a time, from the driver's cursor
    in this connection's transaction: the report reads ~100,000 punches a month, and
    SQLAlchemy's result rows cost more than the query (a server-side cursor on
    PostgreSQL, so memory stays flat)."""
    compiled = query.compile(dialect=conn.dialect)
    params: Any = compiled.params
    if compiled.positiontup is not None:
        params = tuple(compiled.params[k] for k in compiled.positiontup)
    raw = conn.connection.dbapi_connection
    assert raw is not None
    if conn.dialect.name == "postgresql":
        cursor = raw.cursor(name=f"kiosk_report_{next(_cursor_ids)}")
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(compiled.string, params)
        while rows := cursor.fetchmany(size):
            yield tuple(list(map(itemgetter(k), rows)) for k in range(len(rows[0])))
    finally:
        cursor.close()


_cursor_ids = count()


def attendance_rows(
    conn: Connection,
    date_from: date,
    date_to: date,
    site: str | None,
    employee: str | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """Day rows (JSON/CSV), ordered by date, site, employee."""
    out: list[dict[str, Any]] = []
    text = _LocalText()
    day_text, local = text.date, text.local
    for ed in employee_days(conn, date_from, date_to, site, employee, now):
        # One dict literal per row, the employee's columns as locals: ~40,000 rows for a
        # month of 2,000 employees (faster than a helper call and a merge per row).
        shift = ed.shift
        emp_id, name, site_code = ed.employee_id, ed.name, ed.site
        shift_name, start, end, grace = (
            (shift.name, shift.start.strftime("%H:%M"), shift.end.strftime("%H:%M"),
             shift.grace_min) if shift else (None, None, None, None))
        zone, tz = ed.zone, ed.tz
        for d in ed.facts:
            cin, cout, off = d.check_in_us, d.check_out_us, d.day_off
            out.append({  # a literal: faster than merging a dict of the fixed columns
                "date": day_text(d.work_date),
                "employee_id": emp_id,
                "name": name,
                "site": site_code,
                "shift": shift_name,
                "shift_start": start,
                "shift_end": end,
                "grace_min": grace,
                "status": d.status.value,
                "check_in": None if cin is None else local(cin, zone),
                "check_out": None if cout is None else local(cout, zone),
                "late_min": d.late_min,
                "early_leave_min": d.early_leave_min,
                "worked_min": d.worked_min,
                "break_min": d.break_min,
                "overtime_min": d.overtime_min,
                "punches": d.punches,
                "repeats": d.repeats,
                "unpaired": d.unpaired,
                "day_off": None if off is None else off.label,
                "corrections": correction_note(d, tz) if d.corrections else None,
            })
    out.sort(key=itemgetter("date", "site", "employee_id"))
    return out


def attendance_json(
    conn: Connection,
    date_from: date,
    date_to: date,
    site: str | None,
    employee: str | None,
    now: datetime,
    body: dict[str, Any],
    marks: completeness.ReportMarks | None = None,
) -> bytes:
    """``to_json(body, attendance_rows(...))`` written straight from the day facts: the
    same bytes without a dict per row (a month of 2,000 employees is ~40,000 rows, 17 MB).
    With ``marks`` each row ends in its ``provisional`` and ``complete_up_to`` (as
    :func:`completeness.annotate_report` adds them) and the body gets ``completeness``.

    Each row is one f-string: the texts that are the same on each of an employee's days
    (id, name, site, shift) are JSON-encoded once per employee, dates and local instants
    come from cached parts (:class:`_LocalText`), the numbers are plain integers."""
    text = _LocalText()
    quoted = text.quoted
    # site -> day -> [the rows' first column, their completeness columns and closing brace,
    # provisional 0/1, the rows in employee id order]; by (day, site), the rows come out
    # as attendance_rows sorts them
    buckets: dict[str, dict[date, list[Any]]] = {}
    labels: dict[str, str] = {}
    status_text = {s: s.value for s in rules.DayStatus}
    for ed in employee_days(conn, date_from, date_to, site, employee, now):
        shift, site_code = ed.shift, ed.site
        fixed = (f',"employee_id":{_text(ed.employee_id)},"name":{_text(ed.name)},'
                 f'"site":{_text(site_code)},"shift":'
                 + (f'{_text(shift.name)},"shift_start":"{shift.start:%H:%M}",'
                    f'"shift_end":"{shift.end:%H:%M}","grace_min":{shift.grace_min}'
                    if shift else 'null,"shift_start":null,"shift_end":null,"grace_min":null')
                 + ',"status":"')
        zone, tz = ed.zone, ed.tz
        site_buckets = buckets.get(site_code)
        if site_buckets is None:
            site_buckets = buckets[site_code] = {}
        for (day, status, cin, cout, late, early, punches, worked, breaks, overtime, repeats,
             unpaired, off, corrections) in ed.facts:
            bucket = site_buckets.get(day)
            if bucket is None:
                bucket = site_buckets[day] = [f'{{"date":"{text.date(day)}"',
                                              *_marks_tail(marks, site_code, day), []]
            if off is None:
                label = "null"
            else:
                label = labels.get(off.label) or labels.setdefault(off.label, _text(off.label))
            bucket[3].append(
                f'{bucket[0]}{fixed}{status_text[status]}","check_in":'
                f'{"null" if cin is None else quoted(cin, zone)},'
                f'"check_out":{"null" if cout is None else quoted(cout, zone)},'
                f'"late_min":{late},"early_leave_min":{early},"worked_min":{worked},'
                f'"break_min":{breaks},"overtime_min":{overtime},"punches":{punches},'
                f'"repeats":{repeats},"unpaired":{unpaired},"day_off":{label},"corrections":'
                f'{_text(_note(corrections, tz)) if corrections else "null"}'
                f'{bucket[1]}')
    texts: list[str] = []
    provisional_rows = 0
    for day, site_code in sorted((day, s) for s, days in buckets.items() for day in days):
        _, _, prov, rows_of = buckets[site_code][day]
        texts += rows_of
        provisional_rows += prov * len(rows_of)
    if marks is not None:
        body = {**body, "completeness": marks.summary(site, provisional_rows)}
    head = _dumps(body)
    return (head[:-1] + (b',"rows":[' if len(head) > 2 else b'"rows":[')
            + ",".join(texts).encode() + b"]}")


def _marks_tail(marks: completeness.ReportMarks | None, site: str,
                day: date) -> tuple[str, int]:
    """A row's last columns (``provisional``, ``complete_up_to``) as JSON text with the
    closing brace, and 1 when the row is provisional."""
    if marks is None:
        return "}", 0
    prov, upto = marks.row(site, day)
    return (',"provisional":' + ("true" if prov else "false") + ',"complete_up_to":'
            + ("null" if upto is None else _text(upto)) + "}"), int(prov)


def _text(value: str) -> str:
    """A JSON string as Starlette's JSONResponse writes it (UTF-8, not ASCII-escaped)."""
    return json.dumps(value, ensure_ascii=False)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=None,
                      separators=(",", ":")).encode()


class _LocalText:
    """ISO texts of dates and local instants, as ``isoformat(timespec="seconds")`` writes
    them, from cached parts (date, time of day, offset): a month's report writes ~80,000."""

    def __init__(self) -> None:
        self._days: dict[date, str] = {}
        self._dates: dict[int, str] = {}
        self._clock: dict[int, str] = {}
        self._offsets: dict[int, str] = {}
        self._minutes: dict[int, str] = {}  # local minute -> '"2026-11-03T09:14:'
        self._closing: dict[int, str] = {}  # offset -> '+01:00"'

    def date(self, day: date) -> str:
        got = self._days.get(day)
        if got is None:
            got = self._days[day] = day.isoformat()
        return got

    def local(self, us: int, zone: rules.Zone) -> str:
        off = zone.offset(us)
        day_n, second = divmod((us + off) // 1_000_000, 86400)
        day = self._dates.get(day_n)
        if day is None:
            day = self._dates[day_n] = (
                date.fromordinal(day_n + rules.EPOCH_ORDINAL).isoformat() + "T")
        clock = self._clock.get(second)
        if clock is None:
            hh, rest = divmod(second, 3600)
            clock = self._clock[second] = f"{hh:02d}:{rest // 60:02d}:{rest % 60:02d}"
        suffix = self._offsets.get(off)
        if suffix is None:
            suffix = self._offsets[off] = datetime(
                2000, 1, 1, tzinfo=timezone(timedelta(microseconds=off))).isoformat()[19:]
        return day + clock + suffix

    def quoted(self, us: int, zone: rules.Zone) -> str:
        """:meth:`local` as a JSON string (in quotes: it needs no escaping), from the local
        minute's text, the second's and the offset's (the JSON report writes ~80,000)."""
        off = zone._hours.get(us // rules.HOUR_US)
        if off is None or off == rules.SPLIT:
            off = zone.offset(us)
        minute, second = divmod((us + off) // 1_000_000, 60)
        head = self._minutes.get(minute)
        if head is None:
            day_n, clock = divmod(minute, 1440)
            head = self._minutes[minute] = (
                f'"{date.fromordinal(day_n + rules.EPOCH_ORDINAL).isoformat()}'
                f'T{clock // 60:02d}:{clock % 60:02d}:')
        tail = self._closing.get(off)
        if tail is None:
            tail = self._closing[off] = datetime(
                2000, 1, 1, tzinfo=timezone(timedelta(microseconds=off))).isoformat()[19:] + '"'
        return head + _SECONDS[second] + tail


_SECONDS = [f"{n:02d}" for n in range(60)]


def correction_note(d: rules.DayRecord | rules.DayFacts, tz: ZoneInfo) -> str | None:
    """'check_out 17:00 approved by admin:alice 2026-11-03 10:12' for each make-up punch."""
    return _note(d.corrections, tz) if d.corrections else None


def _note(corrections: tuple[rules.MakeUp, ...], tz: ZoneInfo) -> str:
    return "; ".join(
        f"{m.direction.value} {m.at.astimezone(tz):%H:%M} approved by {m.approved_by} "
        f"{m.approved_at.astimezone(tz):%Y-%m-%d %H:%M}" for m in corrections)


def summary_rows(
    conn: Connection, date_from: date, date_to: date, site: str | None, employee: str | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """One row per employee: the monthly (range) totals HR signs off."""
    out = []
    for ed in employee_days(conn, date_from, date_to, site, employee, now):
        s = rules.summarize(ed.facts)
        out.append({"employee_id": ed.employee_id, "name": ed.name, "site": ed.site,
                    "shift": ed.shift.name if ed.shift else None, **vars(s)})
    return out


def monthly_rows(
    conn: Connection, date_from: date, date_to: date, site: str | None, employee: str | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """:func:`summary_rows` per calendar month of the range, each row with its ``month``."""
    out: list[dict[str, Any]] = []
    start = date_from
    while start <= date_to:
        nxt = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        end = min(date_to, nxt - timedelta(days=1))
        month = start.strftime("%Y-%m")
        out += [{"month": month, **row}
                for row in summary_rows(conn, start, end, site, employee, now)]
        start = nxt
    return out


def to_json(body: dict[str, Any], rows: list[dict[str, Any]]) -> bytes:
    """``{**body, "rows": rows}`` as Starlette's JSONResponse renders it (compact UTF-8,
    no NaN). The rows (texts, integers, booleans, None: ~20 MB for a month of 2,000
    employees) go through orjson when it is installed: for those types it writes exactly
    the json module's bytes (tests/server/test_reports.py checks), in a quarter of the time."""
    def dumps(value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=None,
                          separators=(",", ":")).encode()

    head = dumps(body)
    if orjson is None:
        tail = dumps(rows)
    else:
        try:
            tail = orjson.dumps(rows)
        except TypeError:  # an integer beyond 64 bits, a lone surrogate: the json module's way
            tail = dumps(rows)
    return head[:-1] + (b',"rows":' if len(head) > 2 else b'"rows":') + tail + b"}"


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=timezone.utc)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: OWASP's advice against CSV (formula) injection.

    A text cell starting with ``= + - @``, tab or CR gets a leading apostrophe, so
    ``=cmd|' /C calc'!A0`` in an employee's name is never evaluated. Numbers stay numbers.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: list[dict[str, Any]], fields: tuple[str, ...] = REPORT_FIELDS) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: csv_cell(r[k]) for k in fields})
    return buf.getvalue()
