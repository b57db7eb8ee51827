"""``export``: every stored punch, streamed from a server-side cursor, from the CLI and the API
(JSON lines or CSV), the same rows either way and as ``Admin.export_punches``."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import requests

from kiosk.core.protocol import API_PREFIX
from server_stub import export
from server_stub.cli import main as cli_main

from .conftest import T0


def _upload(world, term, n: int) -> None:
    punches = [term.punch(world.tokens[e], T0 + timedelta(minutes=k))
               for k in range(n) for e in ("E1", "E2")]
    assert all(v["status"] == "accepted" for v in term.verdicts(punches))


def test_export_streams_the_same_rows_from_the_cli_and_the_api(world, term, tmp_path,
                                                               monkeypatch):
    monkeypatch.setattr(export, "BATCH", 3)  # several cursor batches and chunks
    _upload(world, term, 4)
    want = world.srv.admin.export_punches()
    assert len(want) == 8 and [r["seq"] for r in want] == list(range(1, 9))
    r = requests.get(world.url + API_PREFIX + "/export", timeout=30, stream=True)
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson"
    assert [json.loads(line) for line in r.iter_lines() if line] == want
    r = requests.get(world.url + API_PREFIX + "/export", params={"format": "csv"}, timeout=30)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert r.headers["content-type"].startswith("text/csv")
    assert [row["event_id"] for row in rows] == [w["event_id"] for w in want]
    assert json.loads(rows[0]["verdict"]) == want[0]["verdict"]
    world.srv.admin.engine.dispose()
    out = tmp_path / "punches.jsonl"
    assert cli_main(["export", "--data", str(world.srv.data_dir), "--out", str(out)]) == 0
    assert [json.loads(line) for line in out.read_text().splitlines()] == want
    out = tmp_path / "punches.csv"
    assert cli_main(["export", "--data", str(world.srv.data_dir), "--out", str(out),
                     "--format", "csv"]) == 0
    assert out.read_text() == r.text


def test_export_refuses_an_unknown_format(world):
    r = requests.get(world.url + API_PREFIX + "/export", params={"format": "xml"}, timeout=30)
    assert r.status_code == 422
