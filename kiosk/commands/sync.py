"""``kiosk sync [--once]``: drain the outbox to the server (loop until SIGTERM/Ctrl-C).

The loop is the same engine the app runs in its sync thread; running it from a terminal
is how IT flushes a backlog by hand, and how the chaos test kills it at random moments.
"""

from __future__ import annotations

import argparse
import signal
import threading

from kiosk.core.cli_style import fail
from kiosk.core.clock import SystemClock
from kiosk.core.config import Config, ConfigError, load_config
from kiosk.core.paths import Paths, default_paths
from kiosk.core.problems import Problem
from kiosk.logging_setup import setup_logging
from kiosk.store import Outbox, OutboxError
from kiosk.sync.engine import SyncEngine
from kiosk.sync.secrets import SecretStoreError, open_secret_store

from .status import problem_text


def _fail(message: str) -> int:
    return fail("kiosk", message)


def _setup_logging(paths: Paths, config: Config, stderr: bool) -> None:
    """The kiosk's redacting logging, into its own rotating ``sync.log`` (two processes
    must not rotate one file) and, for the loop, stderr unless KIOSK_LOG_TO_STDERR=0.
    ``--once`` says its outcome itself in one line; its log lines go to the file only."""
    setup_logging(paths, config.log, filename="sync.log", stderr=stderr)


def failure_sentence(problem: Problem, pending: int) -> str:
    """What ``--once`` prints when the pass failed: the status panel's sentence for its
    code (never the HTTP library's text), what happened to the punches, and what to do."""
    code, what = problem_text(problem)
    todo = {"not_enrolled": "run 'kiosk enroll --server URL --code CODE'",
            "no_secret": "enrol the terminal again", "revoked": "ask the server admin"}.get(
        code, "check the network and [server] urls in the config, then run 'kiosk sync "
        "--once' again")
    return f"{what}; {pending} punch(es) still pending, kept in the outbox; {todo}"


def main(args: argparse.Namespace) -> int:
    paths = default_paths(args.home)
    try:
        config = load_config(paths.config_file)
    except ConfigError as exc:
        return _fail(str(exc))
    _setup_logging(paths, config, stderr=not args.once)
    if not config.enrolled:
        return _fail("not enrolled: run 'kiosk enroll --server URL --code CODE' first")
    try:
        store = open_secret_store(config, paths)
        outbox = Outbox(paths.outbox_file, SystemClock())
    except (SecretStoreError, OutboxError) as exc:
        return _fail(str(exc))
    if outbox.recovered_from is not None:
        print(f"kiosk: warning: the outbox was corrupt; it was moved to "
              f"{outbox.recovered_from} and a fresh one started.")
    try:
        engine = SyncEngine(config, outbox, store, SystemClock())
    except OutboxError as exc:  # opened, but its state cannot be read
        outbox.close()
        return _fail(str(exc))
    try:
        if args.once:
            report = engine.sync_once()
            pending = engine.state().pending
            if report.sent or not report.error:
                print(f"Sent {report.sent} punches ({report.accepted} accepted, "
                      f"{report.rejected} rejected); {pending} pending.", flush=True)
            if report.problem is not None:
                tried = [p for p in engine.state().server_errors.values() if p is not None]
                return _fail(failure_sentence(tried[0] if tried else report.problem, pending))
            return 0
        stop = threading.Event()

        def _stop(signum: int, frame: object) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        engine.run(stop)
        return 0
    finally:
        outbox.close()
