"""Every stored punch, streamed: JSON lines or CSV, for the CLI's ``export`` and the API.

The punches come from a server-side cursor (``stream_results`` + ``yield_per``: a named
cursor on PostgreSQL, SQLite's stepping cursor), one batch at a time, and leave as text
chunks, so memory stays flat whatever the number of punches (240,000 and more).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from . import db
from .reports import csv_cell

FIELDS = ("event_id", "terminal_id", "seq", "badge_id", "employee_id", "site", "wall_time",
          "clock_offset_s", "punch_time", "received_at", "source", "app_version", "status",
          "reason", "work_date", "verdict")
BATCH = 2000  # rows per fetch from the cursor and per chunk sent
FORMATS = ("jsonl", "csv")
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat()


def punch_dict(row: Any) -> dict[str, Any]:
    """One stored punch as the export shows it (times ISO 8601 UTC, the verdict parsed)."""
    return {
        "event_id": row["event_id"], "terminal_id": row["terminal_id"], "seq": row["seq"],
        "badge_id": row["badge_id"], "employee_id": row["employee_id"], "site": row["site"],
        "wall_time": _iso(row["wall_time"]), "clock_offset_s": row["clock_offset_s"],
        "punch_time": _iso(row["punch_time"]), "received_at": _iso(row["received_at"]),
        "source": row["source"], "app_version": row["app_version"], "status": row["status"],
        "reason": row["reason"], "work_date": row["work_date"],
        "verdict": json.loads(row["verdict"]),
    }


def iter_punches(engine: Engine) -> Iterator[dict[str, Any]]:
    """Every stored punch (accepted and rejected), oldest received first, from a
    server-side cursor. The connection stays open until the iterator is exhausted or
    closed."""
    p = db.punches.c
    cols = [db.punches.c[name] for name in FIELDS]
    q = select(*cols).order_by(p.received_at, p.terminal_id, p.seq)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(q)
        for row in result.mappings():
            yield punch_dict(row)


def chunks(engine: Engine, fmt: str = "jsonl") -> Iterator[str]:
    """The export as text chunks of up to BATCH punches (CSV starts with its header)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    buf: list[str] = []
    if fmt == "jsonl":
        for r in iter_punches(engine):
            buf.append(json.dumps(r, ensure_ascii=False) + "\n")
            if len(buf) >= BATCH:
                yield "".join(buf)
                buf.clear()
        if buf:
            yield "".join(buf)
        return
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(FIELDS)
    n = 0
    for r in iter_punches(engine):
        r["verdict"] = json.dumps(r["verdict"], ensure_ascii=False, sort_keys=True)
        w.writerow([csv_cell(r[k]) for k in FIELDS])
        n += 1
        if n % BATCH == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def write_file(engine: Engine, path: Path, fmt: str = "jsonl") -> int:
    """Stream the export into ``path`` atomically (temp file, fsync, rename); the number of
    punches written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    lines = 0
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            for chunk in chunks(engine, fmt):
                f.write(chunk)
                lines += chunk.count("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return lines - (1 if fmt == "csv" else 0)
