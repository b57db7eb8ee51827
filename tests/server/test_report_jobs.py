"""Reports run in a worker process (server_stub/report_jobs.py), off the upload threads:
the same answer as in the request thread, from a niced process that is not the server."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone

import requests

from kiosk.core.protocol import API_PREFIX
from server_stub import report_jobs


def test_report_from_the_worker_process_is_the_in_thread_report(world, monkeypatch):
    url = world.url + API_PREFIX + "/reports/attendance"
    params = {"date_from": "2026-11-01", "date_to": "2026-11-03"}
    bodies = {}
    try:
        for workers in ("0", "1"):
            monkeypatch.setenv(report_jobs.WORKERS_ENV, workers)
            for fmt in ("json", "csv"):
                r = requests.get(url, params={**params, "format": fmt}, timeout=120)
                assert r.status_code == 200, r.text
                bodies[(workers, fmt)] = (r.headers["content-type"], r.content)
        assert bodies[("0", "json")] == bodies[("1", "json")]
        assert bodies[("0", "csv")] == bodies[("1", "csv")]
        (worker,) = report_jobs._idle
        pid = worker.process.pid
        assert pid is not None and pid != os.getpid() and worker.process.is_alive()
        assert os.getpriority(os.PRIO_PROCESS, pid) >= os.getpriority(os.PRIO_PROCESS, 0)
        bad = requests.get(url, params={"date_from": "2026-11-03", "date_to": "2026-11-01"},
                           timeout=60)
        assert bad.status_code == 422  # checked before any job is sent
    finally:
        report_jobs.shutdown()
    assert not report_jobs._idle and not worker.process.is_alive()


def test_the_consoles_attendance_page_and_csv_come_from_the_worker(world, term, monkeypatch):
    """The console's attendance page and CSV are jobs too (not computed on the serving
    process's threads): the worker's answer is the in-thread one."""
    t0 = datetime(2026, 11, 2, 8, 1, tzinfo=timezone.utc)
    term.verdicts([term.punch(world.tokens["E1"], t0), term.punch(world.tokens["E1"],
                                                                  t0 + timedelta(hours=8))])
    admin, now = world.srv.admin, world.clock.now()
    args = {"date_from": date(2026, 11, 1), "date_to": date(2026, 12, 2), "site": None,
            "employee": None}
    got = {}
    try:
        for workers in ("0", "1"):
            monkeypatch.setenv(report_jobs.WORKERS_ENV, workers)
            page = report_jobs.run(admin.engine, world.srv.data_dir, "attendance_page", now,
                                   shown=3, **args)
            csv = report_jobs.run(admin.engine, world.srv.data_dir, "attendance_csv", now,
                                  **args)
            got[workers] = (page, csv)
        (worker,) = report_jobs._idle  # the "1" answers came from it
        assert worker.process.pid != os.getpid()
    finally:
        report_jobs.shutdown()
    assert got["0"] == got["1"]
    page, csv = got["1"]
    assert len(page["rows"]) == 3 < page["total"] == csv.decode().count("\n") - 1
    assert {m["month"] for m in page["months"]} == {"2026-11", "2026-12"}
    assert any(r["check_in"] == "2026-11-02T09:01:00+01:00" for r in page["rows"]) or \
        "2026-11-02T09:01:00+01:00" in csv.decode()
