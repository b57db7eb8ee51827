"""Today, Attendance, Employees, Terminals and Audit through the console's forms."""

from __future__ import annotations

import base64
import csv
import io
from datetime import timedelta

import numpy as np
import requests
from PIL import Image
from sqlalchemy import select

from kiosk.core.protocol import API_PREFIX
from kiosk.core.protocol.enrolment import parse_enrolment
from kiosk.scan.decoder import ScanPipeline
from server_stub import audit, db
from tests.server.terminal_client import enroll

from .conftest import T0


def _section(html: str, kind: str) -> str:
    start = html.index(f'data-kind="{kind}"')
    return html[start:html.index("</div>", start)]


def test_today_sorts_staff_into_in_late_and_not_in(client_for, admins, term) -> None:
    # 09:00 Berlin: E1 (day 09:00, grace 5) checks in at 09:20 -> late 20 min.
    admins.clock.advance(20 * 60)
    assert term.verdicts([term.punch(admins.tokens["E1"])])[0]["status"] == "accepted"
    hr = client_for("hr1")
    page = hr.get("/").text
    assert "Ana Souza" in _section(page, "in") and "Ana Souza" in _section(page, "late")
    assert "<b>20</b>" in _section(page, "late")
    assert "No Shift" in _section(page, "not_in") and "王芳" in _section(page, "not_in")
    assert "Lab Person" not in page.split('data-site="HQ"')[1].split("</section>")[0]
    admins.clock.advance(600)  # a second scan soon after is a repeat: still in
    term.verdicts([term.punch(admins.tokens["E1"])])
    assert "Ana Souza" in _section(hr.get("/").text, "in")
    admins.clock.advance(1500)  # (within the idle timeout)
    term.verdicts([term.punch(admins.tokens["E1"])])
    live = hr.get("/today/live").text  # the fragment the page polls
    assert "<html" not in live and "Ana Souza" in _section(live, "left")
    assert "Ana Souza" not in _section(live, "in")


def test_night_worker_after_midnight_is_still_in(client_for, admins, term) -> None:
    admins.clock.set(T0.replace(hour=21, minute=0))  # 22:00 Berlin, night shift starts
    term.verdicts([term.punch(admins.tokens["E2"])])
    admins.clock.advance(4 * 3600)  # 02:00 next day
    page = client_for("hr1").get("/").text
    assert "王芳" in _section(page, "in") and "2026-11-03" in page


def test_attendance_csv_is_the_cli_report(client_for, admins, term) -> None:
    admins.clock.advance(10 * 60)
    term.verdicts([term.punch(admins.tokens["E1"])])
    hr = client_for("hr1")
    q = {"from": "2026-11-02", "to": "2026-11-02", "site": "HQ"}
    r = hr.get("/attendance.csv", params=q)
    assert r.headers["content-type"].startswith("text/csv")
    assert "attendance_2026-11-02_2026-11-02.csv" in r.headers["content-disposition"]
    from server_stub.reports import to_csv

    assert r.text == to_csv(admins.srv.admin.attendance("2026-11-02", "2026-11-02", "HQ"))
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["employee_id"], x["status"]) for x in rows] == [("E1", "open"), ("E2", "expected")]
    page = hr.get("/attendance", params=q).text
    assert 'id="monthly"' in page and "2026-11" in page and "E1" in page
    for bad in ({"from": "2026-13-01"}, {"from": "2026-11-05", "to": "2026-11-01"},
                {"from": "1999-01-01", "to": "2026-01-01"}):
        r = hr.get("/attendance", params=bad)
        assert r.status_code == 400 and "Dates must" in r.text


