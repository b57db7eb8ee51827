"""How long a month's attendance report takes: JSON and XLSX, 200 and 2,000 employees.

    python -m benchmarks.reports [--employees 200 2000]

Builds a SQLite data folder per size with one month (November 2026) of punches: a day
shift (Mon-Fri, every third employee takes a lunch break, one in twenty forgets to check
out) and a night shift for one employee in ten, then times the whole report path from
SQL to bytes: ``attendance_rows`` + ``json.dumps`` (what the API answers) and
``report_xlsx.workbook`` over ``employee_days`` (XlsxWriter, constant memory). Beside
ours, the same workbook through openpyxl's write-only mode (the other well-kept library),
at the smallest size. Each figure is the best of ``--repeat`` runs. The LAST line is
JSON: ``month_xlsx_<n>_employees_s`` and ``month_json_<n>_employees_s`` for each size.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
MONTH = (date(2026, 11, 1), date(2026, 11, 30))
TZ = ZoneInfo("Europe/Berlin")


class _Clock:
    def now(self) -> datetime:
        return NOW

    def monotonic(self) -> float:
        return time.monotonic()


def build(folder: Path, employees: int, seed: int = 1) -> object:
    """A data folder with ``employees`` staff and their November punches; returns the Admin."""
    from server_stub import db
    from server_stub.admin import Admin

    admin = Admin.init(folder, clock=_Clock())  # type: ignore[arg-type]
    admin.add_site("HQ", "Head office", "Europe/Berlin")
    admin.add_shift("day", "09:00", "17:00", 5, auto_close=False)
    admin.add_shift("night", "22:00", "06:00", 10, weekdays="mon-fri")
    rnd = random.Random(seed)
    hired = datetime(2026, 10, 1, tzinfo=timezone.utc).timestamp()
    staff = [{"employee_id": f"E{i:05d}", "name": f"Employee {i}", "site": "HQ",
              "shift": "night" if i % 10 == 0 else "day", "active": True, "created_at": hired}
             for i in range(employees)]
    rows: list[dict[str, object]] = []
    seq = 0
    for s in staff:
        night = s["shift"] == "night"
        day = MONTH[0]
        while day <= MONTH[1]:
            if day.weekday() < 5 and rnd.random() > 0.03:  # 3 % absent
                start = datetime.combine(day, datetime.min.time(), tzinfo=TZ) + timedelta(
                    hours=22 if night else 9)
                times = [start + timedelta(minutes=rnd.randint(-15, 12))]
                if not night and rnd.random() < 0.33:
                    lunch = start + timedelta(hours=3, minutes=rnd.randint(0, 60))
                    times += [lunch, lunch + timedelta(minutes=rnd.randint(20, 60))]
                if rnd.random() > 0.05:
                    times.append(start + timedelta(hours=8, minutes=rnd.randint(-40, 90)))
                for t in times:
                    seq += 1
                    ts = t.timestamp()
                    rows.append({
                        "event_id": str(uuid.UUID(int=rnd.getrandbits(128))), "terminal_id": "T1",
                        "seq": seq, "badge_id": "b", "employee_id": s["employee_id"],
                        "site": "HQ", "wall_time": ts, "clock_offset_s": 0.0, "punch_time": ts,
                        "received_at": ts, "source": "camera", "app_version": "bench",
                        "content_hash": "", "status": "accepted", "reason": None,
                        "work_date": day.isoformat(), "verdict": "{}", "badge": "b"})
            day += timedelta(days=1)
    with db.write_txn(admin.engine) as conn:
        conn.execute(insert(db.employees), staff)
        for k in range(0, len(rows), 5000):
            conn.execute(insert(db.punches), rows[k:k + 5000])
    return admin


def best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    out: object = None
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def month_json(admin: object) -> bytes:
    from server_stub import db, reports

    with db.read_txn(admin.engine) as conn:  # type: ignore[attr-defined]
        rows = reports.attendance_rows(conn, *MONTH, None, None, NOW)
    return json.dumps({"rows": rows}, ensure_ascii=False).encode()


def month_xlsx(admin: object) -> bytes:
    from server_stub import db, report_xlsx, reports

    with db.read_txn(admin.engine) as conn:  # type: ignore[attr-defined]
        return report_xlsx.workbook(reports.employee_days(conn, *MONTH, None, None, NOW), *MONTH)


def month_openpyxl(admin: object) -> bytes:
    """The alternative: the same day sheet through openpyxl's write-only workbook."""
    from openpyxl import Workbook

    from server_stub import db, reports

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Days")
    ws.freeze_panes = "A2"
    ws.append([h for h, _ in __import__("server_stub.report_xlsx").report_xlsx.DAY_HEADINGS])
    with db.read_txn(admin.engine) as conn:  # type: ignore[attr-defined]
        for ed in reports.employee_days(conn, *MONTH, None, None, NOW):
            for d in ed.days:
                ws.append([d.work_date, ed.employee_id, ed.name, d.status.value,
                           d.check_in.astimezone(ed.tz).replace(tzinfo=None) if d.check_in else None,
                           d.check_out.astimezone(ed.tz).replace(tzinfo=None) if d.check_out else None,
                           d.late_min, d.early_leave_min, d.worked_min, d.break_min, d.overtime_min])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--employees", type=int, nargs="+", default=[200, 2000])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    result: dict[str, float | int] = {}
    for n in args.employees:
        with tempfile.TemporaryDirectory(prefix="h14-bench-") as tmp:
            t0 = time.perf_counter()
            admin = build(Path(tmp) / "data", n)
            print(f"{n} employees: built in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            tj, body = best(lambda: month_json(admin), args.repeat)
            tx, xlsx = best(lambda: month_xlsx(admin), args.repeat)
            rows = len(json.loads(body)["rows"])  # type: ignore[arg-type]
            print(f"{n:>5} employees, {rows} day rows: JSON {tj:.2f} s ({len(body) >> 10} KiB), "
                  f"XLSX (XlsxWriter) {tx:.2f} s ({len(xlsx) >> 10} KiB)")  # type: ignore[arg-type]
            result[f"month_json_{n}_employees_s"] = round(tj, 3)
            result[f"month_xlsx_{n}_employees_s"] = round(tx, 3)
            result[f"rows_{n}"] = rows
            if n == min(args.employees):
                to, _ = best(lambda: month_openpyxl(admin), 1)
                print(f"{'':>5} alternative: openpyxl write-only, day sheet only: {to:.2f} s")
                result[f"month_xlsx_openpyxl_{n}_employees_s"] = round(to, 3)
            admin.close()  # type: ignore[attr-defined]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
