"""Server ingest figures: punches/s and request latency on loopback.

    python -m benchmarks.server_ingest [--seconds 4] [--terminals 50] [--interval 0.5]

Starts ``kiosk-server serve`` in a separate process on a fresh data folder (SQLite file,
WAL, synchronous=FULL), enrols simulated terminals (threads, one requests.Session each,
keep-alive) that post signed batches for a bounded time and count:

- closed loop, batch 1 and 100, 1 and 50 terminals: each terminal sends its next request
  as soon as the answer arrives. This is the saturation throughput; with 50 terminals the
  latency is then mostly queueing (50 requests always in flight).
- paced, 50 terminals, batch 1: each terminal uploads a punch every ``--interval`` s
  (default 0.5 s = 100 uploads/s in total, several times a real morning rush at 50 doors).
  ``p95_ms_50_terminals`` is this figure; the saturated one is reported next to it.

The client runs on the same 2 cores as the server, so it competes with it for CPU. Prints
a table and, as the last line, one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from kiosk.core.protocol import API_PREFIX, sign_request
from server_stub.admin import Admin

REPO = Path(__file__).resolve().parent.parent
N_EMPLOYEES = 200
MAX_REQUESTS_PER_TERMINAL = 5000  # a bound besides the time limit


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "server_stub.cli", "serve", "--data", str(data), "--port",
         str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server failed to start: {proc.stderr.read().decode()[-500:]}")
        try:
            requests.get(f"http://127.0.0.1:{port}{API_PREFIX}/time", timeout=1)
            return proc
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start within 30 s")


class SimTerminal:
    """One terminal: its own session, sequence numbers and pre-built punch bodies."""

    def __init__(self, url: str, terminal_id: str, secret: str, tokens: list[str]) -> None:
        self.url = url
        self.terminal_id = terminal_id
        self.secret = secret
        self.tokens = tokens
        self.session = requests.Session()
        self.seq = 0
        self.rng = random.Random(terminal_id)

    def body(self, size: int) -> bytes:
        now = datetime.now(timezone.utc)
        punches = []
        for _ in range(size):
            self.seq += 1
            punches.append({
                "event_id": str(uuid.uuid4()), "terminal_id": self.terminal_id, "seq": self.seq,
                "badge": self.rng.choice(self.tokens),
                "wall_time": (now - timedelta(seconds=self.rng.randint(0, 36000))).isoformat(),
                "clock_offset_s": 0.0, "source": "camera", "app_version": "bench",
            })
        return json.dumps({"punches": punches}).encode()

    def post(self, body: bytes) -> float:
        path = API_PREFIX + "/punches"
        headers = sign_request(self.terminal_id, self.secret, "POST", path, body, int(time.time()))
        headers["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        r = self.session.post(self.url + path, data=body, headers=headers, timeout=60)
        elapsed = time.perf_counter() - t0
        if r.status_code != 200:
            raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")
        return elapsed


def run_scenario(
    terms: list[SimTerminal], batch: int, seconds: float, interval: float = 0.0
) -> dict[str, float]:
    """All terminals post until the time (or request) limit.

    ``interval == 0``: closed loop, the next request as soon as the answer is in (the
    server's saturation throughput; latency is then mostly queueing). ``interval > 0``:
    each terminal starts a request every ``interval`` seconds (a paced, realistic load).
    """
    latencies: list[float] = []
    punches = [0]
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(terms) + 1)
    stop_at = [0.0]

    def worker(t: SimTerminal) -> None:
        # Pre-build bodies (a real terminal has its punches serialised in its outbox);
        # fewer per terminal when many terminals, to bound memory and keep-alive idling.
        bodies = [t.body(batch) for _ in range(48 if len(terms) == 1 else 8)]
        t.session.get(t.url + API_PREFIX + "/time", timeout=30)  # fresh keep-alive connection
        start.wait()
        mine: list[float] = []
        i = 0
        try:
            next_at = time.monotonic() + (t.rng.random() * interval)  # spread the starts
            while time.monotonic() < stop_at[0] and i < MAX_REQUESTS_PER_TERMINAL:
                if interval:
                    time.sleep(max(0.0, next_at - time.monotonic()))
                    next_at += interval
                body = bodies[i] if i < len(bodies) else t.body(batch)
                mine.append(t.post(body))
                i += 1
        except Exception as exc:  # noqa: BLE001 - reported, bench fails loudly below
            errors.append(str(exc))
        with lock:
            latencies.extend(mine)
            punches[0] += len(mine) * batch

    threads = [threading.Thread(target=worker, args=(t,)) for t in terms]
    for th in threads:
        th.start()
    t0 = time.monotonic()
    stop_at[0] = t0 + seconds
    start.wait()
    t0 = time.monotonic()
    stop_at[0] = t0 + seconds
    for th in threads:
        th.join(timeout=seconds + 120)
    wall = time.monotonic() - t0
    if errors:
        raise SystemExit(f"{len(errors)} terminal(s) failed, first: {errors[0]}")
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else latencies * 99
    return {
        "batch": batch, "terminals": len(terms), "requests": len(latencies),
        "load": f"every {interval:g} s" if interval else "closed loop",
        "punches_per_s": punches[0] / wall, "p50_ms": q[49] * 1000, "p95_ms": q[94] * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=4.0, help="per scenario (default 4)")
    ap.add_argument("--terminals", type=int, default=50)
    ap.add_argument("--interval", type=float, default=0.5,
                    help="paced load: seconds between a terminal's uploads (default 0.5)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        data = Path(tmp) / "server"
        admin = Admin.init(data)
        admin.add_site("HQ", "Head office", "Europe/Berlin")
        admin.add_shift("day", "09:00", "17:00", 5, weekdays="all")
        tokens = []
        for i in range(N_EMPLOYEES):
            admin.add_employee(f"E{i:05d}", f"Employee {i}", "HQ", "day")
            issued = datetime.now(timezone.utc) - timedelta(days=30)
            tokens.append(admin.issue_badge(f"E{i:05d}", issued_at=issued).token)
        codes = [admin.add_terminal(f"T{i}", "HQ") for i in range(args.terminals)]
        admin.close()
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        proc = _start_server(data, port)
        try:
            terms = []
            for code in codes:
                r = requests.post(url + API_PREFIX + "/enroll", json={"code": code}, timeout=30)
                r.raise_for_status()
                e = r.json()
                terms.append(SimTerminal(url, e["terminal_id"], e["secret"], tokens))
            results = []
            for batch, n in ((1, 1), (100, 1), (1, args.terminals), (100, args.terminals)):
                results.append(run_scenario(terms[:n], batch, args.seconds))
            # Paced: each terminal uploads one punch every --interval s (batch 100 is what
            # a terminal sends when draining a backlog, not a steady rate, so not paced).
            results.append(run_scenario(terms, 1, args.seconds, args.interval))
            for t in terms:
                t.session.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(f"{'batch':>6} {'terminals':>10} {'load':>14} {'requests':>9} {'punches/s':>10} "
          f"{'p50 ms':>8} {'p95 ms':>8}")
    for r in results:
        print(f"{r['batch']:>6} {r['terminals']:>10} {r['load']:>14} {r['requests']:>9} "
              f"{r['punches_per_s']:>10.0f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f}")
    n = args.terminals
    closed = {(r["batch"], r["terminals"]): r for r in results[:4]}
    paced = results[4]
    figures = {
        # Throughput: closed loop (saturation).
        "punches_per_s_batch1": round(closed[(1, 1)]["punches_per_s"]),
        "punches_per_s_batch100": round(closed[(100, 1)]["punches_per_s"]),
        "punches_per_s_batch1_50_terminals": round(closed[(1, n)]["punches_per_s"]),
        "punches_per_s_batch100_50_terminals": round(closed[(100, n)]["punches_per_s"]),
        "p50_ms_batch1": round(closed[(1, 1)]["p50_ms"], 1),
        "p95_ms_batch1": round(closed[(1, 1)]["p95_ms"], 1),
        "p50_ms_batch100": round(closed[(100, 1)]["p50_ms"], 1),
        "p95_ms_batch100": round(closed[(100, 1)]["p95_ms"], 1),
        # Latency with 50 terminals: paced (each uploads every --interval s).
        "p50_ms_50_terminals": round(paced["p50_ms"], 1),
        "p95_ms_50_terminals": round(paced["p95_ms"], 1),
        # ... and saturated (closed loop: latency = queue length / throughput).
        "p95_ms_50_terminals_saturated": round(closed[(1, n)]["p95_ms"], 1),
        "p95_ms_50_terminals_batch100_saturated": round(closed[(100, n)]["p95_ms"], 1),
        "terminals": n,
        "interval_s": args.interval,
        "seconds_per_scenario": args.seconds,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