def test_employee_add_edit_deactivate_and_audit(client_for, admins) -> None:
    hr = client_for("hr1")
    r = hr.post("/employees", {"employee_id": "E7", "name": "New Hire", "site": "HQ",
                               "shift": "day"})
    assert r.status_code == 200 and "New Hire" in r.text
    assert hr.post("/employees", {"employee_id": "E7", "name": "Again", "site": "HQ"}
                   ).status_code == 400
    assert hr.post("/employees", {"employee_id": "E8", "name": "x", "site": "NOPE"}
                   ).status_code == 400
    hr.post("/employees/E7", {"name": "Renamed", "site": "LAB", "shift": ""})
    hr.post("/employees/E7/active", {"active": "0"})
    e = db.employees.c
    with admins.srv.admin.engine.connect() as conn:
        row = conn.execute(select(db.employees).where(e.employee_id == "E7")).one()
    assert (row.name, row.site, row.shift, row.active) == ("Renamed", "LAB", None, False)
    assert "Renamed" not in hr.get("/employees").text  # active only by default
    assert "Renamed" in hr.get("/employees", params={"show": "all", "q": "renam"}).text
    acts = [(x.actor, x.action, x.target) for x in audit.entries(admins.srv.admin.engine)][:3]
    assert acts == [("admin:hr1", "employee_deactivated", "E7"),
                    ("admin:hr1", "employee_edited", "E7"), ("admin:hr1", "employee_added", "E7")]
    assert hr.get("/employees/NOPE").status_code == 404


def test_csv_import_is_all_or_nothing(client_for, admins) -> None:
    hr = client_for("hr1")
    bad = ("employee_id,name,site,shift\nN1,Good One,HQ,day\nN2,,HQ,\nN3,Three,MARS,\n"
           "N bad,X,HQ,\nN5,Five,HQ,nope\n")
    r = hr.post("/employees/import", files={"file": ("staff.csv", bad.encode(), "text/csv")})
    assert r.status_code == 400 and "Nothing was imported" in r.text
    for line, says in ((3, "name must be"), (4, "unknown site"), (5, "must be 1-32"),
                       (6, "unknown shift")):
        row = r.text.split(f'data-line="{line}"><td>{line}</td><td>')[1].split("</td>")[0]
        assert says in row, (line, row)
    assert 'data-line="2"' not in r.text  # the good row is not a problem, but not stored
    with admins.srv.admin.engine.connect() as conn:
        ids = set(conn.execute(select(db.employees.c.employee_id)).scalars())
    assert ids == {"E1", "E2", "E3", "E4"}
    good = "\ufeffemployee_id;name;site;shift\nN1;Good One;HQ;day\nE4;Now Named;HQ;day\n"
    r = hr.post("/employees/import", files={"file": ("staff.csv", good.encode(), "text/csv")})
    assert r.status_code == 200 and "Imported: 2" in r.text
    assert "Now Named" in hr.get("/employees/E4").text
    assert hr.post("/employees/import").status_code == 400  # no file
    r = hr.post("/employees/import", files={"file": ("x.csv", b"\xff\xfe", "text/csv")})
    assert r.status_code == 400 and "not UTF-8" in r.text
    assert [x.action for x in audit.entries(admins.srv.admin.engine)][:3] == [
        "employees_import_refused", "employees_imported", "employees_import_refused"]


def test_badge_issue_prints_and_revoke_reaches_the_roster(client_for, admins, term) -> None:
    hr = client_for("hr1")
    r = hr.post("/employees/E1/badges", {"days": "30"})
    assert r.status_code == 200 and "<img alt='QR badge'" in r.text and "Ana Souza" in r.text
    assert r.headers["cache-control"] == "no-store"
    with admins.srv.admin.engine.connect() as conn:
        badges = list(conn.execute(select(db.badges).where(db.badges.c.employee_id == "E1")))
    assert len(badges) == 2
    old = admins.badge_ids["E1"]
    page = hr.get("/employees/E1").text
    assert f'data-badge="{old}"' in page
    hr.post(f"/badges/{old}/revoke")
    roster = term.request("GET", "/roster").json()
    assert old in roster["revoked"]
    verdict = term.verdicts([term.punch(admins.tokens["E1"])])[0]
    assert verdict["status"] == "rejected"
    assert hr.post("/badges/nope/revoke").status_code == 404
    assert hr.post("/employees/E1/badges", {"days": "x"}).status_code == 400


