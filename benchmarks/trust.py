"""Trust beyond loopback, measured: fake servers, absurd input, huge bodies, guessing, files.

    python -m benchmarks.trust

Each line prints our figure beside what the issue (#11) measured before. The last line is
JSON with one key per figure. Everything runs against real servers on 127.0.0.1 (one in a
subprocess, for its RSS), real SQLite files and a real kiosk outbox; loops are bounded.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import requests
from sqlalchemy import delete

from kiosk.core.clock import SystemClock
from kiosk.core.paths import default_paths
from kiosk.core.protocol import API_PREFIX, Source, sign_request
from kiosk.store import Outbox
from kiosk.sync.engine import SyncEngine
from kiosk.sync.enroll import enroll
from kiosk.sync.secrets import KeyringSecretStore
from server_stub import db
from server_stub.admin import Admin
from server_stub.runner import EmbeddedServer
from tests.helpers.faulty_proxy import FaultyProxy, http_response
from tests.helpers.keyring_backend import MemoryKeyring
from tests.helpers.live_server import wait_for_http

ABSURD = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)"]


def _world(tmp: Path) -> tuple[Admin, EmbeddedServer, dict[str, str]]:
    admin = Admin.init(tmp / "server-data")
    admin.add_site("HQ", "Head office", "UTC")
    tokens = {}
    for i, name in enumerate(["Ana", *FORMULAS]):
        admin.add_employee(f"E{i}", name, "HQ")
        tokens[f"E{i}"] = admin.issue_badge(f"E{i}").token
    server = EmbeddedServer(tmp / "server-data")
    server.start()
    return admin, server, tokens


SECRETS: list[str] = []  # every terminal secret handed out (to look for in the database)


def _kiosk(admin: Admin, server: EmbeddedServer, home: Path) -> tuple:
    paths = default_paths(home).ensure()
    store = KeyringSecretStore(MemoryKeyring())
    config = enroll(server.url, admin.add_terminal(f"Door {home.name}", "HQ"), paths, store)
    SECRETS.append(store.get(config.terminal.id))
    return paths, config, store


def fake_server(admin: Admin, server: EmbeddedServer, tokens: dict[str, str], tmp: Path,
                n: int = 25) -> int:
    """Punches marked sent by a server that answers 'accepted' without a valid receipt."""
    paths, config, store = _kiosk(admin, server, tmp / "kiosk-fake")
    box = Outbox(paths.outbox_file, SystemClock())
    with FaultyProxy(server.port) as proxy:
        cfg = config.model_copy(deep=True)
        cfg.server.urls = [proxy.url]
        engine = SyncEngine(cfg, box, store, SystemClock())
        engine.sync_once()
        punches = [box.append(terminal_id=cfg.terminal.id, badge=tokens["E0"], badge_id="b",
                              source=Source.CAMERA, wall_time=datetime.now(timezone.utc),
                              clock_offset_s=0.0, app_version="bench") for _ in range(n)]
        body = json.dumps({"results": [
            {"event_id": str(p.event_id), "status": "accepted", "message": "ok"}
            for p in punches], "server_time": datetime.now(timezone.utc).isoformat()}).encode()
        proxy.set_mode("respond", response=http_response(
            200, "OK", {"Content-Type": "application/json"}, body))
        for _ in range(3):
            engine.sync_once()
    sent = box.stats().sent
    box.close()
    return sent


def http_5xx(admin: Admin, server: EmbeddedServer, tokens: dict[str, str], tmp: Path,
             fuzz: int = 300, seed: int = 1) -> tuple[int, int]:
    """5xx answers over the six absurd dates plus a bounded random fuzz of /api/v1."""
    paths, config, store = _kiosk(admin, server, tmp / "kiosk-fuzz")
    secret, tid = store.get(config.terminal.id), config.terminal.id
    session = requests.Session()

    def signed(method: str, path: str, body: bytes) -> int:
        h = sign_request(tid, secret, method, API_PREFIX + path, body, int(time.time()))
        h["Content-Type"] = "application/json"
        return session.request(method, server.url + API_PREFIX + path, data=body, headers=h,
                               timeout=30).status_code

    statuses = []
    for when in ABSURD:
        for offset in (0.0, -1e8, 1e8):
            punch = {"event_id": str(uuid.uuid4()), "terminal_id": tid, "seq": 1,
                     "badge": tokens["E0"], "wall_time": when, "clock_offset_s": offset,
                     "source": "camera", "app_version": "b"}
            statuses.append(signed("POST", "/punches", json.dumps({"punches": [punch]}).encode()))
        beat = {"app_version": "b", "pending": 0, "last_sync": when}
        statuses.append(signed("POST", "/heartbeat", json.dumps(beat).encode()))
    rng = random.Random(seed)
    values = [None, 0, -1, 2**63, 1e308, "", "x" * 300, "2026-11-02T08:00:00Z", ABSURD[0],
              ABSURD[1], [], {}, True]
    keys = ["punches", "event_id", "seq", "wall_time", "clock_offset_s", "code", "pending",
            "last_sync", "app_version", "badge"]
    for _ in range(fuzz):
        body = json.dumps({rng.choice(keys): rng.choice(values) for _ in range(rng.randint(0, 4))})
        path = rng.choice(["/punches", "/heartbeat", "/enroll", "/roster", "/time"])
        method = "GET" if path in ("/roster", "/time") else "POST"
        if rng.random() < 0.5:
            statuses.append(signed(method, path, body.encode()))
        else:
            statuses.append(session.request(method, server.url + API_PREFIX + path, data=body,
                                             timeout=30).status_code)
    session.close()
    return sum(s >= 500 for s in statuses), len(statuses)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def enroll_300mib(tmp: Path, mib: int = 300) -> tuple[float, int, float]:
    """RSS growth of a server process while a 300 MiB chunked body is sent to /enroll."""
    data = tmp / "rss-data"
    Admin.init(data).close()
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "server_stub.cli", "serve", "--data",
                             str(data), "--port", str(port), "--log-level", "warning"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}{API_PREFIX}"
        wait_for_http(url + "/time")
        before = _rss_mb(proc.pid)
        peak = before
        block = b'{"code": "' + b"x" * (1024 * 1024 - 10)

        def chunks():
            nonlocal peak
            for _ in range(mib):
                peak = max(peak, _rss_mb(proc.pid))
                yield block

        t0 = time.monotonic()
        try:
            status = requests.post(url + "/enroll", data=chunks(), timeout=60,
                                   headers={"Content-Type": "application/json"}).status_code
        except requests.ConnectionError:
            status = 0  # the server closed the connection on us: it did not read it all
        seconds = time.monotonic() - t0
        peak = max(peak, _rss_mb(proc.pid))
        return peak - before, status, seconds
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def guesses_before_429(server: EmbeddedServer, tries: int = 200) -> int:
    """Wrong enrolment codes answered (not 429) within one minute from one address."""
    n = 0
    t0 = time.monotonic()
    for i in range(tries):
        r = requests.post(server.url + API_PREFIX + "/enroll",
                          json={"code": f"GUESS-{i:04d}-XXXX"}, timeout=30)
        if r.status_code == 429 or time.monotonic() - t0 > 60:
            break
        n += 1
    return n


def world_readable(*folders: Path) -> list[str]:
    """Files anyone may read (database, -wal, -shm, keys, outbox, roster, config, logs)."""
    return [str(p) for f in folders for p in [f, *f.rglob("*")]
            if p.is_file() and not p.is_symlink() and p.stat().st_mode & 0o004]


def plaintext_in_db(data: Path, secrets: list[str]) -> int:
    raw = b"".join(p.read_bytes() for p in data.glob("server.sqlite3*"))
    return sum(s.encode() in raw for s in secrets)


def csv_formulas(admin: Admin, today: str) -> int:
    from server_stub.reports import to_csv

    rows = admin.attendance(today, today)
    cells = [c for row in csv.reader(io.StringIO(to_csv(rows), newline="")) for c in row]
    return sum(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)


def outbox_reset_reused(tmp: Path) -> int:
    """Sequence numbers used twice when a corrupt outbox is replaced (5 unsent punches)."""
    path = tmp / "reset" / "outbox.sqlite3"
    box = Outbox(path, SystemClock())
    first = [box.append(terminal_id="T", badge="KB1.k1.b.E.x.y.s", badge_id="b",
                        source=Source.CAMERA, wall_time=datetime.now(timezone.utc),
                        clock_offset_s=0.0, app_version="b").seq for _ in range(5)]
    box.close()
    path.write_bytes(b"garbage" * 1000)  # the file damaged on disk (the kiosk's folder stays)
    box = Outbox(path, SystemClock())
    again = [box.append(terminal_id="T", badge="KB1.k1.b.E.x.y.s", badge_id="b",
                        source=Source.CAMERA, wall_time=datetime.now(timezone.utc),
                        clock_offset_s=0.0, app_version="b").seq for _ in range(5)]
    box.close()
    return len(set(first) & set(again))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=int, default=300, help="size of the huge /enroll body")
    args = parser.parse_args(argv)
    os.environ.setdefault("KIOSK_LOG_TO_STDERR", "0")
    with tempfile.TemporaryDirectory(prefix="kiosk-trust-") as tmp_name:
        tmp = Path(tmp_name)
        admin, server, tokens = _world(tmp)
        try:
            guesses = guesses_before_429(server)  # first: the fuzz below fails codes too
            with db.write_txn(admin.engine) as conn:  # unblock 127.0.0.1 for the rest
                conn.execute(delete(db.rate_limits))
            fake = fake_server(admin, server, tokens, tmp)
            print(f"fake server answering 'accepted' without a receipt: {fake} of 25 punches "
                  "marked sent (before #11: all of them)")
            fives, total = http_5xx(admin, server, tokens, tmp)
            print(f"5xx over the six absurd dates + a fuzz of /api/v1: {fives} of {total} "
                  "requests (before: 6 of the 6 dates)")
            print(f"wrong enrolment codes answered before 429, one address, one minute: "
                  f"{guesses} (before: 7,289 in 15 s, never 429)")
            day = datetime.now(timezone.utc).date().isoformat()
            formulas = csv_formulas(admin, day)
            print(f"CSV report cells starting = + - @ tab CR: {formulas} (before: the names "
                  "came out verbatim)")
            kiosk_dirs = [tmp / "kiosk-fake", tmp / "kiosk-fuzz"]
            loose = world_readable(tmp / "server-data", *kiosk_dirs)
            print(f"world-readable files in the server's and the kiosks' data folders: "
                  f"{len(loose)} (before: the database, -wal, -shm, outbox)"
                  + "".join(f"\n  {p}" for p in loose))
            plain = plaintext_in_db(tmp / "server-data", [*tokens.values(), *SECRETS])
            print(f"plain secrets or badge tokens in the database files: {plain} (before: "
                  "every terminal secret and every punched token)")
        finally:
            server.stop()
            admin.close()
        growth, status, seconds = enroll_300mib(tmp, args.mib)
        print(f"{args.mib} MiB chunked to /enroll: server RSS +{growth:.1f} MB, answer "
              f"{status or 'connection closed'} after {seconds:.1f} s (before: +768 MB, "
              "read whole)")
        reused = outbox_reset_reused(tmp)
        print(f"sequence numbers reused after a replaced outbox: {reused} of 5 (before: 5)")
    result = {
        "fake_server_marked_sent": fake, "http_5xx": fives,
        "enroll_300mib_rss_growth_mb": round(growth, 1),
        "enroll_guesses_before_429": guesses, "world_readable_files": len(loose),
        "plaintext_secrets_in_db": plain, "csv_formula_cells": formulas,
        "outbox_reset_seq_reused": reused,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
