"""One error style for ``kiosk`` and ``kiosk-server``: one line, what went wrong and what to do.

Both commands print ``PROG: error: <what went wrong>; <what to do>`` on stderr and exit 1
when an action was refused (unknown employee, server unreachable), 2 when an argument is
bad (argparse's usage errors and the argument types below), 130 on Ctrl+C. A bug never
shows a traceback to the user either: :func:`guarded` prints one line and points to
``KIOSK_DEBUG=1``, which re-raises so a developer sees the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import NoReturn

EXIT_REFUSED = 1
EXIT_BAD_ARGUMENT = 2
EXIT_INTERRUPTED = 130


def error_line(prog: str, message: str) -> str:
    """The one line both commands print for a failure (no trailing newline)."""
    lines = [" ".join(line.split()) for line in message.splitlines()]
    return f"{prog}: error: {'; '.join(line for line in lines if line)}"


def fail(prog: str, message: str, code: int = EXIT_REFUSED) -> int:
    """Print ``message`` in the house style on stderr and return ``code`` (for ``return``)."""
    print(error_line(prog, message), file=sys.stderr)
    return code


class HelpFormatter(argparse.HelpFormatter):
    """Shows each option's default after its help ("default: 8765"), except for flags and
    options without one, so a reader never has to guess what happens without it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if ("%(default)" in text or default in (None, False, True, argparse.SUPPRESS)
                or not action.option_strings):
            return text
        return f"{text} (default: %(default)s)" if text else "(default: %(default)s)"


class OneLineParser(argparse.ArgumentParser):
    """argparse whose usage errors are one line in the house style, exit 2."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(error_line(self.prog, f"{message}; see '{self.prog} --help'") + "\n")
        raise SystemExit(EXIT_BAD_ARGUMENT)


def guarded(prog: str, run: Callable[[], int]) -> int:
    """Run a command; Ctrl+C exits 130 and an unexpected exception prints one line (exit 1)."""
    try:
        return run()
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("KIOSK_DEBUG"):
            raise
        return fail(prog, f"unexpected {type(exc).__name__}: {str(exc)[:200]}; this is a bug "
                          "- run again with KIOSK_DEBUG=1 for the details and report them")


# -- argument types: a bad value is a usage error (exit 2) with a sentence, not "invalid int"
def int_range(low: int, high: int, unit: str = "") -> Callable[[str], int]:
    """An ``int`` type accepting ``low..high`` only."""
    suffix = f" {unit}" if unit else ""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{value} is out of range: use {low} to {high}{suffix}")
        return value

    parse.__name__ = "int"
    return parse


port_number = int_range(0, 65535)
port_number.__doc__ = "A TCP port, 0 (any free port) to 65535."


def iso_date(text: str) -> date:
    """``YYYY-MM-DD`` and a real calendar day (2026-13-01 says which part is wrong)."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        parts = text.split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[0]) == 4:
            raise argparse.ArgumentTypeError(f"{text} is not a day of the calendar "
                                             f"({exc})") from None
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write it as YYYY-MM-DD, "
                                         "e.g. 2026-11-02") from None


def output_file(text: str) -> str:
    """A file to write: '-' (stdout) or a path whose folder exists (never created silently)."""
    if text == "-":
        return text
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file name in it")
    folder = path.parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"the folder {folder} does not exist; create it "
                                         "first or choose another one")
    return text