def test_terminal_add_shows_code_once_and_revoke(client_for, admins) -> None:
    it = client_for("it1")
    r = it.post("/terminals", {"name": "Gate 2", "site": "HQ", "valid_days": "3"})
    assert r.status_code == 200 and 'id="enrol-code"' in r.text and "data:image/png" in r.text
    code = r.text.split('id="enrol-code">')[1].split("<")[0]
    # the QR is the KE1 enrolment (server address + code) the kiosk's camera reads
    png = base64.b64decode(r.text.split('src="data:image/png;base64,')[1].split('"')[0])
    (found,) = ScanPipeline().decode(np.asarray(Image.open(io.BytesIO(png)).convert("L")))
    enrolment = parse_enrolment(found.text)
    assert enrolment.code == code and enrolment.server_url == admins.url
    assert code not in it.get("/terminals").text  # shown once
    t = enroll(admins.url, code, admins.clock)
    assert t.terminal_id in it.get("/terminals").text
    it.post(f"/terminals/{t.terminal_id}/revoke")
    assert t.send([t.punch(admins.tokens["E1"])]).status_code == 403
    assert it.post("/terminals/nope/revoke").status_code == 404
    assert it.post("/terminals", {"name": "x", "site": "HQ", "valid_days": "0"}).status_code == 400
    acts = [(x.action, x.target) for x in audit.entries(admins.srv.admin.engine)][:2]
    assert acts == [("terminal_revoked", t.terminal_id), ("terminal_added", "Gate 2")]
    t.close()
    with admins.srv.admin.engine.connect() as conn:
        assert code not in str(list(conn.execute(select(db.terminals))))


def test_audit_page_lists_and_filters(client_for) -> None:
    hr = client_for("hr1")
    page = hr.get("/audit").text
    assert "<td>login</td>" in page and "127.0.0.1" in page
    assert "<td>login</td>" not in hr.get("/audit", params={"action": "logout"}).text


