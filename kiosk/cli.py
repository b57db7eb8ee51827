"""The ``kiosk`` command: a thin dispatcher over ``kiosk/commands/<name>.py``.

The arguments of every command are in :mod:`kiosk.commands.arguments` (argparse only);
``kiosk/commands/<name>.py`` holds ``main(args) -> int`` and imports what it needs at its
top. This is the one place a command's module is imported, and only to run it, so
``kiosk --help`` is instant (no Qt, no OpenCV, no server).
Errors follow :mod:`kiosk.core.cli_style` (one line, exit 1 refused / 2 bad argument).
``--home`` works before or after the command (``kiosk --home D demo`` = ``kiosk demo --home D``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__
from .commands.arguments import REGISTER
from .core.cli_style import EXIT_BAD_ARGUMENT, HelpFormatter, OneLineParser, guarded

PROG = "kiosk"
COMMANDS = ("run", "demo", "enroll", "status", "sync", "set-pin", "decode", "outbox")
HOME_HELP = "keep config, data and logs under this folder (default: the platform's folders)"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG, description="Attendance check-in kiosk. 'kiosk COMMAND --help' explains "
        "each command; 'kiosk demo' shows the whole flow without any setup.")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument("--home", metavar="DIR", help=HOME_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for name in COMMANDS:
        REGISTER[name](sub)
        command = sub.choices[name]
        command.formatter_class = HelpFormatter
        # SUPPRESS: without it here, the top-level --home would be overwritten with None
        command.add_argument("--home", metavar="DIR", default=argparse.SUPPRESS, help=HOME_HELP)
    return parser


def _module(command: str) -> str:
    return command.replace("-", "_")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_ARGUMENT
    module = importlib.import_module(f"kiosk.commands.{_module(args.command)}")
    return guarded(PROG, lambda: int(module.main(args) or 0))


if __name__ == "__main__":
    sys.exit(main())
