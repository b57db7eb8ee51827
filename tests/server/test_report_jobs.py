"""Reports run in a worker process (server_stub/report_jobs.py), off the upload threads:
the same answer as in the request thread, from a niced process that is not the server."""

from __future__ import annotations

import os

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