def test_bad_input_is_4xx_never_5xx(client_for) -> None:
    hr = client_for("hr1")
    assert hr.get("/attendance", params={"site": "x" * 40}).status_code == 400
    assert hr.get("/employees", params={"show": "weird"}).status_code == 400
    assert hr.post("/employees", {"employee_id": "E10", "name": "n" * 300, "site": "HQ"}
                   ).status_code == 400
    r = hr.s.post(hr.url + "/employees", data=b"\x00" * 10,
                  headers={"content-type": "multipart/form-data; boundary=zz"}, timeout=30)
    assert r.status_code in (400, 403)
    r = requests.post(hr.url + "/login", data=b"x" * (3 * 1024 * 1024), timeout=30,
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_api_still_answers_json_outside_the_console(admins) -> None:
    r = requests.get(admins.url + API_PREFIX + "/nothing", timeout=30)
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = requests.get(admins.url + "/console/static/console.js", timeout=30)
    assert r.status_code == 200 and "data-live" in r.text
    assert T0 + timedelta(0) == T0


def test_today_shows_who_is_on_leave(client_for, admins) -> None:
    with db.write_txn(admins.srv.admin.engine) as conn:
        conn.execute(db.leaves.insert().values(
            employee_id="E1", date_from="2026-11-02", date_to="2026-11-03", kind="sick",
            note="flu", created_at=0.0, created_by="cli"))
    page = client_for("view1").get("/").text
    assert "Ana Souza" in _section(page, "leave") and "sick: flu" in _section(page, "leave")
    assert "Ana Souza" not in _section(page, "not_in")


def test_today_live_answers_304_until_something_changes(client_for, admins, term) -> None:
    """The live fragment carries an ETag; polled with it, nothing changed is a bodiless 304,
    and a new punch, an audited change or the next minute gives a new fragment."""
    hr = client_for("hr1")
    r = hr.get("/today/live")
    etag = r.headers["etag"]
    assert r.status_code == 200 and etag and "Latest punch received" in r.text
    assert r.headers["content-encoding"] == "gzip" and "csrf" not in r.text  # (no BREACH)
    plain = hr.get("/today/live", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == r.text
    assert "content-encoding" not in hr.get("/").headers  # pages hold the CSRF token: plain
    again = hr.get("/today/live", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert term.verdicts([term.punch(admins.tokens["E1"])])[0]["status"] == "accepted"
    fresh = hr.get("/today/live", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and "Ana Souza" in _section(fresh.text, "in")
    assert fresh.headers["etag"] != etag
    etag = fresh.headers["etag"]
    admins.srv.admin.add_employee("E9", "New Person", "HQ", "day")
    r = hr.get("/today/live", headers={"If-None-Match": etag})
    if r.status_code == 304:  # add_employee from the Admin API may not be audited: a minute
        admins.clock.advance(60)
        r = hr.get("/today/live", headers={"If-None-Match": etag})
    assert r.status_code == 200 and "New Person" in r.text


def test_today_is_kept_per_change_and_sees_changes_made_without_an_audit(client_for,
                                                                      admins) -> None:
    """The computed Today is shared until the data changes (today_cache); a change written
    straight to the database (no audit entry) still makes it compute again."""
    hr = client_for("hr1")
    first = hr.get("/").text
    assert hr.get("/").text == first  # the same minute, nothing changed: the kept page
    with db.write_txn(admins.srv.admin.engine) as conn:
        conn.execute(db.leaves.insert().values(
            employee_id="E1", date_from="2026-11-02", date_to="2026-11-02", kind="sick",
            note="flu", created_at=0.0, created_by="cli"))
    assert "Ana Souza" in _section(hr.get("/").text, "leave")
    with db.write_txn(admins.srv.admin.engine) as conn:
        conn.execute(db.employees.update().where(db.employees.c.employee_id == "E4")
                     .values(active=False))
    live = hr.get("/today/live").text
    assert "No Shift" not in live and "Ana Souza" in _section(live, "leave")


def test_today_shows_each_sites_watermark_and_latest_punch(client_for, admins, term) -> None:
    assert term.verdicts([term.punch(admins.tokens["E1"])])[0]["status"] == "accepted"
    hq = client_for("hr1").get("/").text.split('data-site="HQ"')[1].split("</section>")[0]
    assert 'class="last-punch"' in hq and "<time>09:00:00</time>" in hq  # Berlin time
    mark = hq.split('class="watermark')[1].split("</span>")[0]
    assert "Completeness" in mark and "terminal" in mark  # the completeness sentence
    assert "<details class=\"terminals\">" in hq and term.terminal_id not in mark


def test_one_pass_today_agrees_with_the_reference(admins, term) -> None:
    """server_stub.console.today (one pass, the current day only) sorts everyone as the
    version it replaced did (tests/console/today_reference.py), hour by hour through a
    day and a night, with late, repeat, break, night-shift punches, leave and a holiday."""
    from dataclasses import fields

    from server_stub import daysoff
    from server_stub.console import today
    from tests.console import today_reference

    a = admins.srv.admin
    daysoff.add_leave(a.engine, "E4", T0.date(), T0.date(), "sick", actor="cli", now=T0)
    daysoff.add_holiday(a.engine, "LAB", (T0 + timedelta(days=1)).date(), "Holiday",
                        actor="cli", now=T0)
    t1, t2, t3 = (admins.tokens[e] for e in ("E1", "E2", "E3"))
    term.verdicts([term.punch(t1, T0 + timedelta(minutes=12)),  # late
                   term.punch(t1, T0 + timedelta(minutes=20)),  # repeat
                   term.punch(t1, T0 + timedelta(hours=3)), term.punch(t1, T0 + timedelta(hours=4)),
                   term.punch(t2, T0 + timedelta(hours=13, minutes=3)),  # night shift
                   term.punch(t3, T0 - timedelta(hours=6))])
    compared = [f.name for f in fields(today.SiteToday)
                if f.name not in ("last_punch_at", "complete", "complete_up_to",
                                  "current_terminals", "terminals")]
    for hours in range(-8, 30, 2):
        now = T0 + timedelta(hours=hours)
        with db.read_txn(a.engine) as conn:
            got, want = today.today(conn, now), today_reference.today(conn, now)
        assert [[getattr(s, k) for k in compared] for s in got] == \
            [[getattr(s, k) for k in compared] for s in want], hours


def test_today_with_its_memo_agrees_with_computing_afresh(admins, term) -> None:
    """today(..., memo) runs the rules only for people whose inputs changed; through punches,
    a repeat, leave and a make-up arriving between calls, seconds and minutes apart (within
    a minute and across shift start, grace and end), it sorts everyone as a fresh call."""
    from server_stub import corrections, daysoff
    from server_stub.console import today

    a = admins.srv.admin
    memo = today.Memo()
    steps: list[tuple[int, str | None]] = [
        (-30, None), (-29, "E1"), (0, None), (4 * 60 + 50, None), (5 * 60 + 10, "E4"),
        (6 * 60 - 1, None), (6 * 60 + 1, None), (6 * 60 + 20, "E1"), (6 * 60 + 40, "leave"),
        (40 * 60, "E1"), (40 * 60 + 30, "makeup"), (9 * 3600 - 5, None), (9 * 3600 + 5, None),
        (13 * 3600 + 59, "E2"), (14 * 3600, None)]
    hits = 0
    for offset, change in steps:
        now = T0 + timedelta(seconds=offset)
        if change in admins.tokens:
            term.verdicts([term.punch(admins.tokens[change], now)])
        elif change == "leave":
            daysoff.add_leave(a.engine, "E3", T0.date(), T0.date(), "sick", actor="cli", now=now)
        elif change == "makeup":
            c = corrections.request(a.engine, "E2", T0 - timedelta(minutes=30), "check_out",
                                    "forgot", requested_by="cli", now=now)
            corrections.decide(a.engine, c.id, True, actor="cli", now=now)
        with db.read_txn(a.engine) as conn:
            kept = dict(memo.places)
            got, fresh = today.today(conn, now, memo), today.today(conn, now)
        hits += sum(1 for k, v in memo.places.items() if kept.get(k) == v)
        assert [vars(s) for s in got] == [vars(s) for s in fresh], offset
    assert hits >= 8  # the memo was used, not just filled


def test_today_cache_refreshes_completeness_marks_off_the_request(admins, term) -> None:
    """A change reuses the completeness marks; once they are 5 s old the next request asks
    for a refresh (once), which runs apart, and the request after it shows the new marks
    under a new key (the page's ETag moves) even though nothing else changed."""
    from server_stub.console.today_cache import TodayCache

    ticks = [100.0]
    cache = TodayCache(ticker=lambda: ticks[0])
    engine, now = admins.srv.admin.engine, admins.clock.now
    first = cache.snapshot(engine, now())
    assert cache.snapshot(engine, now()) is first and not cache.marks_due()
    term.verdicts([term.punch(admins.tokens["E1"])])
    ticks[0] += 2
    second = cache.snapshot(engine, now())
    assert second is not first and second.marks_at == first.marks_at  # marks reused
    assert "Ana Souza" in [p.name for s in second.sites for p in s.present]
    ticks[0] += 2.9
    assert not cache.marks_due()
    ticks[0] += 0.2  # the marks are 5.1 s old
    assert cache.marks_due() and not cache.marks_due()  # once, until the refresh has run
    assert cache.snapshot(engine, now()) is second  # (this request does not wait for it)
    cache.refresh_marks(engine, now)
    third = cache.snapshot(engine, now())
    assert third is not second and third.marks_at == ticks[0] and third.key != second.key
    assert third.fingerprint == second.fingerprint and not cache.marks_due()
    ticks[0] += 5
    assert cache.snapshot(engine, now()) is third and cache.marks_due()


def test_today_cache_builds_a_new_minute_after_the_answer(admins, term) -> None:
    """When only the minute turned, the request gets the kept page and a rebuild is asked
    for (once), which runs apart; a change of data still builds at once."""
    from server_stub.console.today_cache import TodayCache

    cache = TodayCache()
    engine, clock = admins.srv.admin.engine, admins.clock
    clock.advance(4 * 60)  # 09:04 Berlin: E1 is expected, not late yet (grace 5 min)
    first = cache.snapshot(engine, clock.now())
    assert not first.sites[0].not_in[0].started
    clock.advance(120)  # 09:06: the shift has started for those not in
    assert cache.snapshot(engine, clock.now()) is first
    assert cache.rebuild_due() and not cache.rebuild_due()
    cache.rebuild(engine, clock.now)
    second = cache.snapshot(engine, clock.now())
    assert second is not first and second.sites[0].not_in[0].started
    clock.advance(60)
    term.verdicts([term.punch(admins.tokens["E1"])])  # data changed too: built now
    third = cache.snapshot(engine, clock.now())
    assert third is not second and "Ana Souza" in [p.name for p in third.sites[0].present]
