"""How long a month's attendance report takes: JSON and XLSX, 200 and 2,000 employees.

    python -m benchmarks.reports [--employees 200 2000] [--backends sqlite postgresql]

Builds a SQLite data folder per size with one month (November 2026) of punches: a day
shift (Mon-Fri, every third employee takes a lunch break, one in twenty forgets to check
out) and a night shift for one employee in ten, then times the whole report path from
SQL to bytes: ``reports.attendance_json`` (what the API answers) and
``report_xlsx.workbook`` over ``employee_days`` (XlsxWriter, constant memory). Beside
ours, the same workbook through openpyxl's write-only mode (the other well-kept library),
at the smallest size. Each figure is the best of ``--repeat`` runs.

At the largest size also (#13): ``report_month_<n>_employees_s`` (the JSON month report),
``upload_p95_ms_during_report`` (one punch every 100 ms through the signed API on a live
server while month XLSX reports run over HTTP back to back, in the report worker process)
beside ``..._in_thread`` (the reports in the request thread, as before) and ``..._idle``;
and ``export_<k>k_peak_mb``: ``kiosk-server export`` of ``--export-days`` days of punches
(2,000 x 60 = 240k) in a child process, its peak RSS beside ``export_imports_mb`` (the RSS
once imported, before the first punch). PostgreSQL ($KIOSK_TEST_PG_URL, a fresh database
per size) gives the same keys ending in ``_postgresql``. The LAST line is JSON.
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


def build(folder: Path, employees: int, seed: int = 1, days: int | None = None,
          database_url: str | None = None) -> object:
    """A data folder with ``employees`` staff and their November punches (``days``: that
    many days up to Nov 30, every day in and out); returns the Admin."""
    from server_stub import db
    from server_stub.admin import Admin

    admin = Admin.init(folder, clock=_Clock(), database_url=database_url)  # type: ignore[arg-type]
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
        first = MONTH[0] if days is None else MONTH[1] - timedelta(days=days - 1)
        day = first
        while day <= MONTH[1]:
            # the export's folder: every day in and out, exactly 2 punches (240k for 2,000 x 60)
            if days is not None or (day.weekday() < 5 and rnd.random() > 0.03):  # 3 % absent
                start = datetime.combine(day, datetime.min.time(), tzinfo=TZ) + timedelta(
                    hours=22 if night else 9)
                times = [start + timedelta(minutes=rnd.randint(-15, 12))]
                if not night and days is None and rnd.random() < 0.33:
                    lunch = start + timedelta(hours=3, minutes=rnd.randint(0, 60))
                    times += [lunch, lunch + timedelta(minutes=rnd.randint(20, 60))]
                if days is not None or rnd.random() > 0.05:
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
        # the API's day rows (its JSON writes them so, with the completeness columns)
        return reports.attendance_json(conn, *MONTH, None, None, NOW, {})


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


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def upload_during_report(tmp: Path, uploads: int) -> dict[str, float]:
    """Paced uploads (one punch every 100 ms through the signed API) on a live server over
    the built folder: p95 idle, then while month XLSX reports run over HTTP back to back,
    with the reports in the worker process (ours) and in the request thread (before)."""
    import os
    import threading

    import requests

    from kiosk.core.protocol import API_PREFIX
    from server_stub import report_jobs
    from tests.helpers.clock import FakeClock
    from tests.helpers.live_server import live_server
    from tests.server.terminal_client import enroll

    clock = FakeClock(NOW)
    out: dict[str, float] = {}
    with live_server(tmp, clock=clock) as srv:
        term = enroll(srv.url, srv.admin.add_terminal("Bench door", "HQ"), clock)
        token = srv.admin.issue_badge("E00001", 30).token
        params = {"date_from": MONTH[0].isoformat(), "date_to": MONTH[1].isoformat(),
                  "format": "xlsx"}

        def paced(n: int) -> list[float]:
            lat = []
            for _ in range(n):
                t0 = time.perf_counter()
                assert term.verdicts([term.punch(token, clock.now())])[0]["status"] == "accepted"
                lat.append((time.perf_counter() - t0) * 1000)
                time.sleep(max(0.0, 0.1 - lat[-1] / 1000))
            return lat

        paced(5)  # warm up
        out["upload_p95_ms_idle"] = round(p95(paced(uploads)), 1)
        for label, workers in (("upload_p95_ms_during_report", "1"),
                               ("upload_p95_ms_during_report_in_thread", "0")):
            os.environ[report_jobs.WORKERS_ENV] = workers
            requests.get(srv.url + API_PREFIX + "/reports/attendance", params=params,
                         timeout=600)  # the worker is up, its engine open
            stop = threading.Event()
            reports_done = []

            def reporting() -> None:
                while not stop.is_set():
                    t0 = time.perf_counter()
                    r = requests.get(srv.url + API_PREFIX + "/reports/attendance",
                                     params=params, timeout=600)
                    assert r.status_code == 200, r.text
                    reports_done.append(time.perf_counter() - t0)

            th = threading.Thread(target=reporting, name="bench-reports")
            th.start()
            time.sleep(0.5)
            lat = paced(uploads)
            stop.set()
            th.join()
            out[label] = round(p95(lat), 1)
            out[label.replace("upload_p95_ms", "reports") + "_n"] = len(reports_done)
        os.environ.pop(report_jobs.WORKERS_ENV, None)
        report_jobs.shutdown()
        term.close()
    return out


def export_peak_mb(folder: Path) -> tuple[float, float, int, float]:
    """``kiosk-server export`` of the folder in a child process: its peak RSS (MB), its RSS
    once the modules are imported (MB), the punches written, seconds."""
    import subprocess

    out = folder.parent / "export.jsonl"
    # VmHWM, not ru_maxrss: Linux carries the parent's peak into ru_maxrss across exec
    hwm = ("int([x for x in open('/proc/self/status') if x.startswith('VmHWM')][0]"
           ".split()[1])")
    code = ("import sys; from server_stub.cli import main; "
            f"base = {hwm}; "
            f"rc = main(['export', '--data', {str(folder)!r}, '--out', {str(out)!r}]); "
            f"print(base, {hwm}); sys.exit(rc)")
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=1800)
    secs = time.perf_counter() - t0
    lines = sum(1 for _ in out.open())
    out.unlink()
    base, peak = (int(x) / 1024 for x in done.stdout.split()[-2:])
    return peak, base, lines, secs


def run_backend(args: argparse.Namespace, backend: str, result: dict[str, float | int]) -> None:
    """Every figure on one database; PostgreSQL's keys end in ``_postgresql``."""
    from tests.helpers import databases

    sfx = "" if backend == "sqlite" else f"_{backend}"
    for n in args.employees:
        with tempfile.TemporaryDirectory(prefix="h14-bench-") as tmp, \
                databases.database_url(backend) as url:
            t0 = time.perf_counter()
            admin = build(Path(tmp) / "server-data", n, database_url=url)  # live_server's folder
            print(f"{backend}, {n} employees: built in {time.perf_counter() - t0:.1f} s",
                  file=sys.stderr)
            tj, body = best(lambda: month_json(admin), args.repeat)
            tx, xlsx = best(lambda: month_xlsx(admin), args.repeat)
            rows = len(json.loads(body)["rows"])  # type: ignore[arg-type]
            print(f"{backend:>10} {n:>5} employees, {rows} day rows: JSON {tj:.2f} s "
                  f"({len(body) >> 10} KiB), XLSX (XlsxWriter) {tx:.2f} s "  # type: ignore[arg-type]
                  f"({len(xlsx) >> 10} KiB)")  # type: ignore[arg-type]
            result[f"month_json_{n}_employees_s{sfx}"] = round(tj, 3)
            result[f"month_xlsx_{n}_employees_s{sfx}"] = round(tx, 3)
            result[f"rows_{n}"] = rows
            if n == min(args.employees) and not sfx and args.openpyxl:
                to, _ = best(lambda: month_openpyxl(admin), 1)
                print(f"{'':>16} alternative: openpyxl write-only, day sheet only: {to:.2f} s")
                result[f"month_xlsx_openpyxl_{n}_employees_s"] = round(to, 3)
            if n == max(args.employees):
                result[f"report_month_{n}_employees_s{sfx}"] = round(tj, 3)
                if args.uploads:
                    admin.close()  # type: ignore[attr-defined]
                    figures = upload_during_report(Path(tmp), args.uploads)
                    print(f"{'':>16} uploads every 100 ms: p95 {figures['upload_p95_ms_idle']} "
                          f"ms idle, {figures['upload_p95_ms_during_report']} ms while XLSX "
                          f"reports run in the worker process, "
                          f"{figures['upload_p95_ms_during_report_in_thread']} ms with them in "
                          "the request thread (before)")
                    result.update({k + sfx: v for k, v in figures.items()})
            admin.close()  # type: ignore[attr-defined]
        if n == max(args.employees) and args.export_days:
            with tempfile.TemporaryDirectory(prefix="h14-bench-") as tmp, \
                    databases.database_url(backend) as url:
                folder = Path(tmp) / "data"
                build(folder, n, days=args.export_days,  # type: ignore[attr-defined]
                      database_url=url).close()
                mb, base, lines, secs = export_peak_mb(folder)
                print(f"{'':>16} export of {lines} punches ({n} employees x {args.export_days} "
                      f"days): peak RSS {mb:.0f} MB ({base:.0f} MB of it the imports), "
                      f"{secs:.1f} s")
                result[f"export_imports_mb{sfx}"] = round(base, 1)
                result[f"export_{lines // 1000}k_peak_mb{sfx}"] = round(mb, 1)
                result[f"export_punches{sfx}"] = lines
                result[f"export_s{sfx}"] = round(secs, 2)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--employees", type=int, nargs="+", default=[200, 2000])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--uploads", type=int, default=40,
                    help="paced uploads per phase of the upload-during-report figure (0: skip)")
    ap.add_argument("--export-days", type=int, default=60,
                    help="days of punches for the export figure at the largest size (0: skip)")
    ap.add_argument("--backends", nargs="+", choices=("sqlite", "postgresql"),
                    default=["sqlite", "postgresql"],
                    help="databases (PostgreSQL from $KIOSK_TEST_PG_URL; skipped if unreachable)")
    ap.add_argument("--no-openpyxl", dest="openpyxl", action="store_false",
                    help="leave out the openpyxl alternative")
    args = ap.parse_args(argv)
    result: dict[str, float | int] = {}
    for backend in args.backends:
        try:
            run_backend(args, backend, result)
        except BaseException as exc:  # pytest.skip: no PostgreSQL reachable
            if type(exc).__name__ != "Skipped":
                raise
            print(f"{backend}: skipped ({exc})")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
