"""``kiosk status [--json]``: outbox and sync state, for people and monitoring scripts.

Works offline and without touching the server: it reads the config, the secret store and
the outbox (the sync process records its state there). Exit codes follow the monitoring
convention: 0 healthy, 1 warning (backlog growing old, punches rejected, a corrupt outbox
was moved aside and is still there for IT), 2 critical (not enrolled, revoked, no secret,
outbox unusable or corrupt).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.core.clock import SystemClock
from kiosk.core.config import ConfigError, load_config
from kiosk.core.paths import default_paths
from kiosk.core.problem_text import describe
from kiosk.core.problems import Problem, ProblemCode
from kiosk.store import Outbox, OutboxError
from kiosk.sync.secrets import SecretStoreError, open_secret_store
from kiosk.sync.tls import insecure_allowed

OK, WARNING, CRITICAL = 0, 1, 2
STALE_BACKLOG_S = 15 * 60


def collect(args: argparse.Namespace) -> dict[str, Any]:
    """The status as a dict with stable keys (the ``--json`` output)."""
    paths = default_paths(args.home)
    problems: list[str] = []
    warnings: list[str] = []
    out: dict[str, Any] = {
        "status": "ok", "problems": problems, "warnings": warnings,
        "enrolled": False, "terminal_id": None, "terminal_name": None, "site": None,
        "server_urls": [], "secret_store": None, "secret_present": False,
        "terminal_revoked": False, "outbox_path": str(paths.outbox_file),
        "outbox_recovered_from": None, "pending": None, "oldest_pending_age_s": None,
        "rejected": None, "sent": None, "last_seq": None, "last_sync": None,
        "last_error": None, "last_error_code": None, "last_error_arg": None,
        "last_error_at": None,
        "clock_offset_s": None,
    }
    try:
        config = load_config(paths.config_file)
    except ConfigError as exc:
        problems.append(f"config unusable: {exc}")
        config = None
    if config is not None:
        out.update(enrolled=config.enrolled, terminal_id=config.terminal.id or None,
                   terminal_name=config.terminal.name or None, site=config.terminal.site or None,
                   server_urls=list(config.server.urls))
        insecure = insecure_allowed(config.server.urls, config.sync.allow_insecure_http)
        if insecure is not None:
            warnings.append(problem_text(insecure)[1])
        elif config.sync.allow_insecure_http:
            warnings.append("[sync] allow_insecure_http = true: plain http:// to other hosts "
                            "would be allowed")
        if not config.enrolled:
            problems.append("not enrolled: run 'kiosk enroll --server URL --code CODE'")
        else:
            try:
                store = open_secret_store(config, paths)
                out["secret_store"] = store.description
                out["secret_present"] = bool(store.get(config.terminal.id))
                if not out["secret_present"]:
                    problems.append("no terminal secret in the secret store: enrol again")
            except SecretStoreError as exc:
                problems.append(str(exc))
    if paths.outbox_file.exists():
        s = None
        try:
            box = Outbox(paths.outbox_file, SystemClock(), recover=False)
        except OutboxError as exc:
            problems.append(f"outbox unusable: {exc}")
        else:
            try:
                s = box.stats()
                revoked_id = box.meta("terminal_revoked")
                recovered = box.meta("recovered_from")
                offset = box.meta_float("clock_offset_s")
            except OutboxError as exc:  # opened, but not a punch buffer this kiosk can read
                problems.append(f"outbox unusable: {exc}")
                s = None
            finally:
                box.close()
        if s is not None:
            out.update(
                pending=s.pending, oldest_pending_age_s=s.oldest_pending_age_s,
                rejected=s.rejected, sent=s.sent, last_seq=s.last_seq,
                last_sync=s.last_sync.isoformat() if s.last_sync else None,
                last_error=s.last_error,
                last_error_code=s.last_problem.code.value if s.last_problem else None,
                last_error_arg=s.last_problem.arg if s.last_problem else None,
                last_error_at=s.last_error_at.isoformat() if s.last_error_at else None,
                clock_offset_s=offset,
            )
            if recovered and Path(recovered).exists():
                out["outbox_recovered_from"] = recovered
                warnings.append(f"the outbox was corrupt and was moved to {recovered}; IT "
                                "must look at it (delete or move that file to clear this)")
            if config is not None and revoked_id and revoked_id == config.terminal.id:
                out["terminal_revoked"] = True
                problems.append("this terminal was revoked by the server; punches are kept "
                                "but not sent")
            if s.oldest_pending_age_s is not None and s.oldest_pending_age_s > STALE_BACKLOG_S:
                warnings.append(f"{s.pending} punches pending, the oldest for "
                                f"{s.oldest_pending_age_s / 60:.0f} min")
            if s.rejected:
                warnings.append(f"{s.rejected} punches rejected by the server (kept)")
    else:
        out.update(pending=0, rejected=0, sent=0, last_seq=0)
    out["status"] = "critical" if problems else "warning" if warnings else "ok"
    return out


def main(args: argparse.Namespace) -> int:
    info = collect(args)
    code = {"ok": OK, "warning": WARNING, "critical": CRITICAL}[info["status"]]
    if args.json:
        print(json.dumps(info, sort_keys=True))
        return code
    print(f"Status:        {info['status'].upper()}")
    for p in info["problems"]:
        print(f"  problem:     {p}")
    for w in info["warnings"]:
        print(f"  warning:     {w}")
    print(f"Terminal:      {info['terminal_id'] or '-'} ({info['terminal_name'] or '-'}, "
          f"site {info['site'] or '-'})")
    print(f"Servers:       {', '.join(info['server_urls']) or '-'}")
    print(f"Secret store:  {info['secret_store'] or '-'}")
    age = info["oldest_pending_age_s"]
    print(f"Pending:       {info['pending']}" + (f" (oldest {age:.0f} s)" if age else ""))
    print(f"Rejected:      {info['rejected']}   Sent (kept): {info['sent']}   "
          f"Last seq: {info['last_seq']}")
    print(f"Last sync:     {_when(info['last_sync']) or 'never'}")
    print(f"Last error:    {_error_text(info)}")
    if info["clock_offset_s"] is not None:
        print(f"Clock offset:  {info['clock_offset_s']:+.3f} s (server - terminal)")
    return code


def _when(iso: str | None) -> str:
    """An ISO timestamp as ``2026-11-02 09:03:07 UTC``: whole seconds, one timezone (the
    log's), whatever offset it was stored with."""
    if not iso:
        return ""
    when = datetime.fromisoformat(iso)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def problem_text(problem: Problem) -> tuple[str, str]:
    """``(problem code, the status panel's sentence)`` for a sync problem, by its code; the
    English text only when the code is unknown (it is in sync.log either way)."""
    if problem.code is ProblemCode.UNKNOWN and problem.raw:
        return problem.code.value, " ".join(problem.raw.split())
    return problem.code.value, describe(problem)


def _error_text(info: dict[str, Any]) -> str:
    """The stored last error: the panel's sentence for its code, then when."""
    if not info["last_error_code"] and not info["last_error"]:
        return "-"
    problem = Problem(ProblemCode.parse(info["last_error_code"]), info["last_error_arg"] or "",
                      info["last_error"] or "")
    text = problem_text(problem)[1]
    at = info["last_error_at"]
    return f"{text} (at {_when(at)})" if at else text
