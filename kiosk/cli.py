"""The ``kiosk`` command: a thin dispatcher over ``kiosk/commands/<name>.py``.

Each command module exposes ``register(subparsers)`` (cheap: no Qt, no cv2 at import) and
``main(args) -> int``. Heavy imports happen inside ``main`` so ``kiosk --help`` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__

COMMANDS = ("run", "demo", "enroll", "status", "sync", "decode")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Attendance check-in kiosk")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument(
        "--home", help="keep config, data and logs under this folder (default: platform folders)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"kiosk.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"kiosk.commands.{name}":
                raise
            continue  # command not built yet in this checkout
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    module = importlib.import_module(f"kiosk.commands.{args.command}")
    try:
        return int(module.main(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
