"""The completeness watermark, driven through the real API: terminals punch and heartbeat
over signed HTTP; the watermark must move exactly when the data is complete, never before.

Server time starts Mon 2026-11-02 08:00 UTC = 09:00 Berlin (tests/server/conftest.py).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
import requests

from kiosk.core.protocol import API_PREFIX
from server_stub.completeness import (
    HEARTBEAT_MAX_AGE_S,
    TerminalFacts,
    contiguous_prefix,
    provisional,
    terminal_mark,
)

from .terminal_client import Term, enroll


def _heartbeat(term: Term, *, last_seq: int, pending: int = 0,
               oldest_pending_age_s: float | None = None) -> None:
    body = {"app_version": "t", "pending": pending, "last_seq": last_seq}
    if oldest_pending_age_s is not None:
        body["oldest_pending_age_s"] = oldest_pending_age_s
    r = term.request("POST", "/heartbeat", json.dumps(body).encode())
    assert r.status_code == 200, r.text


def _completeness(world) -> dict:
    r = requests.get(world.url + API_PREFIX + "/completeness", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def _mark(world, term: Term) -> dict:
    (t,) = [t for t in _completeness(world)["terminals"] if t["terminal_id"] == term.terminal_id]
    return t


def _ts(iso: str | None) -> float:
    assert iso is not None
    return datetime.fromisoformat(iso).timestamp()


class Recorder:
    """A terminal's outbox as the test sees it: what it recorded and what it sent."""

    def __init__(self, world, term: Term, token: str) -> None:
        self.world, self.term, self.token = world, term, token
        self.unsent: list[dict] = []

    def record(self, n: int = 1) -> list[dict]:
        made = []
        for _ in range(n):
            self.world.clock.advance(60)
            made.append(self.term.punch(self.token))
        self.unsent += made
        return made

    def send(self, punches: list[dict] | None = None) -> None:
        batch = self.unsent if punches is None else punches
        assert self.term.verdicts(batch)
        self.unsent = [p for p in self.unsent if p not in batch]

    def heartbeat(self) -> None:
        now = self.world.clock.now()
        oldest = min((datetime.fromisoformat(p["wall_time"]) for p in self.unsent), default=None)
        _heartbeat(self.term, last_seq=self.term.seq, pending=len(self.unsent),
                   oldest_pending_age_s=None if oldest is None else (now - oldest).total_seconds())

    def never_ahead(self, mark: dict) -> None:
        """The watermark is never at or after a punch the server does not hold."""
        if mark["watermark"] is None:
            return
        for p in self.unsent:
            assert _ts(mark["watermark"]) < datetime.fromisoformat(p["wall_time"]).timestamp(), (
                mark, p["seq"])


def test_a_terminal_never_heard_from_is_complete_only_up_to_its_enrolment(world, term):
    mark = _mark(world, term)
    assert mark["reasons"] == ["never_heard"] and not mark["current"]
    assert mark["summary"] == "Door: never heard from"
    assert _ts(mark["watermark"]) <= world.clock.now().timestamp()


def test_offline_with_pending_holds_back_then_drains(world, term):
    rec = Recorder(world, term, world.tokens["E1"])
    rec.record(2)
    rec.send()
    rec.heartbeat()
    heard = world.clock.now()
    mark = _mark(world, term)
    assert mark["current"] and _ts(mark["watermark"]) == heard.timestamp()
    assert mark["summary"] == "Door: complete up to 09:02"

    # the network goes: three punches stay in the outbox; the heartbeat still gets through
    rec.record(3)
    world.clock.advance(30)
    rec.heartbeat()
    mark = _mark(world, term)
    assert mark["reasons"] == ["pending"] and mark["pending"] == 3
    rec.never_ahead(mark)
    assert _ts(mark["watermark"]) < heard.timestamp() + 60  # stuck before the first unsent
    assert mark["summary"] == "Door: 3 punches outstanding since 09:03, last heard 09:05"

    # then nothing at all for ten minutes: offline as well, and the watermark does not move
    world.clock.advance(HEARTBEAT_MAX_AGE_S + 300)
    later = _mark(world, term)
    assert later["reasons"] == ["offline", "pending"] and later["watermark"] == mark["watermark"]

    # back: it drains, and the watermark moves only with the heartbeat that proves it
    rec.send()
    drained = _mark(world, term)
    assert drained["watermark"] == mark["watermark"]  # the old heartbeat still says pending 3
    rec.heartbeat()
    done = _mark(world, term)
    assert done["current"] and _ts(done["watermark"]) == world.clock.now().timestamp()


