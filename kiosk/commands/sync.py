"""``kiosk sync [--once]``: drain the outbox to the server (loop until SIGTERM/Ctrl-C).

The loop is the same engine the app runs in its sync thread; running it from a terminal
is how IT flushes a backlog by hand, and how the chaos test kills it at random moments.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sync", help="send pending punches to the server")
    p.add_argument("--once", action="store_true", help="one pass, then exit (0 = all sent)")


def main(args: argparse.Namespace) -> int:
    import signal
    import threading

    from kiosk.core.clock import SystemClock
    from kiosk.core.config import ConfigError
    from kiosk.store import Outbox, OutboxError
    from kiosk.sync.engine import SyncEngine
    from kiosk.sync.secrets import SecretStoreError, open_secret_store

    from ._common import fail, load, paths_from, setup_logging

    paths = paths_from(args)
    try:
        config = load(paths)
    except ConfigError as exc:
        return fail(str(exc), 2)
    setup_logging(config.log.level)
    if not config.enrolled:
        return fail("not enrolled: run 'kiosk enroll --server URL --code CODE' first", 2)
    try:
        store = open_secret_store(config, paths)
        outbox = Outbox(paths.outbox_file, SystemClock())
    except (SecretStoreError, OutboxError) as exc:
        return fail(str(exc), 2)
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
                return fail(report.error)
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
