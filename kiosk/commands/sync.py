"""``kiosk sync [--once]``: drain the outbox to the server (loop until SIGTERM/Ctrl-C).

The loop is the same engine the app runs in its sync thread; running it from a terminal
is how IT flushes a backlog by hand, and how the chaos test kills it at random moments.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys


def _fail(message: str, code: int = 1) -> int:
    print(f"kiosk: {message}", file=sys.stderr)
    return code


def _setup_logging(level: str) -> None:
    """Log to stderr (never secrets: see the sync modules); quiet when told so."""
    if os.environ.get("KIOSK_LOG_TO_STDERR", "1") == "0" and level != "DEBUG":
        level = "WARNING"
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level, logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sync", help="send pending punches to the server")
    p.add_argument("--once", action="store_true", help="one pass, then exit (0 = all sent)")


def main(args: argparse.Namespace) -> int:
    import signal
    import threading

    from kiosk.core.clock import SystemClock
    from kiosk.core.config import ConfigError, load_config
    from kiosk.core.paths import default_paths
    from kiosk.store import Outbox, OutboxError
    from kiosk.sync.engine import SyncEngine
    from kiosk.sync.secrets import SecretStoreError, open_secret_store

    paths = default_paths(args.home)
    try:
        config = load_config(paths.config_file)
    except ConfigError as exc:
        return _fail(str(exc), 2)
    _setup_logging(config.log.level)
    if not config.enrolled:
        return _fail("not enrolled: run 'kiosk enroll --server URL --code CODE' first", 2)
    try:
        store = open_secret_store(config, paths)
        outbox = Outbox(paths.outbox_file, SystemClock())
    except (SecretStoreError, OutboxError) as exc:
        return _fail(str(exc), 2)
    if outbox.recovered_from is not None:
        print(f"kiosk: WARNING: the outbox was corrupt; it was moved to "
              f"{outbox.recovered_from} and a fresh one started.")
    engine = SyncEngine(config, outbox, store, SystemClock())
    try:
        if args.once:
            report = engine.sync_once()
            print(f"Sent {report.sent} punches ({report.accepted} accepted, "
                  f"{report.rejected} rejected); {engine.state().pending} pending.")
            if report.error:
                return _fail(report.error)
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
