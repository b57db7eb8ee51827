"""How fast the outbox records and drains, next to the physical limit measured in the same run.

    python -m benchmarks.outbox [--appends 2000] [--drain 10000]

1. Raw SQLite: single-row INSERT commits per second on a WAL + synchronous=FULL file (what
   the disk allows for durable one-row transactions), alternated with
2. :meth:`Outbox.append`: durable punches per second (seq assignment included).
3. Drain: 10,000 buffered punches sent by :class:`SyncEngine` to the real server, which
   runs in a separate process on 127.0.0.1, in batches of 500 (the protocol maximum).

Last line: one JSON object with ``append_per_s``, ``raw_commit_per_s``, ``drain_per_s``.
Aim: appends >= half the raw rate; drain >= 1,000 punches/s.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_SERVER = """
import sys, time
from pathlib import Path
from server_stub.runner import EmbeddedServer
srv = EmbeddedServer(Path(sys.argv[1]))
srv.start()
print(srv.url, flush=True)
sys.stdin.read()  # run until the parent closes our stdin
srv.stop()
"""


def raw_commits(path: Path, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    payload = "x" * 200  # about one punch row
    start = time.perf_counter()
    for _ in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (v) VALUES (?)", (payload,))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


def outbox_appends(path: Path, n: int, token: str = "KB1." + "x" * 118) -> float:
    from kiosk.core.clock import SystemClock
    from kiosk.core.protocol import Source
    from kiosk.store import Outbox

    clock = SystemClock()
    box = Outbox(path, clock)
    start = time.perf_counter()
    for _ in range(n):
        box.append(terminal_id="tbench", badge=token, badge_id="b1", source=Source.CAMERA,
                   wall_time=clock.now(), clock_offset_s=0.0, app_version="bench")
    elapsed = time.perf_counter() - start
    box.close()
    return n / elapsed


def drain(workdir: Path, n: int) -> dict:
    from kiosk.core.clock import SystemClock
    from kiosk.core.paths import default_paths
    from kiosk.core.protocol import Source
    from kiosk.store import Outbox
    from kiosk.sync.engine import SyncEngine
    from kiosk.sync.enroll import enroll
    from kiosk.sync.secrets import FileSecretStore, default_secret_file
    from server_stub.admin import Admin

    data_dir = workdir / "server-data"
    admin = Admin.init(data_dir)
    admin.add_site("HQ", "Head office")
    badges = []
    for i in range(50):
        admin.add_employee(f"B{i:03d}", f"Bench {i}", "HQ")
        b = admin.issue_badge(f"B{i:03d}")
        badges.append((b.badge_id, b.token))
    code = admin.add_terminal("Bench door", "HQ")
    admin.close()

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", _SERVER, str(data_dir)], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError("the server process did not start")
        paths = default_paths(workdir / "kiosk").ensure()
        store = FileSecretStore(default_secret_file(paths))
        cfg = enroll(url, code, paths, store)
        cfg.sync.batch_size = 500
        clock = SystemClock()
        box = Outbox(paths.outbox_file, clock)
        engine = SyncEngine(cfg, box, store, clock)
        engine.sync_once()  # warm up on an empty outbox: time, roster, heartbeat
        for i in range(n):
            badge_id, token = badges[i % len(badges)]
            box.append(terminal_id=cfg.terminal.id, badge=token, badge_id=badge_id,
                       source=Source.CAMERA, wall_time=clock.now(), clock_offset_s=0.0,
                       app_version="bench")
        pending_before = box.stats().pending
        start = time.perf_counter()
        report = engine.sync_once()
        elapsed = time.perf_counter() - start
        left = box.stats().pending
        box.close()
        if report.error or left:
            raise RuntimeError(f"drain incomplete: {report.error}, {left} left")
        return {"drained": pending_before, "seconds": elapsed,
                "per_s": pending_before / elapsed, "accepted": report.accepted,
                "rejected": report.rejected}
    finally:
        proc.stdin.close()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--appends", type=int, default=1000, help="rows per measuring round")
    parser.add_argument("--drain", type=int, default=10_000, help="punches to drain")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-", dir=None) as tmp:
        work = Path(tmp)
        raw, app = [], []
        for r in range(args.rounds):  # alternate, so both see the same disk weather
            raw.append(raw_commits(work / f"raw{r}.sqlite3", args.appends))
            app.append(outbox_appends(work / f"outbox{r}.sqlite3", args.appends))
            print(f"round {r + 1}: raw WAL+FULL commits {raw[-1]:8.0f}/s   "
                  f"outbox appends {app[-1]:8.0f}/s", flush=True)
        raw_rate = sum(raw) / len(raw)
        app_rate = sum(app) / len(app)
        print(f"durable appends: {app_rate:.0f}/s = {app_rate / raw_rate:.0%} of the raw "
              f"single-row commit rate ({raw_rate:.0f}/s); aim >= 50%")
        d = drain(work / "drain", args.drain)
        print(f"drain: {d['drained']} punches in {d['seconds']:.2f} s = {d['per_s']:.0f}/s "
              f"into the real server on loopback (batches of 500; {d['accepted']} accepted, "
              f"{d['rejected']} rejected); aim >= 1000/s")
    print(json.dumps({
        "append_per_s": round(app_rate, 1), "raw_commit_per_s": round(raw_rate, 1),
        "append_vs_raw": round(app_rate / raw_rate, 3), "drain_per_s": round(d["per_s"], 1),
        "drained": d["drained"],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
