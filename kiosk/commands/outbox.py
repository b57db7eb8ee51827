"""``kiosk outbox salvage FILE``: re-queue the punches still readable in a moved-aside outbox.

A corrupt outbox is moved aside (``outbox.sqlite3.corrupt-<time>``) and a fresh one
continues the sequence; the punches in the old file that had not reached the server are
read back row by row (:mod:`kiosk.store.salvage`) and queued again with their own event ids
and seqs, so the running kiosk (or ``kiosk sync``) sends them and the server stores each once.
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

from kiosk.core.cli_style import fail
from kiosk.core.clock import SystemClock
from kiosk.core.paths import default_paths
from kiosk.store import Outbox, OutboxError
from kiosk.store.salvage import read_rows


def salvage(file: Path, outbox_path: Path) -> tuple[int, int, int]:
    """(re-queued, skipped, already there) for ``file`` into the outbox at ``outbox_path``."""
    got = read_rows(file)
    with Outbox(outbox_path, SystemClock()) as box:
        queued, present = box.requeue(got.punches)
    return queued, got.skipped, present


def main(args: argparse.Namespace) -> int:
    paths = default_paths(args.home)
    file = Path(args.file)
    if not file.is_file():
        return fail("kiosk", f"{file} is not a file (the moved-aside outboxes are "
                             f"{paths.outbox_file}.corrupt-*)")
    if file.resolve() == paths.outbox_file.resolve():
        return fail("kiosk", "that is the outbox in use; name a moved-aside file")
    try:
        queued, skipped, present = salvage(file, paths.outbox_file)
    except sqlite3.Error as exc:
        return fail("kiosk", f"{file} cannot be read as an outbox at all ({exc}); "
                             "nothing was re-queued")
    except OutboxError as exc:
        return fail("kiosk", str(exc))
    print(f"Re-queued {queued} punch(es) from {file.name}; skipped {skipped} unreadable "
          f"row(s); {present} already queued. They are sent with the next sync.")
    return 0
