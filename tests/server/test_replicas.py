"""Two replicas of the server on one database: nothing a request needs lives in one process.

Two apps on one data folder (two engines, two ingest queues, two terminal caches) on two
ports stand for two ``serve`` processes behind a load balancer. They run on SQLite and on
PostgreSQL (where the races were real: replays accepted by the other replica, two
check-ins for one employee, ``duplicate`` missing).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests
from sqlalchemy import func, select

from kiosk.core.protocol import API_PREFIX, sign_request
from server_stub import db
from server_stub.admin import Admin
from server_stub.runner import EmbeddedServer

from tests.helpers import databases

from .conftest import T0
from .terminal_client import Term, enroll

N_STAFF = 12


@dataclass
class Pair:
    admin: Admin
    a: EmbeddedServer
    b: EmbeddedServer
    tokens: dict[str, str]


@pytest.fixture
def pair(tmp_path, clock, database_url) -> Iterator[Pair]:
    admin = Admin.init(tmp_path / "data", database_url=database_url, clock=clock)
    admin.add_site("HQ", "Head office", "Europe/Berlin")
    admin.add_shift("day", "09:00", "17:00", 5)
    tokens = {}
    for i in range(N_STAFF):
        admin.add_employee(f"E{i}", f"Person {i}", "HQ", "day")
        tokens[f"E{i}"] = admin.issue_badge(f"E{i}", issued_at=T0.replace(month=10)).token
    a = EmbeddedServer(tmp_path / "data", clock=clock)
    b = EmbeddedServer(tmp_path / "data", clock=clock)
    try:
        a.start()
        b.start()
        yield Pair(admin, a, b, tokens)
    finally:
        a.stop()
        b.stop()
        admin.close()


def _signed(term: Term, method: str, path: str, body: bytes) -> dict[str, str]:
    h = sign_request(term.terminal_id, term.secret, method, API_PREFIX + path, body,
                     int(term.clock.now().timestamp()))
    if body:
        h["Content-Type"] = "application/json"
    return h


def _send(url: str, method: str, path: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.request(method, url + API_PREFIX + path, data=body, headers=headers, timeout=30)


def test_a_request_replayed_to_the_other_replica_is_refused(pair):
    term = enroll(pair.a.url, pair.admin.add_terminal("Door", "HQ"), pair.admin.clock)
    calls = [
        ("POST", "/punches", json.dumps({"punches": [term.punch(pair.tokens["E0"])]}).encode()),
        ("POST", "/heartbeat", json.dumps({"app_version": "t", "pending": 0}).encode()),
        ("GET", "/roster", b""),
    ]
    for method, path, body in calls:
        h = _signed(term, method, path, body)
        r = _send(pair.a.url, method, path, body, h)
        assert r.status_code == 200, (path, r.text)
        r = _send(pair.b.url, method, path, body, h)
        assert (r.status_code, r.json()["error"]) == (401, "nonce_reused"), path
    term.close()


def test_the_same_request_sent_to_both_at_once_is_accepted_once(pair):
    term = enroll(pair.a.url, pair.admin.add_terminal("Door", "HQ"), pair.admin.clock)
    with ThreadPoolExecutor(2) as pool:
        for _ in range(10):
            body = json.dumps({"app_version": "t", "pending": 0}).encode()
            h = _signed(term, "POST", "/heartbeat", body)
            gate = threading.Barrier(2)

            def fire(url: str, h=h, body=body, gate=gate) -> int:
                gate.wait(5)
                return _send(url, "POST", "/heartbeat", body, h).status_code

            codes = sorted(pool.map(fire, (pair.a.url, pair.b.url)))
            assert codes == [200, 401]
    term.close()


def test_one_employee_at_two_doors_at_once_checks_in_once(pair):
    """Each employee badges at door 1 (replica A) and door 2 (replica B) in the same instant."""
    t1 = enroll(pair.a.url, pair.admin.add_terminal("Door 1", "HQ"), pair.admin.clock)
    t2 = enroll(pair.b.url, pair.admin.add_terminal("Door 2", "HQ"), pair.admin.clock)
    when = pair.admin.clock.now()
    with ThreadPoolExecutor(2) as pool:
        for emp, token in pair.tokens.items():
            gate = threading.Barrier(2)

            def fire(term: Term, token=token, gate=gate) -> dict:
                p = term.punch(token, when)
                gate.wait(5)
                return term.verdicts([p])[0]

            v1, v2 = pool.map(fire, (t1, t2))
            directions = [v1["direction"], v2["direction"]]
            assert directions.count("check_in") == 1, (emp, v1, v2)
    t1.close()
    t2.close()


def test_events_sent_to_both_replicas_are_stored_once_and_one_answer_says_duplicate(pair):
    term = enroll(pair.a.url, pair.admin.add_terminal("Door", "HQ"), pair.admin.clock)
    batches = [[term.punch(pair.tokens[f"E{i % N_STAFF}"]) for i in range(k, k + 10)]
               for k in range(0, 100, 10)]
    with ThreadPoolExecutor(4) as pool:
        def fire(url: str, batch: list) -> list:
            body = json.dumps({"punches": batch}).encode()
            r = _send(url, "POST", "/punches", body, _signed(term, "POST", "/punches", body))
            assert r.status_code == 200, r.text
            return r.json()["results"]

        futures = [(pool.submit(fire, pair.a.url, b), pool.submit(fire, pair.b.url, b))
                   for b in batches]
        for fa, fb in futures:
            for va, vb in zip(fa.result(), fb.result()):
                assert va["event_id"] == vb["event_id"]
                assert sorted([va["duplicate"], vb["duplicate"]]) == [False, True], (va, vb)
                assert va["status"] == vb["status"] and va.get("direction") == vb.get("direction")
    with pair.admin.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.punches)).scalar() == 100
    term.close()


def test_health_says_whether_this_replica_reaches_its_database(pair, database_url):
    r = requests.get(pair.a.url + API_PREFIX + "/health", timeout=10)
    assert r.status_code == 200 and r.json()["status"] == "ok"
    if database_url is None:
        return  # a SQLite file cannot become unreachable while open
    with databases.unreachable_while(database_url):
        r = requests.get(pair.a.url + API_PREFIX + "/health", timeout=10)
        assert (r.status_code, r.json()["database"]) == (503, "unreachable")
    r = requests.get(pair.a.url + API_PREFIX + "/health", timeout=10)
    assert r.status_code == 200


def test_old_nonces_are_pruned_and_a_replay_still_refused_by_time(pair, clock):
    term = enroll(pair.a.url, pair.admin.add_terminal("Door", "HQ"), clock)
    body = json.dumps({"app_version": "t", "pending": 0}).encode()
    h = _signed(term, "POST", "/heartbeat", body)
    assert _send(pair.a.url, "POST", "/heartbeat", body, h).status_code == 200
    clock.advance(30 * 60)
    fresh = _signed(term, "POST", "/heartbeat", body)
    assert _send(pair.b.url, "POST", "/heartbeat", body, fresh).status_code == 200
    with pair.admin.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.nonces)).scalar() == 1
    r = _send(pair.b.url, "POST", "/heartbeat", body, h)
    assert (r.status_code, r.json()["error"]) == (401, "stale_timestamp")
    term.close()
