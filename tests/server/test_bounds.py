"""Bounds and abuse limits: absurd dates are 422, bodies over 1 MiB are 413 before they are
read, slow clients are cut off, CSV cells cannot become formulas."""

from __future__ import annotations

import json
import socket
import time

import pytest
import requests

from kiosk.core.protocol import API_PREFIX
from server_stub import bodylimit, runner
from server_stub.cli import main as cli_main
from server_stub.errors import MAX_BODY

EARLIEST = "0001-01-01T00:00:00+14:00"
LATEST = "9999-12-31T23:59:59-14:00"


@pytest.mark.parametrize("wall_time, offset", [
    (EARLIEST, 0.0), (LATEST, 0.0), (EARLIEST, -1e8), (EARLIEST, 1e8), (LATEST, -1e8),
    (LATEST, 1e8),
])
def test_absurd_punch_times_are_422_with_a_sentence(world, term, wall_time, offset):
    punch = term.punch(world.tokens["E1"], offset=offset)
    punch["wall_time"] = wall_time
    r = term.send([punch])
    assert r.status_code == 422, r.text
    assert "wall_time" in r.json()["message"] and "between" in r.json()["message"]


@pytest.mark.parametrize("last_sync", [EARLIEST, LATEST])
def test_absurd_heartbeat_time_is_422(term, last_sync):
    body = json.dumps({"app_version": "t", "pending": 0, "last_sync": last_sync}).encode()
    r = term.request("POST", "/heartbeat", body)
    assert r.status_code == 422, r.text
    assert "last_sync" in r.json()["message"]


def _raw(port: int, request: bytes, *, timeout: float = 5.0) -> bytes:
    """Send raw bytes, return everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


@pytest.mark.parametrize("path", ["/enroll", "/punches", "/heartbeat"])
def test_absurd_content_length_is_413_at_once(world, path):
    t0 = time.monotonic()
    answer = _raw(world.srv.port, (
        f"POST {API_PREFIX}{path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 99999999999999999999\r\n\r\n{").encode())
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"body_too_large"' in answer
    assert time.monotonic() - t0 < 3


def test_chunked_body_over_the_limit_is_cut_off(world):
    """Chunked (no Content-Length): counted as it arrives; the server stops reading at 1 MiB."""
    sent = 0

    def chunks():
        nonlocal sent
        block = b'{"code": "' + b"x" * 65536
        for _ in range(400):  # 25 MiB if the server read it all
            sent += len(block)
            yield block

    r = requests.post(world.url + API_PREFIX + "/enroll", data=chunks(), timeout=30,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text[:200]
    assert r.json()["error"] == "body_too_large"
    assert sent < 25 * 1024 * 1024  # the server did not wait for the whole body


def test_a_body_just_under_the_limit_is_still_read(world):
    body = json.dumps({"code": "x" * (MAX_BODY - 100)}).encode()
    r = requests.post(world.url + API_PREFIX + "/enroll", data=body, timeout=30,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 422  # read and parsed: the code is too long, not the body


def test_slow_body_is_timed_out(tmp_path, monkeypatch, clock):
    monkeypatch.setattr(bodylimit, "BODY_TIMEOUT_S", 0.5)
    from tests.helpers.live_server import live_server

    with live_server(tmp_path, clock=clock) as srv:
        t0 = time.monotonic()
        answer = _raw(srv.port, f"POST {API_PREFIX}/enroll HTTP/1.1\r\nHost: x\r\n"
                      "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{".encode())
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"request_timeout" in answer
        assert time.monotonic() - t0 < 3


def test_slow_headers_are_timed_out(tmp_path, monkeypatch, clock):
    monkeypatch.setattr(runner.TimedH11Protocol, "header_timeout_s", 0.5)
    from tests.helpers.live_server import live_server

    with live_server(tmp_path, clock=clock) as srv:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
            s.sendall(b"GET /api/v1/time HTTP/1.1\r\nHost: x\r\n")  # never the blank line
            t0 = time.monotonic()
            assert s.recv(65536) == b""  # closed by the server
            assert time.monotonic() - t0 < 3
        # A normal client on a keep-alive connection is not affected.
        with requests.Session() as session:
            for _ in range(3):
                assert session.get(srv.url + API_PREFIX + "/time", timeout=5).status_code == 200
                time.sleep(0.3)


FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)"]  # names are stripped: no tab


def test_csv_cell_escapes_every_formula_start():
    from server_stub.reports import csv_cell

    for text in ("=1", "+1", "-1", "@x", "\tx", "\rx"):
        assert csv_cell(text) == "'" + text
    assert csv_cell("Ana") == "Ana" and csv_cell(-3) == -3 and csv_cell(None) == ""


def test_csv_cells_cannot_become_formulas(world, tmp_path):
    for i, name in enumerate(FORMULAS):
        world.srv.admin.add_employee(f"F{i}", name, "HQ", "day")
    r = requests.get(world.url + API_PREFIX + "/reports/attendance", timeout=30, params={
        "date_from": "2026-11-02", "date_to": "2026-11-02", "format": "csv"})
    assert r.status_code == 200
    out = tmp_path / "report.csv"
    assert cli_main(["report", "--data", str(world.srv.data_dir), "--from", "2026-11-02",
                     "--to", "2026-11-02", "--out", str(out)]) == 0
    import csv
    import io

    for text in (r.text, out.read_text(encoding="utf-8")):
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        names = {row["name"] for row in rows}
        for name in FORMULAS:
            assert "'" + name in names
        for row in rows:
            for cell in row.values():
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
        assert any(row["name"] == "Ana Souza" for row in rows)  # plain text untouched
