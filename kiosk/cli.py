"""The ``kiosk`` command: a thin dispatcher over ``kiosk/commands/<name>.py``.

Each command module exposes ``register(subparsers)`` (cheap: no Qt, no cv2 at import) and
``main(args) -> int``. Heavy imports happen inside ``main`` so ``kiosk --help`` is instant.
Errors follow :mod:`kiosk.core.cli_style` (one line, exit 1 refused / 2 bad argument).
``--home`` works before or after the command (``kiosk --home D demo`` = ``kiosk demo --home D``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__
from .core.cli_style import EXIT_BAD_ARGUMENT, HelpFormatter, OneLineParser, guarded

PROG = "kiosk"
COMMANDS = ("run", "demo", "enroll", "status", "sync", "set-pin", "decode")
HOME_HELP = "keep config, data and logs under this folder (default: the platform's folders)"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG, description="Attendance check-in kiosk. 'kiosk COMMAND --help' explains "
        "each command; 'kiosk demo' shows the whole flow without any setup.")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument("--home", metavar="DIR", help=HOME_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"kiosk.commands.{_module(name)}")
        except ModuleNotFoundError as exc:
            if exc.name != f"kiosk.commands.{name}":
                raise
            continue  # command not built yet in this checkout
        module.register(sub)
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
