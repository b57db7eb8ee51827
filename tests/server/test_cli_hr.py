"""The HR commands of kiosk-server end to end, as HR runs them (subprocess, real clock)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from server_stub import audit, db
from server_stub.admin import Admin

from .test_cli import run


@pytest.mark.slow
def test_holidays_leave_and_make_up_punches_from_the_cli(tmp_path):
    d = ["--data", str(tmp_path / "data")]
    today = date.today()
    yesterday, before = today - timedelta(days=1), today - timedelta(days=2)
    run("init", *d, cwd=tmp_path)
    run("add-site", "HQ", "Head office", "--timezone", "UTC", *d, cwd=tmp_path)
    out = run("add-shift", "day", "--days", "all", "--grace", "5", "--auto-close",
              "--min-presence", "20", *d, cwd=tmp_path).stdout
    assert "auto-close at shift end" in out
    run("add-employee", "E1", "Ana Souza", "--site", "HQ", "--shift", "day", *d, cwd=tmp_path)
    admin = Admin.open(tmp_path / "data")
    with db.write_txn(admin.engine) as conn:  # hired long ago: earlier days count
        conn.execute(update(db.employees).values(created_at=0.0))
    run("add-holiday", before.isoformat(), "--site", "HQ", "--name", "Founders' day", *d,
        cwd=tmp_path)
    (tmp_path / "h.csv").write_text(f"date,name\n{(today + timedelta(days=30)).isoformat()},Later\n",
                                    encoding="utf-8")
    assert "Imported 1" in run("import-holidays", "h.csv", "--site", "HQ", *d, cwd=tmp_path).stdout
    holidays = json.loads(run("holidays", "--json", *d, cwd=tmp_path).stdout)
    assert [h["name"] for h in holidays] == ["Founders' day", "Later"]
    bad = run("add-leave", "E1", "--from", today.isoformat(), "--to", today.isoformat(),
              "--kind", "beach", *d, cwd=tmp_path, ok=False)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "leave kind" in bad.stderr
    run("add-leave", "E1", "--from", today.isoformat(), "--to", today.isoformat(), "--kind",
        "sick", *d, cwd=tmp_path)
    out = run("corrections", "request", "E1", "--date", yesterday.isoformat(), "--time", "09:00",
              "--direction", "check_in", "--reason", "badge at home", *d, cwd=tmp_path).stdout
    assert "#1" in out and "pending" in out
    listed = json.loads(run("corrections", "list", "--status", "pending", "--json", *d,
                            cwd=tmp_path).stdout)
    assert [(c["id"], c["direction"], c["status"]) for c in listed] == [(1, "check_in", "pending")]
    assert "approved by cli:alice" in run("corrections", "approve", "1", "--by", "alice", *d,
                                          cwd=tmp_path).stdout
    again = run("corrections", "reject", "1", *d, cwd=tmp_path, ok=False)
    assert again.returncode == 1 and "is approved" in again.stderr
    report = run("report", "--from", before.isoformat(), "--to", yesterday.isoformat(), *d,
                 cwd=tmp_path).stdout
    rows = {r["date"]: r for r in csv.DictReader(io.StringIO(report))}
    assert rows[before.isoformat()]["status"] == "holiday"
    made = rows[yesterday.isoformat()]
    assert (made["status"], made["worked_min"]) == ("auto_closed", "480")
    assert made["corrections"].startswith("check_in 09:00 approved by cli:alice")
    summary = json.loads(run("report", "--from", before.isoformat(), "--to", today.isoformat(),
                             "--summary", "--format", "json", *d, cwd=tmp_path).stdout)
    assert (summary[0]["holiday_days"], summary[0]["leave_days"], summary[0]["auto_closed"],
            summary[0]["corrections"]) == (1, 1, 1, 1)
    run("set-correction-quota", "HQ", "1", *d, cwd=tmp_path)
    capped = run("corrections", "request", "E1", "--date", yesterday.isoformat(), "--time",
                 "17:00", "--direction", "check_out", "--reason", "x", *d, cwd=tmp_path, ok=False)
    assert capped.returncode == 1 and "make-up request" in capped.stderr
    actions = [e.action for e in reversed(audit.entries(admin.engine))]
    assert actions == ["holiday_added", "holidays_imported", "leave_added",
                       "correction_requested", "correction_approved", "correction_quota_set"]
    admin.close()

