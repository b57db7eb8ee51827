"""How fast the outbox records and drains, next to the physical limit measured in the same run.

    python -m benchmarks.outbox [--appends 2000] [--drain 10000]

1. Raw SQLite: single-row INSERT commits per second on a WAL + synchronous=FULL file (what
   the disk allows for durable one-row transactions), alternated in chunks of 100 with
2. :meth:`Outbox.append`: durable punches per second (seq assignment included), so both
   see the same disk weather on a shared machine.
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


class _Raw:
    """Plain single-row commits on a WAL + FULL file: the disk's limit for durable rows."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        self.payload = "x" * 200  # about one punch row

    def run(self, n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("INSERT INTO t (v) VALUES (?)", (self.payload,))
            self.conn.execute("COMMIT")
        return time.perf_counter() - start


class _Appends:
    """Durable punches through the real :class:`Outbox`."""

    def __init__(self, path: Path) -> None:
        from kiosk.core.clock import SystemClock
        from kiosk.store import Outbox

        self.clock = SystemClock()
        self.box = Outbox(path, self.clock)
        self.token = "KB1." + "x" * 118

    def run(self, n: int) -> float:
        from kiosk.core.protocol import Source

        start = time.perf_counter()
        for _ in range(n):
            self.box.append(terminal_id="tbench", badge=self.token, badge_id="b1",
                            source=Source.CAMERA, wall_time=self.clock.now(),
                            clock_offset_s=0.0, app_version="bench")
        return time.perf_counter() - start


def commit_rates(workdir: Path, total: int, chunk: int) -> tuple[float, float]:
    """(raw commits/s, appends/s), measured in alternating chunks: the same disk weather."""
    raw, app = _Raw(workdir / "raw.sqlite3"), _Appends(workdir / "outbox.sqlite3")
    t_raw = t_app = 0.0
    done = 0
    while done < total:
        n = min(chunk, total - done)
        t_raw += raw.run(n)
        t_app += app.run(n)
        done += n
    raw.conn.close()
    app.box.close()
    return total / t_raw, total / t_app


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
    parser.add_argument("--appends", type=int, default=3000, help="rows of each kind")
    parser.add_argument("--drain", type=int, default=10_000, help="punches to drain")
    parser.add_argument("--chunk", type=int, default=100, help="rows per alternation")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-", dir=None) as tmp:
        work = Path(tmp)
        raw_rate, app_rate = commit_rates(work, args.appends, args.chunk)
        print(f"raw WAL+FULL single-row commits: {raw_rate:.0f}/s; outbox appends: "
              f"{app_rate:.0f}/s ({args.appends} each, alternating chunks of {args.chunk})")
        print(f"durable appends = {app_rate / raw_rate:.0%} of the raw commit rate; aim >= 50%")
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
