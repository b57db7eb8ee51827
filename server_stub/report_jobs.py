"""Reports off the upload path: attendance reports run in a separate worker process.

A month's report for thousands of employees is seconds of pure Python; run on the request
threads that take uploads it holds the GIL, and paced uploads waited ~1 s behind it. Here
each report is a job (plain arguments in, the response's bytes out) sent to a small pool of
worker processes, started on first use with ``spawn``, niced so the scheduler prefers the
ingest process, each opening the data folder's database itself. The request thread only
waits for the result. ``KIOSK_REPORT_WORKERS=0`` runs the jobs in the calling thread (the
same code), for a machine that cannot spare a process.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from . import completeness, db, reports

WORKERS_ENV = "KIOSK_REPORT_WORKERS"
NICE = 10  # worker processes yield the CPU to ingest


@dataclass(frozen=True)
class Reply:
    """What the endpoint answers: picklable, built in the worker."""

    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


def attendance(engine: Engine, now: datetime, date_from: date, date_to: date, site: str | None,
               employee: str | None, fmt: str, summary: bool) -> Reply:
    """The attendance report as the API answers it (JSON, CSV or XLSX)."""
    with db.read_txn(engine) as conn:
        if fmt == "xlsx":
            from .report_xlsx import MEDIA_TYPE, workbook

            marks = completeness.annotate_report(conn, now, [], site)
            book = workbook(reports.employee_days(conn, date_from, date_to, site, employee, now),
                            date_from, date_to, completeness.summary_lines(marks))
            name = f"attendance_{date_from}_{date_to}.xlsx"
            return Reply(book, MEDIA_TYPE, {"Content-Disposition": f'attachment; filename="{name}"',
                                            "X-Completeness": marks["summary"]})
        if fmt == "json" and not summary:  # the day rows written as JSON text directly
            head = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
            return Reply(reports.attendance_json(conn, date_from, date_to, site, employee, now,
                                                 head, completeness.ReportMarks(conn, now)),
                         "application/json")
        rows = (reports.summary_rows if summary else reports.attendance_rows)(
            conn, date_from, date_to, site, employee, now)
        # day rows get provisional/complete_up_to; summary rows only the report's summary
        marks = completeness.annotate_report(conn, now, [] if summary else rows, site)
    if fmt == "csv":
        fields = reports.SUMMARY_FIELDS if summary else (
            reports.REPORT_FIELDS + completeness.REPORT_FIELDS)
        # the sentence names no terminal (headers are Latin-1); rows say provisional
        return Reply(reports.to_csv(rows, fields).encode(), "text/csv; charset=utf-8",
                     {"X-Completeness": marks["summary"]})
    body = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat(),
            "completeness": marks}
    return Reply(reports.to_json(body, rows), "application/json")


def workbook(engine: Engine, now: datetime, date_from: date, date_to: date, site: str | None,
             employee: str | None) -> bytes:
    """The console's XLSX download (the CLI's workbook)."""
    from .report_xlsx import workbook as book

    with db.read_txn(engine) as conn:
        return book(reports.employee_days(conn, date_from, date_to, site, employee, now),
                    date_from, date_to)


def attendance_page(engine: Engine, now: datetime, date_from: date, date_to: date,
                    site: str | None, employee: str | None, shown: int) -> dict[str, Any]:
    """The console's attendance page: the first ``shown`` day rows, how many there are,
    and the summary per calendar month (what the page renders; the rest stays here)."""
    with db.read_txn(engine) as conn:
        rows = reports.attendance_rows(conn, date_from, date_to, site, employee, now)
        months = reports.monthly_rows(conn, date_from, date_to, site, employee, now)
    return {"rows": rows[:shown], "total": len(rows), "months": months}


def attendance_csv(engine: Engine, now: datetime, date_from: date, date_to: date,
                   site: str | None, employee: str | None) -> bytes:
    """The console's CSV download (the CLI's file)."""
    with db.read_txn(engine) as conn:
        rows = reports.attendance_rows(conn, date_from, date_to, site, employee, now)
    return reports.to_csv(rows).encode()


JOBS: dict[str, Callable[..., Any]] = {"attendance": attendance, "workbook": workbook,
                                       "attendance_page": attendance_page,
                                       "attendance_csv": attendance_csv}

# ------------------------------------------------------------------------------ the pool
# Plain processes and pipes, no executor: ProcessPoolExecutor keeps a manager thread alive
# in the server process, and the request thread can just as well wait on the pipe itself.

_engines: dict[str, Engine] = {}  # in a worker: data folder -> engine
_MAX_ENGINES = 4


def _serve(conn: Connection) -> None:
    """A worker process: run each job it is sent, answer ("ok", result) or ("err", exc)."""
    try:
        os.nice(NICE)
    except OSError:  # not permitted here: run at the same priority
        pass
    while True:
        try:
            data_dir, job, now_ts, kwargs = conn.recv()
        except (EOFError, OSError):
            return  # the server went away
        try:
            engine = _engines.get(data_dir)
            if engine is None:
                from .store.engine import open_engine

                while len(_engines) >= _MAX_ENGINES:  # tests open many folders: keep a few
                    _engines.pop(next(iter(_engines))).dispose()
                engine = _engines[data_dir] = open_engine(Path(data_dir))
            result = JOBS[job](engine, datetime.fromtimestamp(now_ts, tz=timezone.utc), **kwargs)
            conn.send(("ok", result))
        except Exception as exc:  # noqa: BLE001 - handed back to the request that asked
            conn.send(("err", exc))


class _Worker:
    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,), daemon=True,
                                   name="kiosk-report-worker")
        self.process.start()
        child.close()

    def call(self, message: tuple[Any, ...]) -> Any:
        self.conn.send(message)
        status, value = self.conn.recv()
        if status == "err":
            raise value
        return value

    def stop(self) -> None:
        self.conn.close()  # the worker's recv() ends: it returns
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)


_idle: list[_Worker] = []
_started = 0
_cond = threading.Condition()


def workers() -> int:
    try:
        return max(0, int(os.environ.get(WORKERS_ENV, "1")))
    except ValueError:
        return 1


def _acquire() -> _Worker:
    global _started
    with _cond:
        while not _idle and _started >= workers():
            _cond.wait()
        if _idle:
            return _idle.pop()
        _started += 1
    try:
        return _Worker()
    except BaseException:
        _release(None)
        raise


def _release(worker: _Worker | None) -> None:
    global _started
    with _cond:
        if worker is None:
            _started -= 1
        else:
            _idle.append(worker)
        _cond.notify()


def shutdown() -> None:
    """Stop the idle worker processes (at exit; a later job starts new ones)."""
    global _started
    with _cond:
        idle = list(_idle)
        _idle.clear()
        _started -= len(idle)
    for w in idle:
        w.stop()


atexit.register(shutdown)


def run(engine: Engine, data_dir: Path | None, job: str, now: datetime, **kwargs: Any) -> Any:
    """Run ``job`` in a worker process for the database of ``data_dir``; in this thread on
    ``engine`` when workers are off (``KIOSK_REPORT_WORKERS=0``) or there is no folder."""
    if data_dir is None or workers() == 0 or getattr(sys, "frozen", False):
        # (a PyInstaller bundle has no interpreter to spawn: the demo's embedded server
        # runs its rare report in the thread)
        return JOBS[job](engine, now, **kwargs)
    worker = _acquire()
    try:
        result = worker.call((str(Path(data_dir).resolve()), job, now.timestamp(), kwargs))
    except (EOFError, OSError, BrokenPipeError):  # the worker died: replace it, fail this one
        worker.stop()
        _release(None)
        raise RuntimeError("the report worker process stopped; try again") from None
    except BaseException:
        _release(worker)
        raise
    _release(worker)
    return result