def test_a_gap_holds_the_watermark_at_the_punch_before_it(world, term):
    rec = Recorder(world, term, world.tokens["E1"])
    p1, p2, p3, p4 = rec.record(4)
    rec.send([p1, p2, p4])  # p3 lost in transit; the terminal believes it sent everything
    rec.unsent = [p3]
    _heartbeat(term, last_seq=4, pending=0)
    mark = _mark(world, term)
    assert mark["reasons"] == ["gap"] and mark["missing"] == 1
    rec.never_ahead(mark)
    assert _ts(mark["watermark"]) == datetime.fromisoformat(p2["wall_time"]).timestamp()
    assert mark["summary"] == "Door: 1 sequence number missing since 09:02, last heard 09:04"

    rec.send([p3])  # re-sent: complete at the next heartbeat
    _heartbeat(term, last_seq=4, pending=0)
    assert _mark(world, term)["current"]


def test_a_terminal_reporting_more_than_arrived_is_in_transit(world, term):
    rec = Recorder(world, term, world.tokens["E1"])
    p1, p2 = rec.record(2)
    rec.send([p1])
    rec.unsent = [p2]
    _heartbeat(term, last_seq=2, pending=0)
    mark = _mark(world, term)
    assert mark["reasons"] == ["in_transit"] and mark["missing"] == 1
    rec.never_ahead(mark)


def test_a_restarted_sequence_holds_the_watermark_before_the_restart(world, term):
    rec = Recorder(world, term, world.tokens["E1"])
    old = rec.record(3)
    rec.send()
    world.clock.advance(600)  # outbox replaced: seq starts again at 1, old punches 4-5 lost
    term.seq = 0
    new = rec.record(2)
    rec.send()
    _heartbeat(term, last_seq=2, pending=0)
    mark = _mark(world, term)
    assert "sequence_restarted" in mark["reasons"]
    assert _ts(mark["watermark"]) == datetime.fromisoformat(old[-1]["wall_time"]).timestamp()
    assert _ts(mark["watermark"]) < datetime.fromisoformat(new[0]["wall_time"]).timestamp()


def test_site_and_company_take_the_earliest_terminal(world, term):
    lab = enroll(world.url, world.srv.admin.add_terminal("Lab door", "LAB"), world.clock)
    second = enroll(world.url, world.srv.admin.add_terminal("Back door", "HQ"), world.clock)
    try:
        door = Recorder(world, term, world.tokens["E1"])
        back = Recorder(world, second, world.tokens["E4"])
        lab_rec = Recorder(world, lab, world.tokens["E3"])
        for r in (door, back, lab_rec):
            r.record(1)
            r.send()
            r.heartbeat()
        comp = _completeness(world)
        assert comp["company"]["current"] == 3 and comp["company"]["terminals"] == 3
        assert comp["company"]["summary"].endswith("(3 of 3 terminals current)")
        back.record(2)  # Back door goes offline with two punches
        back.heartbeat()
        world.clock.advance(60)
        door.heartbeat()
        lab_rec.heartbeat()
        comp = _completeness(world)
        hq, lab_site = comp["sites"]["HQ"], comp["sites"]["LAB"]
        assert (hq["current"], hq["terminals"]) == (1, 2)
        assert hq["held_by"] == ["Back door: 2 punches outstanding since 09:04, last heard 09:05"]
        assert lab_site["current"] == 1 and lab_site["held_by"] == []
        back_mark = next(t for t in comp["terminals"] if t["name"] == "Back door")
        assert hq["watermark"] == comp["company"]["watermark"] == back_mark["watermark"]
        assert _ts(lab_site["watermark"]) > _ts(hq["watermark"])
        back.never_ahead(back_mark)
    finally:
        lab.close()
        second.close()


