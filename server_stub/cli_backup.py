"""``kiosk-server backup`` and ``restore``: thin layers over :mod:`.store.backup` and
:mod:`.store.restore` (a refusal is one sentence, exit 1)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from kiosk.core.cli_style import output_file

from .dburl import database_url

AddCommand = Callable[..., argparse.ArgumentParser]

KEYS_NOT_INCLUDED = (
    "The keys are not in the backup: copy {keys} (badge signing keys and the key that "
    "seals terminal secrets) into the restored data folder's keys/ before it serves, or "
    "back up with --include-keys; without them enrolled terminals cannot sign in.")


def cmd_backup(args: argparse.Namespace) -> None:
    from .cli import CliError, _data_dir
    from .store.backup import BackupError, backup

    data = _data_dir(args)
    try:
        s = backup(data, Path(args.out), include_keys=args.include_keys)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    tables = len(s.rows)
    print(f"Backed up {s.total_rows} row(s) in {tables} table(s) "
          f"({s.rows.get('punches', 0)} punch(es); {s.dialect}, revision {s.revision}) to "
          f"{s.path} (mode 0600).")
    if s.keys_included:
        print("The backup holds the data folder's keys and admin token: keep it as secret as "
              "the keys folder.", file=sys.stderr)
    else:
        print(KEYS_NOT_INCLUDED.format(keys=data / "keys"), file=sys.stderr)


def cmd_restore(args: argparse.Namespace) -> None:
    from .cli import CliError, _data_dir
    from .store.backup import BackupError
    from .store.restore import restore

    data = _data_dir(args)
    try:
        s = restore(Path(args.file), data, args.database_url)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    upgraded = f", upgraded to {s.head}" if s.head != s.revision else ""
    print(f"Restored {s.total_rows} row(s) ({s.rows.get('punches', 0)} punch(es)) into {data} "
          f"at revision {s.revision}{upgraded}.")
    if not s.keys_restored:
        print(KEYS_NOT_INCLUDED.format(keys="the old data folder's keys/"), file=sys.stderr)


def register(add: AddCommand) -> None:
    """Add the two commands to the ``kiosk-server`` parser (``add`` from cli.build_parser)."""
    p = add("backup", cmd_backup,
            "write a consistent snapshot of the database while the server runs",
            "write a consistent online snapshot of the database (SQLite or PostgreSQL) to one "
            "portable file (0600) that 'restore' reads into either database")
    p.add_argument("--out", required=True, type=output_file, metavar="FILE",
                   help="the backup file to write (e.g. kiosk-2026-12-01.zip)")
    p.add_argument("--include-keys", action="store_true",
                   help="also store keys/ (badge signing keys, the terminal-secret key) and the "
                        "admin token; the file is then as secret as those")
    p = add("restore", cmd_restore, "restore a backup into a new data folder",
            "restore a backup into a new data folder and an empty database (a target holding "
            "data is refused), then upgrade it to this version's schema")
    p.add_argument("file", help="the backup file ('kiosk-server backup --out')")
    p.add_argument("--database-url", metavar="URL", type=database_url,
                   help="an empty database for the restore, e.g. "
                        "postgresql+psycopg://user@host/db (default: an SQLite file in --data)")
