"""The push channel (issue 15): revocation latency, memory per stream, mass reconnect.

    python -m benchmarks.push [--terminals 500] [--revocations 20] [--outage-events 5]

Two real ``kiosk-server serve`` processes on 127.0.0.1 share one throw-away PostgreSQL
database (``$KIOSK_BENCH_PG_URL``, default the local server; dropped after the run). The
terminals are simulated in this process: one asyncio task and one ``httpx`` stream each,
signed like the kiosk, every event's signature checked, resumed after the last id on a
reconnect, half of them on each replica.

- ``revocation_p95_s``: from the start of ``revoke-badge`` (the admin API, in this
  process, a separate database session like the CLI) to the moment each terminal holds
  the verified ``badge_revoked`` event, which is when the kiosk refuses that badge (the
  event updates its roster in memory first); p95 over every terminal and revocation.
- ``rss_per_stream_kb``: the two replicas' resident memory with all streams open minus
  with the first 5 % open (after a burst of concurrent requests has started every worker
  thread and filled the database pool), per stream added.
- ``reconnect_all_s``: one replica is SIGKILLed; seconds until every terminal has a
  verified ``hello`` again (the orphaned half fail over to the other replica, with a
  random 0-1 s start like the kiosk's jittered backoff).
- ``events_lost``: (terminal, event) pairs missing at the end, counting the revocations
  made while the replica was dead and its terminals were reconnecting.

The client, both servers and PostgreSQL share this machine's cores. The LAST line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.replicas import Replica
from benchmarks.server_scale import pg_database
from kiosk.core.protocol import API_PREFIX, sign_request
from kiosk.core.protocol import events as wire
from kiosk.core.protocol.signing import new_nonce
from server_stub import secretbox, service
from server_stub.admin import Admin
from server_stub.push import events as push_events

GOALS = {"revocation_p95_s": 2.0, "rss_per_stream_kb": 50.0, "reconnect_all_s": 10.0,
         "events_lost": 0}


@dataclass
class Sim:
    terminal_id: str
    secret: str
    urls: list[str]
    last: int | None = None
    hello_at: float | None = None  # monotonic time of the last verified hello
    on: str | None = None  # the replica holding its stream (after the hello)
    connects: int = 0
    got: dict[int, float] = field(default_factory=dict)  # event id -> monotonic arrival
    bad: int = 0


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _terminal(sim: Sim, client: object, stop: asyncio.Event) -> None:
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    while not stop.is_set():
        url = sim.urls[0]
        nonce = new_nonce()
        path = API_PREFIX + "/events" + ("" if sim.last is None else f"?after={sim.last}")
        headers = sign_request(sim.terminal_id, sim.secret, "GET", path, b"",
                               int(time.time()), nonce)
        try:
            async with client.stream("GET", url + path, headers=headers) as resp:
                if resp.status_code != 200:
                    raise httpx.HTTPError(f"status {resp.status_code}")
                parser = wire.SseParser()
                async for line in resp.aiter_lines():
                    raw = parser.feed(line.encode())
                    if raw is None:
                        continue
                    try:
                        ev = wire.verify(raw, sim.secret, nonce)
                    except wire.BadEvent:
                        sim.bad += 1
                        continue
                    if ev.kind == wire.HELLO:
                        if sim.last is None:
                            sim.last = ev.id
                        sim.hello_at = time.monotonic()
                        sim.on = url
                        sim.connects += 1
                    elif sim.last is None or ev.id > sim.last:
                        sim.got[ev.id] = time.monotonic()
                        sim.last = ev.id
        except (httpx.HTTPError, OSError):
            pass
        if stop.is_set():
            return
        sim.hello_at = None
        sim.on = None
        sim.urls.append(sim.urls.pop(0))  # fail over: the other replica first
        await asyncio.sleep(random.uniform(0.0, 1.0))


async def _until(cond: object, timeout: float) -> bool:
    assert callable(cond)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        await asyncio.sleep(0.01)
    return bool(cond())


async def _run(admin: Admin, badges: list[str], sims: list[Sim], a: Replica, b: Replica,
               revocations: int, outage_events: int) -> dict[str, float | int]:
    import httpx

    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=len(sims) + 50, max_keepalive_connections=0)
    timeout = httpx.Timeout(5.0, read=60.0)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        tasks: list[asyncio.Task[None]] = []
        warm = max(1, len(sims) // 20)
        for sim in sims[:warm]:
            tasks.append(asyncio.create_task(_terminal(sim, client, stop)))
        assert await _until(lambda: all(s.hello_at for s in sims[:warm]), 60)
        # Warm what every server has whatever its streams: the worker threads and the
        # database pool (a burst of concurrent requests on each), so what follows is the
        # cost of the streams alone.
        for _ in range(3):
            await asyncio.gather(*[client.get(r.url + API_PREFIX + "/health")
                                   for r in (a, b) for _ in range(60)])
        await asyncio.sleep(1.0)
        rss_warm = _rss_kb(a.proc.pid) + _rss_kb(b.proc.pid)  # type: ignore[union-attr]
        t_connect = time.monotonic()
        for sim in sims[warm:]:
            tasks.append(asyncio.create_task(_terminal(sim, client, stop)))
        assert await _until(lambda: all(s.hello_at for s in sims), 120), "streams did not open"
        connect_all_s = time.monotonic() - t_connect
        await asyncio.sleep(1.0)
        rss_all = _rss_kb(a.proc.pid) + _rss_kb(b.proc.pid)  # type: ignore[union-attr]
        rss_per_stream = (rss_all - rss_warm) / max(1, len(sims) - warm)

        latencies: list[float] = []
        emitted: list[int] = []
        for badge in badges[:revocations]:
            t0 = time.monotonic()
            await asyncio.to_thread(admin.revoke_badge, badge)
            eid = await asyncio.to_thread(push_events.newest_id, admin.engine)
            emitted.append(eid)
            await _until(lambda e=eid: all(e in s.got for s in sims), 15)
            latencies.extend(s.got[eid] - t0 for s in sims if eid in s.got)
            await asyncio.sleep(0.2)

        victim_pid = a.proc.pid  # type: ignore[union-attr]
        orphans = [s for s in sims if s.on == a.url]
        connects = sum(s.connects for s in sims)
        t_kill = time.monotonic()
        a.kill()
        for badge in badges[revocations:revocations + outage_events]:
            await asyncio.to_thread(admin.revoke_badge, badge)
            emitted.append(await asyncio.to_thread(push_events.newest_id, admin.engine))
        reconnected = await _until(lambda: all(
            s.hello_at is not None and s.on == b.url and s.hello_at > t_kill for s in orphans)
            and all(s.hello_at is not None for s in sims), 60)
        reconnect_all_s = time.monotonic() - t_kill if reconnected else float("inf")
        await _until(lambda: all(e in s.got for s in sims for e in emitted), 15)
        lost = sum(1 for s in sims for e in emitted if e not in s.got)
        stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else 0.0
    print(f"killed replica pid {victim_pid} holding {len(orphans)} streams; "
          f"{sum(s.connects for s in sims) - connects} reconnects; "
          f"{sum(s.bad for s in sims)} bad signatures seen", file=sys.stderr)
    return {
        "revocation_p95_s": round(p95, 3),
        "revocation_median_s": round(statistics.median(latencies), 3) if latencies else 0.0,
        "revocation_max_s": round(latencies[-1], 3) if latencies else 0.0,
        "rss_per_stream_kb": round(rss_per_stream, 1),
        "reconnect_all_s": round(reconnect_all_s, 2),
        "connect_all_s": round(connect_all_s, 2),
        "events_lost": lost,
        "events_checked": len(emitted) * len(sims),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--terminals", type=int, default=500)
    p.add_argument("--revocations", type=int, default=20)
    p.add_argument("--outage-events", type=int, default=5)
    args = p.parse_args(argv)
    n_badges = args.revocations + args.outage_events
    with tempfile.TemporaryDirectory(prefix="kiosk-push-bench-") as tmp, \
            pg_database() as url:
        data = Path(tmp) / "data"
        admin = Admin.init(data, database_url=url)
        try:
            admin.add_site("HQ", "Head office", "Europe/Berlin")
            badges = []
            for i in range(n_badges):
                admin.add_employee(f"E{i:04d}", f"Person {i}", "HQ")
                badges.append(admin.issue_badge(f"E{i:04d}").badge_id)
            a, b = Replica(data), Replica(data)
            a.start()
            b.start()
            try:
                sims = []
                now = datetime.now(timezone.utc)
                box = secretbox.secure(data, admin.engine)  # secrets are stored sealed
                for i in range(args.terminals):
                    res = service.enroll(admin.engine, admin.add_terminal(f"T{i}", "HQ"),
                                         "bench", now, box)
                    assert res is not None
                    urls = [a.url, b.url] if i % 2 == 0 else [b.url, a.url]
                    sims.append(Sim(res.terminal_id, res.secret, urls))
                result = asyncio.run(_run(admin, badges, sims, a, b, args.revocations,
                                          args.outage_events))
            finally:
                a.stop()
                b.stop()
        finally:
            admin.close()
    result = {"terminals": args.terminals, "replicas": 2, "database": "postgresql", **result}
    print(f"{args.terminals} terminals on 2 replicas (PostgreSQL): revocation p95 "
          f"{result['revocation_p95_s']} s (goal <= {GOALS['revocation_p95_s']}), "
          f"{result['rss_per_stream_kb']} KB per stream (goal <= {GOALS['rss_per_stream_kb']}), "
          f"all reconnected {result['reconnect_all_s']} s after a replica was killed (goal <= "
          f"{GOALS['reconnect_all_s']}), {result['events_lost']} of "
          f"{result['events_checked']} events lost (goal 0)")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