def test_reports_carry_the_watermark_and_mark_later_days_provisional(world, term):
    rec = Recorder(world, term, world.tokens["E1"])
    rec.record(1)
    rec.send()
    rec.heartbeat()
    base = world.url + API_PREFIX + "/reports/attendance"
    params = {"date_from": "2026-11-01", "date_to": "2026-11-02", "site": "HQ"}
    body = requests.get(base, params=params, timeout=30).json()
    comp = body["completeness"]
    assert comp["summary"] == "complete up to 09:01 (1 of 1 terminals current)"
    by_day = {(r["date"], r["employee_id"]): r for r in body["rows"]}
    assert by_day[("2026-11-02", "E1")]["provisional"] is True  # today: not over yet
    assert all(r["complete_up_to"] == comp["watermark"] for r in body["rows"])

    # the next morning, after a heartbeat with nothing pending, Monday is final
    world.clock.set(datetime(2026, 11, 3, 7, 0, tzinfo=timezone.utc))
    rec.heartbeat()
    body = requests.get(base, params=params, timeout=30).json()
    assert not any(r["provisional"] for r in body["rows"] if r["date"] == "2026-11-02")
    r = requests.get(base, params={**params, "format": "csv"}, timeout=30)
    assert r.headers["X-Completeness"].startswith("complete up to 08:00")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["provisional"] for row in rows if row["date"] == "2026-11-02"} == {"False"}

    assert body["completeness"]["provisional_from"] == "2026-11-03"
    r = requests.get(base, params={**params, "format": "xlsx"}, timeout=30)
    assert r.status_code == 200, r.text
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(r.content), read_only=True)["Completeness 完整性"]
    lines = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert lines[1].startswith("HQ: complete up to 08:00")
    assert "days from 2026-11-03 on are provisional" in lines

    # a terminal going quiet with a pending punch makes that day provisional again
    world.clock.set(datetime(2026, 11, 3, 16, 0, tzinfo=timezone.utc))
    late = world.clock.now() - timedelta(hours=8)
    _heartbeat(term, last_seq=term.seq + 1, pending=1,
               oldest_pending_age_s=(world.clock.now() - late).total_seconds() + 3600 * 24)
    body = requests.get(base, params=params, timeout=30).json()
    assert any(r["provisional"] for r in body["rows"] if r["date"] == "2026-11-02")


def test_cli_report_and_completeness_say_it(world, term, capsys):
    from server_stub.cli import main

    rec = Recorder(world, term, world.tokens["E1"])
    rec.record(2)
    rec.send()
    rec.record(1)
    rec.heartbeat()
    data = str(world.srv.data_dir)
    argv = ["report", "--data", data, "--from", "2026-11-02", "--to", "2026-11-02"]
    assert main(argv) in (0, None)
    err = capsys.readouterr().err
    assert "Door: 1 punch outstanding since" in err and "provisional" in err
    assert main([*argv, "--summary"]) in (0, None)  # per employee: the summary all the same
    assert "Door: 1 punch outstanding since" in capsys.readouterr().err
    main(["completeness", "--data", data])
    out = capsys.readouterr().out
    assert "company: complete up to" in out and "pending]" in out


def test_overview_shows_it(world, term):
    rec = Recorder(world, term, world.tokens["E1"])
    rec.record(1)
    rec.heartbeat()
    page = requests.get(world.url + API_PREFIX + "/terminals.html", timeout=30).text
    assert "Company: complete up to" in page and "1 punch outstanding since" in page
    (t,) = requests.get(world.url + API_PREFIX + "/terminals", timeout=30).json()["terminals"]
    assert t["completeness_reasons"] == ["pending"] and t["complete_up_to"]


# ---------------------------------------------------------------- the pure rule


def test_contiguous_prefix():
    assert contiguous_prefix([]) == 0
    assert contiguous_prefix([1, 2, 3]) == 3
    assert contiguous_prefix([1, 2, 4]) == 2
    assert contiguous_prefix([2, 3]) == 0


