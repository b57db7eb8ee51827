"""The server scaled out (issue 13): PostgreSQL with one and two replicas, SQLite beside.

    python -m benchmarks.server_scale [--seconds 8] [--terminals 50] [--slow-terminals 1000]
        [--slow-seconds 30] [--kills 10] [--employees 2000] [--export-punches 240000]

Every server is a real ``kiosk-server serve`` process on 127.0.0.1; the PostgreSQL
database is created for the run (``$KIOSK_BENCH_PG_URL``, default the machine's
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) and dropped after it.

- ``punches_per_s_1_replica`` / ``_2_replicas``: ``--terminals`` terminals (threads, one
  keep-alive session each) post signed batches of 100 in a closed loop for ``--seconds``;
  with two replicas the terminals are split between them (as a load balancer would).
- ``p95_ms_1000_terminals``: ``--slow-terminals`` enrolled terminals as asyncio clients
  (:mod:`benchmarks.rawhttp`: one keep-alive connection each, every request freshly
  signed), each posting one punch every 10 s (random phase) for ``--slow-seconds``, spread
  over the two replicas; the figure is the p95 of the request latency, reconnects
  included. (httpx cost ~19 ms of client CPU per request here: at 100 requests/s the
  load generator took both cores and the figure measured the client.)
- ``replays_accepted_other_replica``: signed requests answered by one replica, replayed to
  the other (must be 0).
- ``replica_kills``, ``lost``, ``duplicates``, ``gaps``: :mod:`benchmarks.replicas` (six
  terminals with the kiosk's SyncClient failing over, one replica SIGKILLed ``--kills``
  times).
- perf's figures (issue 13 item 6, owned by the perf work; measured with whatever main has):
  ``report_month_2000_employees_s`` (``benchmarks.reports``' month of punches and its JSON
  report; on SQLite, and ``..._postgresql`` beside it), ``export_240k_peak_mb`` (peak RSS of ``kiosk-server export`` over
  ``--export-punches`` stored punches), ``upload_p95_ms_during_report`` (paced uploads to a
  server while the same server computes month reports over HTTP).

The client runs on the same cores as the servers and the database. The LAST line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from benchmarks import pg
from benchmarks.rawhttp import ConnectionDropped, RawConnection
from benchmarks.replicas import (
    FailoverTerminal,
    Replica,
    enrol,
    replays_accepted,
    run_kills,
    stored_rows,
    verify,
)
from benchmarks.server_ingest import SimTerminal, run_scenario
from kiosk.core.protocol import API_PREFIX, sign_request
from server_stub.admin import Admin

REPO = Path(__file__).resolve().parent.parent
PG_ENV = "KIOSK_BENCH_PG_URL"
N_STAFF = 200


@contextmanager
def pg_database() -> Iterator[str]:
    with pg.throwaway_database(os.environ.get(PG_ENV, pg.DEFAULT_PG_URL)) as url:
        yield url


def make_site(data: Path, url: str | None) -> tuple[Admin, list[str]]:
    admin = Admin.init(data, database_url=url)
    admin.add_site("HQ", "Head office", "Europe/Berlin")
    admin.add_shift("day", "09:00", "17:00", 5, weekdays="all")
    tokens = []
    for i in range(N_STAFF):
        admin.add_employee(f"E{i:04d}", f"Person {i}", "HQ", "day")
        # issued a month ago, as real badges are: the load's punch times (up to 10 h back)
        # must fall inside the badge's validity, or the figure counts rejections
        issued = datetime.now(timezone.utc) - timedelta(days=30)
        tokens.append(admin.issue_badge(f"E{i:04d}", issued_at=issued).token)
    return admin, tokens


@contextmanager
def replicas(data: Path, n: int) -> Iterator[list[Replica]]:
    started: list[Replica] = []
    try:
        for _ in range(n):
            r = Replica(data)
            r.start()
            started.append(r)
        yield started
    finally:
        for r in started:
            r.stop()


def throughput(admin: Admin, tokens: list[str], urls: list[str], terminals: int,
               seconds: float) -> float:
    terms = []
    for i in range(terminals):
        url = urls[i % len(urls)]
        tid, secret = enrol(url, admin.add_terminal(f"Load {uuid.uuid4().hex[:6]}", "HQ"))
        terms.append(SimTerminal(url, tid, secret, tokens))
    try:
        return run_scenario(terms, 100, seconds)["punches_per_s"]
    finally:
        for t in terms:
            t.session.close()


# -- many slow terminals (asyncio, benchmarks.rawhttp) -----------------------------------
async def _slow_terminals(creds: list[tuple[str, str, str]], tokens: list[str],
                          seconds: float, every_s: float = 10.0) -> list[float]:
    latencies: list[float] = []
    errors: list[str] = []
    dropped, failed = [0], [0]
    start = time.monotonic()
    conns: list[RawConnection] = []

    async def one(url: str, tid: str, secret: str, rng: random.Random) -> None:
        conn = RawConnection(url)
        conns.append(conn)
        seq = 0
        next_at = start + rng.random() * every_s
        while next_at < start + seconds:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += every_s
            seq += 1
            body = json.dumps({"punches": [{
                "event_id": str(uuid.uuid4()), "terminal_id": tid, "seq": seq,
                "badge": rng.choice(tokens),
                "wall_time": datetime.now(timezone.utc).isoformat(),
                "clock_offset_s": 0.0, "source": "camera", "app_version": "bench"}]}).encode()
            path = API_PREFIX + "/punches"
            t0 = time.perf_counter()
            answer = None
            for _ in range(3):  # a connection the server closed (idle, or overloaded)
                h = sign_request(tid, secret, "POST", path, body, int(time.time()))
                h["Content-Type"] = "application/json"
                try:
                    answer = await conn.post(path, body, h)
                    break
                except (ConnectionDropped, OSError):
                    dropped[0] += 1
            if answer is None:
                failed[0] += 1  # counted and reported, not timed
                continue
            latencies.append(time.perf_counter() - t0)
            if answer[0] != 200:
                errors.append(f"{answer[0]} {answer[1][:100]!r}")
        conn.close()

    await asyncio.gather(*(one(u, t, s, random.Random(t)) for u, t, s in creds))
    if errors:
        raise SystemExit(f"{len(errors)} slow-terminal request(s) failed, first: {errors[0]}")
    if dropped[0]:
        print(f"  ({dropped[0]} connection(s) dropped by the server; {failed[0]} request(s) "
              "failed three times and are not in the latencies)")
    print(f"  ({sum(c.connects for c in conns)} connections opened for {len(latencies)} "
          "requests)")
    return latencies


async def _enrol_all(codes: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    import httpx

    sem = asyncio.Semaphore(20)
    async with httpx.AsyncClient(timeout=60) as client:
        async def one(url: str, code: str) -> tuple[str, str, str]:
            async with sem:
                r = await client.post(url + API_PREFIX + "/enroll",
                                      json={"code": code, "app_version": "bench"})
                r.raise_for_status()
                b = r.json()
                return url, b["terminal_id"], b["secret"]

        return list(await asyncio.gather(*(one(u, c) for u, c in codes)))


def p95_many_terminals(admin: Admin, tokens: list[str], urls: list[str], n: int,
                       seconds: float) -> dict[str, float]:
    codes = [(urls[i % len(urls)], admin.add_terminal(f"Slow {i}", "HQ")) for i in range(n)]
    creds = asyncio.run(_enrol_all(codes))
    lat = sorted(asyncio.run(_slow_terminals(creds, tokens, seconds)))
    q = statistics.quantiles(lat, n=100)
    return {"p95_ms": q[94] * 1000, "p50_ms": q[49] * 1000, "requests": len(lat)}


def kills_figures(admin: Admin, tokens: list[str], data: Path, kills: int) -> dict[str, int]:
    with replicas(data, 2) as (a, b):
        creds = [enrol(a.url, admin.add_terminal(f"Chaos {i}", "HQ")) for i in range(6)]
        replays = replays_accepted(a.url, b.url, *creds[0], tokens[0]) + replays_accepted(
            b.url, a.url, *creds[0], tokens[0])
        deadline = time.monotonic() + 60 + 15 * kills
        terms = [FailoverTerminal([b.url, a.url] if i == 0 else [a.url, b.url], tid, secret,
                                  tokens, 20000, 10, deadline) for i, (tid, secret) in
                 enumerate(creds)]
        done = run_kills(a, terms, kills, deadline=deadline)
    if any(t.error for t in terms):
        raise SystemExit(f"a terminal failed: {[t.error for t in terms if t.error][0]}")
    v = verify(terms, stored_rows(admin.engine, [t.terminal_id for t in terms]))
    return {"replays_accepted_other_replica": replays, "replica_kills": done,
            "stored": v["stored"], "lost": v["lost"], "duplicates": v["duplicates"],
            "gaps": v["gaps"]}


# -- perf's figures (item 6), measured with main's code --------------------------------
def _insert_punches(admin: Admin, n: int, employees: int) -> None:
    from sqlalchemy import insert

    from server_stub import db

    rnd = random.Random(7)
    t0 = datetime(2026, 9, 1, 8, tzinfo=timezone.utc).timestamp()
    verdict = json.dumps({"status": "accepted", "direction": "check_in", "duplicate": False})
    with db.write_txn(admin.engine) as conn:
        for k in range(0, n, 5000):
            rows = []
            for i in range(k, min(n, k + 5000)):
                ts = t0 + (i // (2 * employees)) * 86400 + (i % 2) * 30000 + rnd.random()
                rows.append({
                    "event_id": str(uuid.UUID(int=rnd.getrandbits(128))), "terminal_id": "T1",
                    "seq": i + 1, "badge_id": "b", "employee_id": f"X{(i // 2) % employees:05d}",
                    "site": "HQ", "wall_time": ts, "clock_offset_s": 0.0, "punch_time": ts,
                    "received_at": ts, "source": "camera", "app_version": "bench",
                    "content_hash": "", "status": "accepted", "reason": None,
                    "work_date": datetime.fromtimestamp(ts, timezone.utc).date().isoformat(),
                    "verdict": verdict, "badge": ""})
            conn.execute(insert(db.punches), rows)


def export_peak_mb(data: Path, out: Path) -> tuple[float, float]:
    """Peak RSS (MB) and seconds of ``kiosk-server export`` in a fresh process.

    The peak is the child's VmHWM: ``ru_maxrss`` keeps the parent's peak across exec on
    Linux (this benchmark's own process reached 244 MB and the export was reported so).
    """
    code = ("import resource,sys,time;from server_stub import cli;t=time.perf_counter();"
            "rc=cli.main(sys.argv[1:]);"
            "kb=[int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmHWM')]"
            " if sys.platform=='linux' else [];"
            "print((kb or [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss])[0],"
            " time.perf_counter()-t);"
            "sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code, "export", "--data", str(data), "--out",
                        str(out)], capture_output=True, text=True, timeout=1800,
                       env={**os.environ, "PYTHONPATH": str(REPO)})
    if r.returncode != 0:
        raise SystemExit(f"export failed: {r.stderr[-300:]}")
    kb, secs = r.stdout.split()[-2:]
    return int(kb) / 1024, float(secs)


def report_month_s(folder: Path, employees: int, url: str | None) -> float:
    """The month JSON report alone (benchmarks.reports' data and path) on ``url``."""
    from benchmarks import reports

    admin = reports.build(folder, employees, database_url=url)
    seconds, _ = reports.best(lambda: reports.month_json(admin), 1)
    admin.close()  # type: ignore[attr-defined]
    return seconds


def report_figures(folder: Path, employees: int) -> dict[str, float]:
    from benchmarks import reports  # perf's benchmark: its data and its report path

    admin = reports.build(folder, employees)
    seconds, _ = reports.best(lambda: reports.month_json(admin), 1)
    admin.close()  # type: ignore[attr-defined]
    # uploads while the same server computes month reports over HTTP
    with replicas(folder, 1) as (srv,):
        a = Admin.open(folder)
        a.add_shift("any", "09:00", "17:00", 5, weekdays="all")
        a.add_employee("U1", "Uploader", "HQ", "any")
        token = a.issue_badge("U1").token
        terms = []
        for i in range(10):
            tid, secret = enrol(srv.url, a.add_terminal(f"Paced {i}", "HQ"))
            terms.append(SimTerminal(srv.url, tid, secret, [token]))
        stop = threading.Event()
        reports_done = [0]

        def report_loop() -> None:
            while not stop.is_set():
                requests.get(srv.url + API_PREFIX + "/reports/attendance",
                             params={"date_from": "2026-11-01", "date_to": "2026-11-30"},
                             timeout=600)
                reports_done[0] += 1

        th = threading.Thread(target=report_loop, daemon=True)
        th.start()
        time.sleep(0.5)
        paced = run_scenario(terms, 1, max(8.0, seconds * 3), interval=0.5)
        stop.set()
        th.join(600)
        a.close()
    return {"report_month_s": seconds, "upload_p95_ms_during_report": paced["p95_ms"],
            "reports_during": reports_done[0]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--terminals", type=int, default=50)
    ap.add_argument("--slow-terminals", type=int, default=1000)
    ap.add_argument("--slow-seconds", type=float, default=30.0)
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--employees", type=int, default=2000)
    ap.add_argument("--export-punches", type=int, default=240_000)
    ap.add_argument("--skip-perf", action="store_true", help="leave out perf's figures")
    ap.add_argument("--backends", nargs="*", choices=["postgresql", "sqlite"],
                    default=["postgresql", "sqlite"])
    args = ap.parse_args(argv)
    fig: dict[str, float | int | str] = {}
    with tempfile.TemporaryDirectory(prefix="kiosk-scale-") as tmp:
        root = Path(tmp)
        with pg_database() as pg_url:
            for label, url in (("postgresql", pg_url), ("sqlite", None)):
                if label not in args.backends:
                    continue
                suffix = "" if label == "postgresql" else "_sqlite"
                data = root / f"data-{label}"
                admin, tokens = make_site(data, url)
                for n in (1, 2):
                    with replicas(data, n) as reps:
                        pps = throughput(admin, tokens, [r.url for r in reps], args.terminals,
                                         args.seconds)
                    key = f"punches_per_s_{n}_replica{'s' if n > 1 else ''}{suffix}"
                    fig[key] = round(pps)
                    print(f"{label:10} {n} replica(s), {args.terminals} terminals, batches "
                          f"of 100: {pps:,.0f} punches/s", flush=True)
                with replicas(data, 2) as reps:
                    m = p95_many_terminals(admin, tokens, [r.url for r in reps],
                                           args.slow_terminals, args.slow_seconds)
                fig[f"p95_ms_1000_terminals{suffix}"] = round(m["p95_ms"], 1)
                print(f"{label:10} 2 replicas, {args.slow_terminals} terminals x 1 punch/10 s "
                      f"for {args.slow_seconds:g} s: p95 {m['p95_ms']:.1f} ms, p50 "
                      f"{m['p50_ms']:.1f} ms ({m['requests']} requests)", flush=True)
                if label == "postgresql":
                    k = kills_figures(admin, tokens, data, args.kills)
                    fig.update({key: k[key] for key in (
                        "replays_accepted_other_replica", "replica_kills", "lost",
                        "duplicates", "gaps")})
                    print(f"{label:10} replays accepted by the other replica: "
                          f"{k['replays_accepted_other_replica']}; {k['replica_kills']} kill -9 "
                          f"of one replica while 6 terminals uploaded: {k['stored']} stored, "
                          f"lost {k['lost']}, duplicates {k['duplicates']}, gaps {k['gaps']}",
                          flush=True)
                admin.close()
        if not args.skip_perf:
            r = report_figures(root / "reports", args.employees)
            fig["report_month_2000_employees_s"] = round(r["report_month_s"], 2)
            fig["upload_p95_ms_during_report"] = round(r["upload_p95_ms_during_report"], 1)
            print(f"perf's     sqlite, month report for {args.employees} employees (JSON): "
                  f"{r['report_month_s']:.2f} s; upload p95 while {r['reports_during']} "
                  f"report(s) ran on the same server: "
                  f"{r['upload_p95_ms_during_report']:.1f} ms", flush=True)
            with pg_database() as pg_url:  # the same month report on PostgreSQL, beside it
                secs = report_month_s(root / "reports-postgresql", args.employees, pg_url)
            fig["report_month_2000_employees_s_postgresql"] = round(secs, 2)
            print(f"perf's     postgresql, month report for {args.employees} employees "
                  f"(JSON): {secs:.2f} s", flush=True)
            data = root / "export"
            admin = Admin.init(data)
            admin.add_site("HQ", "Head office", "UTC")
            _insert_punches(admin, args.export_punches, args.employees)
            admin.close()
            mb, secs = export_peak_mb(data, root / "export.jsonl")
            fig["export_240k_peak_mb"] = round(mb)
            print(f"perf's     sqlite, export of {args.export_punches:,} punches: peak "
                  f"{mb:,.0f} MB RSS, {secs:.1f} s", flush=True)
            fig["perf_figures"] = ("report_month_2000_employees_s, export_240k_peak_mb, "
                                   "upload_p95_ms_during_report (item 6, main's code)")
    fig["goals"] = ("punches_per_s_2_replicas >= 10000 (bar 5000); p95_ms_1000_terminals < 100; "
                    "report <= 1 s; export < 200 MB; upload p95 during report < 100 ms; "
                    "replays, lost, duplicates, gaps 0")
    print(json.dumps(fig))
    return 0


if __name__ == "__main__":
    sys.exit(main())
