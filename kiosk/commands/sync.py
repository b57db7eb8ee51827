"""``kiosk sync [--once]``: drain the outbox to the server (loop until SIGTERM/Ctrl-C).

The loop is the same engine the app runs in its sync thread; running it from a terminal
is how IT flushes a backlog by hand, and how the chaos test kills it at random moments.
"""

from __future__ import annotations

import argparse
import sys


def _fail(message: str, code: int = 1) -> int:
    print(f"kiosk: {message}", file=sys.stderr)
    return code


def _setup_logging(paths: object, config: object) -> None:
    """The kiosk's redacting logging, into its own rotating ``sync.log`` (two processes
    must not rotate one file) and stderr unless KIOSK_LOG_TO_STDERR=0."""
    from kiosk.logging_setup import setup_logging

    setup_logging(paths, config.log, filename="sync.log")  # type: ignore[attr-defined]


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
    _setup_logging(paths, config)
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
    try:
        engine = SyncEngine(config, outbox, store, SystemClock())
    except OutboxError as exc:  # opened, but its state cannot be read
        outbox.close()
        return _fail(str(exc), 2)
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