@pytest.mark.parametrize("hb_age,pending,expect", [
    (10, 0, []), (HEARTBEAT_MAX_AGE_S + 1, 0, ["offline"]), (10, 2, ["pending"]),
])
def test_terminal_mark_reasons(hb_age, pending, expect):
    now = 10_000.0
    facts = TerminalFacts("T", "Door", "HQ", enrolled_at=1_000.0, last_heartbeat_at=now - hb_age,
                          reported_last_seq=2 + pending, pending=pending,
                          oldest_pending_age_s=50.0 if pending else None,
                          seq_times={1: 2_000.0, 2: 3_000.0})
    mark = terminal_mark(facts, now)
    assert list(mark.reasons) == expect
    assert mark.watermark == (now - hb_age - 50 - 1 if pending else now - hb_age)


def test_provisional_is_about_the_end_of_the_site_day():
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    end_of_monday = datetime(2026, 11, 3, 0, 0, tzinfo=berlin).timestamp()
    from datetime import date

    assert provisional(date(2026, 11, 2), berlin, end_of_monday - 1)
    assert not provisional(date(2026, 11, 2), berlin, end_of_monday)
    assert provisional(date(2026, 11, 2), berlin, None)


LAYOUTS = {  # terminal -> [(seq, punch time)]; a seq twice is a restarted outbox
    "A": [],  # nothing stored
    "B": [(1, 10.0), (2, 20.0), (3, 30.0)],  # contiguous
    "C": [(1, 10.0), (2, 20.0), (5, 50.0), (7, 70.0)],  # gaps 3-4 and 6
    "D": [(2, 20.0), (3, 30.0)],  # seq 1 missing: nothing contiguous
    "E": [(1, 10.0), (2, 20.0), (3, 30.0), (1, 100.0), (2, 110.0)],  # restarted at 100
    "F": [(1, 10.0), (4, 40.0), (2, 90.0), (1, 95.0), (3, 96.0)],  # restart with gaps
}


def test_sequence_summaries_in_sql_match_the_full_map(world):
    """load_facts aggregates each terminal's seqs in the database (GROUP BY, a window
    function); the summary is the one summarize_seqs gives from every stored seq. The same
    for the terminal overview's counts and gaps."""
    import uuid

    from server_stub import db
    from server_stub.completeness import seq_summaries, summarize_seqs
    from server_stub.overview import seq_gaps, seq_stats

    rows = [{"event_id": str(uuid.uuid4()), "terminal_id": tid, "seq": seq, "badge_id": "b",
             "employee_id": "E1", "site": "HQ", "wall_time": t, "clock_offset_s": 0.0,
             "punch_time": t, "received_at": t, "source": "camera", "app_version": "t",
             "content_hash": "", "status": "accepted", "reason": None, "work_date": None,
             "verdict": "{}", "badge": "b"} for tid, punches in LAYOUTS.items()
            for seq, t in punches]
    with db.write_txn(world.srv.admin.engine) as conn:
        conn.execute(db.punches.insert(), rows)
    with db.read_txn(world.srv.admin.engine) as conn:
        got = seq_summaries(conn, list(LAYOUTS))
        stats = seq_stats(conn)
    for tid, punches in LAYOUTS.items():
        seqs = sorted({seq for seq, _ in punches})
        if seqs:  # the terminal overview's gaps, by LAG in SQL, as the pure seq_gaps gives
            assert stats[tid] == (len(seqs), seqs[-1], seq_gaps(seqs)), tid
        first: dict[int, float] = {}
        last: dict[int, float] = {}
        count: dict[int, int] = {}
        for seq, t in punches:
            first[seq] = min(first.get(seq, t), t)
            last[seq] = max(last.get(seq, t), t)
            count[seq] = count.get(seq, 0) + 1
        repeated = [s for s, n in count.items() if n > 1]
        restarted_at = last[min(repeated)] if repeated else None
        want = summarize_seqs(first, restarted_at)
        if not punches:
            assert tid not in got
            continue
        assert got[tid] == (want, restarted_at), tid
