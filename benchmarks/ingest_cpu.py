"""In-process ingest CPU per punch: batches of 100 through :class:`Ingestor`, no HTTP.

    python -m benchmarks.ingest_cpu [--backends sqlite,postgresql] [--batches 60] [--profile]

Builds a site of 200 staff with badges, then feeds ``--batches`` batches of 100 fresh
punches (parsed from JSON as the API does, ``PunchBatch.model_validate_json``) to one
``Ingestor`` and reports the process CPU per punch (parse + decide + store; the database
server's own CPU is not counted; the response's serialisation is) and the wall time per batch. ``--profile`` prints a
pyinstrument profile of the timed part. Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

from benchmarks import pg
from kiosk.core.clock import SystemClock
from kiosk.core.protocol import BatchResult, PunchBatch, Verdict
from server_stub import db
from server_stub.admin import Admin
from server_stub.ingest import Ingestor, TerminalInfo

N_STAFF = 200
BATCH = 100


def _site(data: Path, url: str | None) -> tuple[Admin, list[str], str]:
    admin = Admin.init(data, database_url=url)
    admin.add_site("HQ", "Head office", "Europe/Berlin")
    admin.add_shift("day", "09:00", "17:00", 5, weekdays="all")
    issued = datetime.now(timezone.utc) - timedelta(days=30)
    tokens = []
    for i in range(N_STAFF):
        admin.add_employee(f"E{i:04d}", f"Person {i}", "HQ", "day")
        tokens.append(admin.issue_badge(f"E{i:04d}", issued_at=issued).token)
    admin.add_terminal("Bench", "HQ")
    with admin.engine.connect() as conn:
        tid = conn.execute(select(db.terminals.c.terminal_id)).scalar_one()
    return admin, tokens, tid


def _bodies(tid: str, tokens: list[str], n: int, rng: random.Random) -> list[bytes]:
    now = datetime.now(timezone.utc)
    seq, out = 0, []
    for _ in range(n):
        items = []
        for _ in range(BATCH):
            seq += 1
            when = now - timedelta(seconds=rng.uniform(0, 36000))
            items.append({"event_id": str(uuid.uuid4()), "terminal_id": tid, "seq": seq,
                          "badge": rng.choice(tokens), "wall_time": when.isoformat(),
                          "clock_offset_s": 0.0, "source": "camera", "app_version": "bench"})
        out.append(json.dumps({"punches": items}).encode())
    return out


def measure(backend: str, batches: int, profile: bool) -> dict[str, float]:
    def run(url: str | None) -> dict[str, float]:
        with tempfile.TemporaryDirectory() as tmp:
            admin, tokens, tid = _site(Path(tmp) / "data", url)
            engine = admin.engine
            ing = Ingestor(engine, SystemClock())
            info = TerminalInfo(tid, "Bench", "HQ", None, False)
            rng = random.Random(7)
            bodies = _bodies(tid, tokens, batches + 5, rng)
            for b in bodies[:5]:  # warm-up: badge cache, statement cache, context
                ing.ingest(info, PunchBatch.model_validate_json(b).punches)
            prof = None
            if profile:
                from pyinstrument import Profiler
                prof = Profiler(interval=0.0005)
                prof.start()
            c0, w0 = time.process_time(), time.perf_counter()
            for b in bodies[5:]:
                vs = ing.ingest(info, PunchBatch.model_validate_json(b).punches)
                assert vs is not None and len(vs) == BATCH
                answer(vs)
            cpu, wall = time.process_time() - c0, time.perf_counter() - w0
            if prof is not None:
                prof.stop()
                print(prof.output_text(unicode=False, color=False, show_all=False))
            admin.close()
            n = batches * BATCH
            return {f"cpu_us_per_punch_{backend}": round(cpu / n * 1e6, 1),
                    f"wall_ms_per_batch_{backend}": round(wall / batches * 1e3, 2)}

    if backend == "postgresql":
        with pg.throwaway_database(os.environ.get("KIOSK_BENCH_PG_URL", pg.DEFAULT_PG_URL)) as url:
            return run(url)
    return run(None)


def answer(verdicts: list[Verdict]) -> bytes:
    """The response body, serialised as the API does."""
    return BatchResult(results=verdicts,
                       server_time=datetime.now(timezone.utc)).model_dump_json().encode()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--batches", type=int, default=60)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args(argv)
    figures: dict[str, float] = {}
    for b in args.backends.split(","):
        figures.update(measure(b, args.batches, args.profile))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
